/**
 * KV writes at the registry owner: route writes never wait for a KV write's file, KV batches are
 * handed to the persistence side without waiting for the previous one (so one file can cover
 * many: group commit), answers keep their order, and a failure undoes every KV write not
 * answered yet. A fake durability whose writes the test settles by hand: no disk, no timing.
 */
import { describe, expect, it, vi } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { defaultConfig } from '../src/config/index.js';
import { createSilentLogger } from '../src/logging.js';
import { createMetrics } from '../src/metrics.js';
import { RegistryOwner } from '../src/registry/registry-owner.js';
import type { KVDurability } from '../src/registry/registry-owner.js';
import { request } from './handlers-harness.js';
import { SettableClock } from './hostile-helpers.js';

class HandDurability implements KVDurability {
  /** What `stalledMillis` answers (set by the test). */
  stalled = 0;
  stalledMillis(): number {
    return this.stalled;
  }
  readonly writes: {
    ops: readonly unknown[];
    resolve: () => void;
    reject: (err: Error) => void;
  }[] = [];
  write(ops: readonly unknown[]): Promise<void> {
    return new Promise((resolve, reject) => this.writes.push({ ops, resolve, reject }));
  }
}

function owner(durability: KVDurability): RegistryOwner {
  return new RegistryOwner({
    config: defaultConfig({ homeDir: '/nonexistent-home', env: {} }),
    clock: new SettableClock(),
    loggerFor: () => createSilentLogger(),
    metrics: createMetrics({}, { defaultMetrics: false }),
    initialKV: new Map([['ns', new Map([['k', 'old']])]]),
    kvPersistence: { mode: 'write-behind', durability },
    persistConfig: () => undefined,
  });
}

const ctx = { connectionId: 1, remoteAddress: '127.0.0.1:1' };
const put = (key: string, value: string): RemotingCommand =>
  request(RequestCode.PUT_KV_CONFIG, { ext: { namespace: 'ns', key, value } });
const del = (key: string): RemotingCommand =>
  request(RequestCode.DELETE_KV_CONFIG, { ext: { namespace: 'ns', key } });
const unregister = (): RemotingCommand =>
  request(RequestCode.UNREGISTER_BROKER, {
    ext: { clusterName: 'C', brokerAddr: '10.0.0.1:10911', brokerName: 'b', brokerId: '0' },
  });

