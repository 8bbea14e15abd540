/**
 * KV config persistence of a running node (issue 16 item 4): the file is written by the KV
 * persistence thread, never on the event loop; a write that cannot be persisted answers
 * SYSTEM_ERROR and is undone everywhere (the owner, the serving workers' replicas, the thread's
 * copy of the table), and writes work again once the disk does; concurrent writes from several
 * connections end in a file equal to the table in memory; a disk that hangs cannot hold close().
 *
 * The thread (and serving workers) run the compiled code (dist/), so `tsc -b` must have run.
 * Crash safety under SIGKILL is kvconfig/kv-write-behind-crash.test.ts.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import {
  KVConfigFileStore,
  KVConfigManager,
  serializeKVConfigFile,
  tempPathOf,
} from '../src/kvconfig/index.js';
import { NameServer } from '../src/name-server.js';
import { request } from './handlers-harness.js';
import { waitFor } from './transport-helpers.js';
import { useNodes } from './node-fixture.js';

const nodes = useNodes('ns-kv-persist');

afterEach(() => {
  vi.restoreAllMocks();
});

/** A node whose KV file is `kvPath` (its config store beside the test's other files). */
function startNode(workers: number, kvPath: string, ...argv: string[]) {
  return nodes.start(
    workers,
    `--kvConfigPath=${kvPath}`,
    `--configStorePath=${join(nodes.dir(), 'namesrv.properties')}`,
    ...argv,
  );
}

const connect = (port: number) => nodes.connect(port);

let opaque = 1;
const put = (namespace: string, key: string, value: string): RemotingCommand =>
  request(RequestCode.PUT_KV_CONFIG, { opaque: opaque++, ext: { namespace, key, value } });
const del = (namespace: string, key: string): RemotingCommand =>
  request(RequestCode.DELETE_KV_CONFIG, { opaque: opaque++, ext: { namespace, key } });
const get = (namespace: string, key: string): RemotingCommand =>
  request(RequestCode.GET_KV_CONFIG, { opaque: opaque++, ext: { namespace, key } });
const list = (namespace: string): RemotingCommand =>
  request(RequestCode.GET_KVLIST_BY_NAMESPACE, { opaque: opaque++, ext: { namespace } });

/** The file the node's table makes, byte for byte (what the thread must have written). */
function expectedFile(node: NameServer): string {
  return serializeKVConfigFile(node.kvConfigManager.snapshot());
}

/**
 * A node (closing without waiting long for a stuck write) whose KV writes hang: a FIFO where the
 * temporary file goes, so the persistence thread's open() blocks until a reader comes (the
 * cleanup opens one, so this process can exit). Linux only: skips elsewhere, saying so.
 */
async function nodeWithHungDisk(skip: () => void) {
  if (process.platform !== 'linux') {
    console.warn('[kv-persistence] SKIPPED the hanging-disk case: needs Linux mkfifo');
    skip();
  }
  const kvPath = join(nodes.dir(), 'kvConfig.json');
  const started = await startNode(1, kvPath, '--shutdownTimeoutMillis=100');
  const made = spawnSync('mkfifo', [tempPathOf(kvPath)]);
  expect(made.status, String(made.stderr)).toBe(0);
  nodes.onCleanup(() => {
    const fd = openSync(tempPathOf(kvPath), constants.O_RDONLY | constants.O_NONBLOCK);
    setTimeout(() => {
      closeSync(fd);
    }, 200);
  });
  return { ...started, kvPath };
}

/** Entries in the table before the first test's puts, and how many puts follow. */
const PREFILLED = 20_000;
const PUTS = 100;

