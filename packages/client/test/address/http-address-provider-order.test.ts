/**
 * Two fetches of the address list in flight at once (a slow poll and a refresh()): the answer of
 * the one that started first must not replace the list the later one already set, nor the
 * snapshot file. It did: whichever answered last won, so a stale list came back.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptedHttpServer, waitFor } from './http-test-server.js';
import { HttpAddressProvider } from '../../src/address/http-address-provider.js';
import { snapshotFilePath } from '../../src/address/snapshot-file.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const OLD_LIST = '10.0.0.1:9876';
const NEW_LIST = '10.0.0.2:9876';

describe('HttpAddressProvider with overlapping fetches', () => {
  it('keeps the newer list when an older fetch answers last', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ns-snapshot-order-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // The first request is held until the test answers it; later ones get the new list at once.
    const held: ServerResponse[] = [];
    const server = await startScriptedHttpServer((_req, res) => {
      if (server.requests.length === 1) {
        held.push(res);
        return;
      }
      res.writeHead(200);
      res.end(NEW_LIST);
    });
    cleanups.push(() => server.close());
    const url = `${server.base}/rocketmq/nsaddr`;
    const provider = new HttpAddressProvider({ url, retries: 0, snapshotDir: dir });
    cleanups.push(() => provider.close());

    const older = provider.refresh();
    await waitFor(() => held.length === 1, 'the first fetch to reach the service');
    expect(await provider.refresh()).toEqual([NEW_LIST]);
    held[0]!.writeHead(200);
    held[0]!.end(OLD_LIST);

    // The older fetch resolves to the list in use, which it left alone.
    expect(await older).toEqual([NEW_LIST]);
    expect(provider.current()).toEqual([NEW_LIST]);
    expect(await readFile(snapshotFilePath(dir, url), 'utf8')).toBe(NEW_LIST);
  });
});