/** Resolves after `promise` settled, or says it is still pending. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return settled;
}

describe('KV writes at the registry owner', () => {
  it('a route write is answered while a KV write waits for its file; KV batches go out together', async () => {
    const disk = new HandDurability();
    const o = owner(disk);
    const first = o.execute(put('a', '1'), ctx);
    const route = await o.execute(unregister(), ctx);
    expect(route?.code).toBe(ResponseCode.SUCCESS);
    const second = o.execute(put('b', '2'), ctx);
    await o.idle();
    // Both batches reached the persistence side before either file was written.
    expect(disk.writes.map((w) => w.ops[2])).toEqual(['a', 'b']);
    expect(await settledYet(first)).toBe(false);
    // The value is served before it is durable, as in Java.
    expect(o.kv.getKVConfig('ns', 'b')).toBe('2');
    // Answered in order: the second's file does not answer the first.
    disk.writes[1]!.resolve();
    expect(await settledYet(second)).toBe(false);
    disk.writes[0]!.resolve();
    expect((await first)?.code).toBe(ResponseCode.SUCCESS);
    expect((await second)?.code).toBe(ResponseCode.SUCCESS);
  });

  it('a failed file undoes every KV write not answered yet, newest first, and fails them', async () => {
    const disk = new HandDurability();
    const o = owner(disk);
    const first = o.execute(put('k', 'first'), ctx);
    const second = o.execute(put('k', 'second'), ctx);
    await o.idle();
    expect(o.kv.getKVConfig('ns', 'k')).toBe('second');
    disk.writes[0]!.reject(new Error('disk full'));
    // A later file holding both would have been written: the undo must still win.
    disk.writes[1]!.resolve();
    const [a, b] = await Promise.all([first, second]);
    expect(a?.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(a?.remark).toBe('persisting the KV config failed: disk full');
    expect(b?.code).toBe(ResponseCode.SYSTEM_ERROR);
    await o.idle();
    expect(o.kv.getKVConfig('ns', 'k')).toBe('old');
    // The reverting ops reached the persistence side too (its copy of the table follows).
    expect(disk.writes).toHaveLength(3);
    disk.writes[2]!.resolve();
    const third = o.execute(put('k', 'third'), ctx);
    await o.idle();
    disk.writes[3]!.resolve();
    expect((await third)?.code).toBe(ResponseCode.SUCCESS);
    expect(o.kv.getKVConfig('ns', 'k')).toBe('third');
  });

  it('a KV write does not hold the write queue until the workers have it; its answer waits for them', async () => {
    const disk = new HandDurability();
    const o = owner(disk);
    // A worker that acknowledges only when told to.
    const pending: number[] = [];
    const peer = {
      name: 'slow worker',
      sendOps: (seq: number, _encoded: unknown, final: boolean) => {
        if (final) pending.push(seq);
      },
    };
    await o.addReplica(peer, () => undefined);
    const kv = o.execute(put('k', 'v'), ctx);
    await o.idle();
    disk.writes[0]!.resolve();
    // The route write behind it runs and is published before the KV write's batch is acked.
    const route = o.execute(unregister(), ctx);
    await o.idle();
    expect(await settledYet(kv)).toBe(false);
    expect(pending).toHaveLength(1);
    o.replicas.ack(peer, pending[0]!);
    expect((await kv)?.code).toBe(ResponseCode.SUCCESS);
    // The route write's own batch (if it made one) is acked separately.
    for (const seq of pending.slice(1)) o.replicas.ack(peer, seq);
    expect((await route)?.code).toBe(ResponseCode.SUCCESS);
  });

  it('the durability deadline counts from the last file written, not from the hand-over', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const disk = new HandDurability();
      const o = owner(disk);
      const answer = o.execute(put('k', 'v'), ctx);
      await o.idle();
      // 5 s after the hand-over, but the persistence side finished a file 1 s ago (a large table
      // being written file after file): the write waits on.
      disk.stalled = 1000;
      await vi.advanceTimersByTimeAsync(5000);
      expect(await settledYet(answer)).toBe(false);
      // Then nothing finishes for 5 s: the disk is taken as hung, the write fails and is undone.
      disk.stalled = 5000;
      await vi.advanceTimersByTimeAsync(4000);
      const failed = await answer;
      expect(failed?.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(failed?.remark).toMatch(/not on disk within 5000 ms of the last file written/);
      await o.idle();
      expect(o.kv.getKVConfig('ns', 'k')).toBe('old');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a DELETE of a key an unanswered write already removed waits for that write, and fails with it', async () => {
    // Review finding: such a DELETE changed nothing, recorded no op, and was answered SUCCESS at
    // once — before the first DELETE was on disk; when that one failed, its undo brought the
    // value back although the second DELETE had been acknowledged.
    const disk = new HandDurability();
    const o = owner(disk);
    const first = o.execute(del('k'), ctx);
    const second = o.execute(del('k'), ctx);
    await o.idle();
    expect(o.kv.getKVConfig('ns', 'k')).toBeNull();
    expect(await settledYet(second)).toBe(false);
    // No file for a change of nothing: it waits for the first one's.
    expect(disk.writes).toHaveLength(1);
    disk.writes[0]!.reject(new Error('disk full'));
    const [a, b] = await Promise.all([first, second]);
    expect(a?.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(b?.code).toBe(ResponseCode.SYSTEM_ERROR);
    await o.idle();
    expect(o.kv.getKVConfig('ns', 'k')).toBe('old');
  });

  it('a DELETE that changes nothing waits for the KV writes before it, writes no file, tells no listener', async () => {
    const disk = new HandDurability();
    const o = owner(disk);
    const heard: string[] = [];
    o.kv.onChanged((ns, key) => heard.push(`${ns}/${key}`));
    // Nothing before it: answered at once.
    expect((await o.execute(del('absent'), ctx))?.code).toBe(ResponseCode.SUCCESS);
    // Behind an unanswered PUT: answered after it.
    const written = o.execute(put('other', 'v'), ctx);
    const nothing = o.execute(del('absent'), ctx);
    await o.idle();
    expect(await settledYet(nothing)).toBe(false);
    expect(disk.writes).toHaveLength(1);
    disk.writes[0]!.resolve();
    expect((await written)?.code).toBe(ResponseCode.SUCCESS);
    expect((await nothing)?.code).toBe(ResponseCode.SUCCESS);
    expect(heard).toEqual(['ns/other']);
  });
});
