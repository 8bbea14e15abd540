/**
 * Spawns the built `ns-addr-service` on 127.0.0.1:0 serving a list file the test rewrites, and
 * reads its real port from the `{"event":"listening",…}` line.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManagedProcess } from './managed-process.js';
import { requireBuilt } from './paths.js';
import type { TestScope } from './scope.js';

export interface AddressServiceHandle {
  readonly port: number;
  /** `http://127.0.0.1:port/rocketmq/<subgroup>` */
  readonly url: string;
  readonly listFile: string;
  readonly process: ManagedProcess;
  /** Atomically replaces the served list (temp file + rename, so no reader sees half a file). */
  setList(addrs: readonly string[]): Promise<void>;
}

export async function startAddressService(
  scope: TestScope,
  options: { readonly name: string; readonly addrs: readonly string[]; readonly subgroup?: string },
): Promise<AddressServiceHandle> {
  const entry = requireBuilt('addressService');
  const dir = await scope.tempDir(options.name);
  const listFile = join(dir, 'nsaddr.txt');
  let version = 0;
  const setList = async (addrs: readonly string[]): Promise<void> => {
    version += 1;
    const tmp = `${listFile}.${version}.tmp`;
    await writeFile(tmp, `${addrs.join(';')}\n`, 'utf8');
    await rename(tmp, listFile);
  };
  await setList(options.addrs);
  const subgroup = options.subgroup ?? 'nsaddr';
  const proc = scope.spawn({
    name: options.name,
    entry,
    args: ['--file', listFile, '--host', '127.0.0.1', '--port', '0', '--subgroup', subgroup],
  });
  const listening = await proc.waitForEvent('listening', 10_000);
  const port = listening['port'];
  if (typeof port !== 'number')
    throw new Error(`${options.name}: no port in ${JSON.stringify(listening)}`);
  return {
    port,
    url: `http://127.0.0.1:${port}/rocketmq/${subgroup}`,
    listFile,
    process: proc,
    setList,
  };
}

/** What the address service currently answers (trimmed body), or null on a non-200. */
export async function fetchAddressList(url: string): Promise<string | null> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  const text = (await res.text()).trim();
  return res.status === 200 ? text : null;
}
