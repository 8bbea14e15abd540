/**
 * AddressService.start() loads its source before it listens. When listening then fails (port in
 * use), the source must be stopped again: a FileAddressSource left running keeps its fs.watch and
 * poll timer, so a service that never served anything kept the process alive.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressService } from '../../src/address-service/address-service.js';
import type { AddressSource } from '../../src/address-service/address-source.js';
import { FileAddressSource } from '../../src/address-service/address-source.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A FileAddressSource that counts its start() and close() calls. */
function countingFileSource(file: string): AddressSource & { starts: number; closes: number } {
  const inner = new FileAddressSource(file);
  const counting = {
    starts: 0,
    closes: 0,
    current: () => inner.current(),
    start: () => {
      counting.starts += 1;
      return inner.start();
    },
    close: () => {
      counting.closes += 1;
      return inner.close();
    },
  };
  return counting;
}

async function portInUse(): Promise<number> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  return (blocker.address() as AddressInfo).port;
}

describe('AddressService start failure', () => {
  it('stops its source and rethrows when the port is in use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ns-addr-failed-start-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'nsaddr.txt');
    await writeFile(file, '10.0.0.1:9876\n');
    const source = countingFileSource(file);
    // Should the service leave it running, the test still does not leak its watcher and timer.
    cleanups.push(() => source.close());
    const service = new AddressService({ source, host: '127.0.0.1', port: await portInUse() });

    await expect(service.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });

    expect(source.starts).toBe(1);
    expect(source.closes).toBe(1);
  });
});