describe('KV persistence of a running node', () => {
  it('writes the file in the persistence thread: nothing on the event loop, and no write for a change of nothing', async () => {
    // A 20,000-entry table (issue 16 item 4's size): a put must cost what it changes, not what
    // the table holds.
    const kvPath = join(nodes.dir(), 'kv', 'kvConfig.json');
    const prefilled = new Map([
      ['big', new Map(Array.from({ length: PREFILLED }, (_, i) => [`key-${i}`, `value-${i}`]))],
    ]);
    new KVConfigFileStore(kvPath).persist(prefilled);
    const persist = vi.spyOn(KVConfigFileStore.prototype, 'persist');
    const { node, port } = await startNode(1, kvPath);
    const c = await connect(port);
    // What would walk or copy the whole table on this thread (the periodic log line and the
    // admin page read `snapshot`, a restarted persistence thread starts from `exportTable`).
    const walks = [
      vi.spyOn(KVConfigManager.prototype, 'snapshot'),
      vi.spyOn(KVConfigManager.prototype, 'exportTable'),
    ];
    expect((await c.request(put('ns', 'k', 'v'))).code).toBe(ResponseCode.SUCCESS);
    // Acknowledged: on disk, and not by the synchronous path of the store on this thread...
    expect(new KVConfigFileStore(kvPath).load().get('ns')?.get('k')).toBe('v');
    expect(persist).not.toHaveBeenCalled();
    // ...but by the persistence thread (its report arrived before the answer).
    expect(node.kvPersistenceStats()).toMatchObject({ batches: 1, fileWrites: 1 });

    // Deleting a missing key changes nothing, records no op and writes no file (Java rewrites
    // the unchanged file); it still answers SUCCESS, as Java does.
    expect((await c.request(del('ns', 'missing'))).code).toBe(ResponseCode.SUCCESS);
    expect((await c.request(del('nowhere', 'missing'))).code).toBe(ResponseCode.SUCCESS);
    expect(node.kvPersistenceStats()).toMatchObject({ batches: 1, fileWrites: 1 });

    // 100 more puts into the big namespace: each is written (by the thread), and nothing on
    // this thread walked or serialized the table for any of them.
    for (let i = 0; i < PUTS; i++) {
      expect((await c.request(put('big', `new-${i}`, `v${i}`))).code).toBe(ResponseCode.SUCCESS);
    }
    expect(node.kvPersistenceStats()).toMatchObject({ batches: 1 + PUTS });
    expect(persist).not.toHaveBeenCalled();
    for (const walk of walks) expect(walk).not.toHaveBeenCalled();

    expect(readFileSync(kvPath, 'utf8')).toBe(expectedFile(node));
    expect(new KVConfigFileStore(kvPath).load().get('big')?.size).toBe(PREFILLED + PUTS);
  });

  it.each([1, 2])(
    'a write that cannot be persisted answers SYSTEM_ERROR and is undone on every connection, servingWorkers=%i',
    async (workers) => {
      const kvPath = join(nodes.dir(), 'kvConfig.json');
      const { node, port } = await startNode(workers, kvPath);
      // With least-connections placement four connections cover both workers.
      const cs = await Promise.all([0, 1, 2, 3].map(() => connect(port)));
      const w = cs[0]!;
      expect((await w.request(put('ns', 'k', 'old'))).code).toBe(ResponseCode.SUCCESS);

      // A directory where the temporary file goes: nobody, root included, can write the file.
      mkdirSync(tempPathOf(kvPath));
      const failures = [
        await w.request(put('ns', 'k', 'new')),
        await w.request(put('created', 'x', '1')), // creates a namespace: the undo drops it
        await w.request(del('ns', 'k')),
      ];
      for (const res of failures) {
        expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
        expect(res.remark).toMatch(/^persisting the KV config failed: writing .* failed: EISDIR/);
      }
      for (const [i, c] of cs.entries()) {
        expect((await c.request(get('ns', 'k'))).extFields?.['value'], `connection ${i}`).toBe(
          'old',
        );
        expect((await c.request(get('created', 'x'))).code, `connection ${i}`).toBe(
          ResponseCode.QUERY_NOT_FOUND,
        );
        expect((await c.request(list('created'))).code, `connection ${i}`).toBe(
          ResponseCode.QUERY_NOT_FOUND,
        );
      }

      // The disk is fine again: writes work, and the file is the table (the thread's copy
      // followed every undo, so nothing of the failed writes comes back).
      rmdirSync(tempPathOf(kvPath));
      expect((await w.request(put('ns', 'k2', 'v2'))).code).toBe(ResponseCode.SUCCESS);
      const text = readFileSync(kvPath, 'utf8');
      expect(text).toBe(expectedFile(node));
      expect(new KVConfigFileStore(kvPath).load()).toEqual(
        new Map([
          [
            'ns',
            new Map([
              ['k', 'old'],
              ['k2', 'v2'],
            ]),
          ],
        ]),
      );
      for (const [i, c] of cs.entries()) {
        expect((await c.request(get('ns', 'k2'))).extFields?.['value'], `connection ${i}`).toBe(
          'v2',
        );
      }
      expect(node.kvPersistenceStats().failedWrites).toBeGreaterThanOrEqual(3);
      // What an operator's alert reads (deploy/prometheus: NameServerKVPersistFailing).
      const metrics = (await node.scrapeMetrics()).body;
      const counted = /^namesrv_kv_persist_failures_total (\d+)$/m.exec(metrics);
      expect(Number(counted?.[1])).toBe(node.kvPersistenceStats().failedWrites);
      expect(metrics).toMatch(/^namesrv_kv_persist_thread_up 1$/m);
    },
  );

  it('many concurrent writes from several connections end in a file equal to the table', async () => {
    const kvPath = join(nodes.dir(), 'kvConfig.json');
    const { node, port } = await startNode(1, kvPath);
    const cs = await Promise.all([0, 1, 2, 3, 4, 5].map(() => connect(port)));
    // Every connection sends all its requests at once; keys overlap between connections.
    const answers = await Promise.all(
      cs.flatMap((c, ci) =>
        Array.from({ length: 40 }, (_, i) => {
          const key = `k${(ci * 7 + i) % 25}`;
          return c.request(
            i % 6 === 5 ? del(`ns${i % 3}`, key) : put(`ns${i % 3}`, key, `c${ci}-${i}`),
            15_000,
          );
        }),
      ),
    );
    for (const a of answers) expect(a.code).toBe(ResponseCode.SUCCESS);
    expect(readFileSync(kvPath, 'utf8')).toBe(expectedFile(node));
    expect(node.kvPersistenceStats().failedWrites).toBe(0);
  });

  it('a hung disk fails the KV write after the deadline and holds no other write longer', async ({
    skip,
  }) => {
    const { node, port } = await nodeWithHungDisk(skip);
    const c = await connect(port);
    const started = Date.now();
    const kvAnswer = c.request(put('ns', 'k', 'v'), 30_000);
    await waitFor('the put to reach the thread', () => node.kvPersistenceStats().batches === 1);
    // A route write queued behind it (a broker unregistering: no broker, still a write).
    const routeAnswer = c.request(
      request(RequestCode.UNREGISTER_BROKER, {
        opaque: opaque++,
        ext: { clusterName: 'C', brokerAddr: '10.0.0.1:10911', brokerName: 'b', brokerId: '0' },
      }),
      30_000,
    );
    const kv = await kvAnswer;
    expect(kv.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(kv.remark).toMatch(/not on disk within 5000 ms/);
    expect((await routeAnswer).code).toBe(ResponseCode.SUCCESS);
    // The deadline, not the disk, ended it (the FIFO is still blocked).
    expect(Date.now() - started).toBeLessThan(20_000);
    // Undone: the value is not served.
    expect((await c.request(get('ns', 'k'))).code).toBe(ResponseCode.QUERY_NOT_FOUND);
  });

  it('close() is bounded when the disk hangs: the stuck write fails, the node stops', async ({
    skip,
  }) => {
    const { node, port, kvPath } = await nodeWithHungDisk(skip);
    const c = await connect(port);
    const answer = Promise.race([
      c.request(put('ns', 'k', 'v'), 30_000).then((res) => res.code),
      c.closed.then(() => 'connection closed without an answer'),
    ]);
    await waitFor('the put to reach the thread', () => node.kvPersistenceStats().batches === 1);
    const started = Date.now();
    await node.close();
    // 100 ms for the connection, max(1 s, shutdownTimeoutMillis) for the KV write; generous.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await answer).not.toBe(ResponseCode.SUCCESS);
    expect(existsSync(kvPath)).toBe(false);
  });
});
