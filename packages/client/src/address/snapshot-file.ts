/**
 * The last good address list fetched from an address service, kept on disk so a client that
 * restarts while the service is down still finds its name servers. One file per URL, named like
 * rocketmq-client-go's `nameserver_addr-<md5 of URL>`; written atomically (temp file + rename).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAddressList, formatAddressList } from './address-list.js';

export function snapshotFilePath(dir: string, url: string): string {
  return join(dir, `nameserver_addr-${createHash('md5').update(url).digest('hex')}`);
}

/** Writes `a;b` to the snapshot file for `url`, atomically. */
export async function writeAddressSnapshot(
  dir: string,
  url: string,
  addresses: readonly string[],
): Promise<void> {
  const file = snapshotFilePath(dir, url);
  await mkdir(dir, { recursive: true });
  // Unique per write: two writers in one process (an agent and a client sharing the directory)
  // in the same millisecond renamed each other's temp file away (ENOENT).
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, formatAddressList(addresses), 'utf8');
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Reads the snapshot for `url`. Returns undefined when there is none; throws
 * InvalidAddressListError when the file exists but does not hold a valid list.
 */
export async function readAddressSnapshot(dir: string, url: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(snapshotFilePath(dir, url), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseAddressList(text);
}
