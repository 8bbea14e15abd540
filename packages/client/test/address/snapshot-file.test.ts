import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readAddressSnapshot, writeAddressSnapshot } from '../../src/address/snapshot-file.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('address snapshot file', () => {
  // An agent and a client sharing the snapshot directory wrote in the same millisecond: their
  // temp files had one name, and one rename failed with ENOENT.
  it('takes concurrent writes of one process, each whole, and leaves no temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ns-snapshot-'));
    dirs.push(dir);
    const url = 'http://addr.example:8080/rocketmq/nsaddr';
    const lists = Array.from({ length: 20 }, (_, i) => [`10.0.0.${i}:9876`, `10.0.1.${i}:9876`]);
    await Promise.all(lists.map((list) => writeAddressSnapshot(dir, url, list)));
    const read = await readAddressSnapshot(dir, url);
    expect(lists).toContainEqual(read);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
