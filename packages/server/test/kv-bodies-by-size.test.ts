/**
 * KV bodies are sliced by the size of what they encode, not only by their number of entries: 2,000
 * values of 30 KB (fewer than SLICED_FROM entries, a STEP of 2048 of them) were built in one step
 * of 60 MB that held the event loop 1.2 s, GET_KVLIST_BY_NAMESPACE, /kv/{ns} and /kv alike, and
 * the body's parts were then joined in one Buffer.concat (140–160 ms at 60 MB).
 *
 * Checked by structure: how many characters of keys and values one step reads, and how many steps
 * a join takes; the bytes stay those of the one-go encoders.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  encodeKVTable,
  javaHashMapCapacity,
  javaHashOrderBy,
  javaStringHashCode,
  LEGACY_JSON,
  RequestCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import {
  concatInSteps,
  COPY_STEP_BYTES,
  javaStringHashOrderInSteps,
  kvTableBodyInSteps,
  namespaceFitsOneGo,
  namespaceSnapshotInSteps,
  STEP_CHARS,
} from '../src/handlers/list-bodies-in-steps.js';
import { kvNamespaceBody, kvTableBody } from '../src/http/kv-views.js';
import { runCountingSteps, runToEnd } from '../src/slices/slice-queue.js';
import type { SlicedJob } from '../src/slices/slice-queue.js';
import { createHarness, request } from './handlers-harness.js';

const COUNT = 200;
const VALUE = 20_001;

/** COUNT keys with values of VALUE characters, a few needing escapes or outside ASCII. */
function bigEntries(): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < COUNT; i++) {
    const fill = i % 3 === 0 ? 'é' : i % 3 === 1 ? 'x' : '"';
    m.set(`k${i}`, fill.repeat(VALUE - 1) + String(i % 10));
  }
  return m;
}

/** Characters read through `counted` since the last `take()`. */
class ReadMeter {
  private chars = 0;
  add(s: unknown): void {
    if (typeof s === 'string') this.chars += s.length;
  }
  take(): number {
    const n = this.chars;
    this.chars = 0;
    return n;
  }
}

/** An array whose element reads are counted. */
function counted(items: readonly string[], meter: ReadMeter): readonly string[] {
  return new Proxy(items, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && /^\d+$/.test(prop)) meter.add(v);
      return v;
    },
  });
}

/** A namespace Map whose value reads (`get`, as the /kv views read them) are counted. */
class CountedMap extends Map<string, string | null> {
  meter: ReadMeter | null = null;
  override get(key: string): string | null | undefined {
    const v = super.get(key);
    this.meter?.add(v);
    return v;
  }
}

/** Runs `job` to its end; the most characters `meter` saw between two yields, and the value. */
function widestStep<T>(
  job: SlicedJob<T>,
  meter: ReadMeter,
): { value: T; widest: number; steps: number } {
  let widest = 0;
  let steps = 0;
  meter.take();
  for (;;) {
    const step = job.next();
    widest = Math.max(widest, meter.take());
    if (step.done === true) return { value: step.value, widest, steps };
    steps++;
  }
}

/** What the /kv views wrote before (toJson of plain objects, keys in code-unit order). */
function sortedObject(entries: ReadonlyMap<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...entries.keys()].sort()) {
    const v = entries.get(k);
    if (v !== null && v !== undefined) out[k] = v;
  }
  return out;
}

describe('KV bodies are built in steps of bounded size', () => {
  it('GET_KVLIST_BY_NAMESPACE body: a step reads at most STEP_CHARS of values plus one value', () => {
    const entries = bigEntries();
    const snapshot = runToEnd(
      namespaceSnapshotInSteps({ entries: () => entries, stamp: () => 1, capacity: () => 16 }),
    )!;
    const meter = new ReadMeter();
    const { value, widest, steps } = widestStep(
      kvTableBodyInSteps({ ...snapshot, values: counted(snapshot.values, meter) }),
      meter,
    );
    expect(widest).toBeLessThanOrEqual(STEP_CHARS + VALUE);
    expect(steps).toBeGreaterThanOrEqual(Math.floor((COUNT * VALUE) / (STEP_CHARS + VALUE)));
    const expected = encodeKVTable(
      { table: entries },
      LEGACY_JSON,
      javaHashMapCapacity(entries.size, 16),
    );
    expect(value.equals(expected)).toBe(true);
  });

  it('ordering long keys as Java hashes them: a step hashes at most STEP_CHARS plus one key', () => {
    const keys = Array.from({ length: COUNT }, (_, i) => `${'key'.repeat(VALUE / 3)}${i}`);
    const meter = new ReadMeter();
    const capacity = javaHashMapCapacity(keys.length);
    const { value, widest } = widestStep(
      javaStringHashOrderInSteps(counted(keys, meter), capacity),
      meter,
    );
    expect(widest).toBeLessThanOrEqual(STEP_CHARS + VALUE + 10);
    const expected = javaHashOrderBy(keys, javaStringHashCode, { capacity });
    expect([...value].map((i) => keys[i])).toEqual(expected);
  });

  it('/kv/{namespace} and /kv: a step reads at most STEP_CHARS of values plus one value', () => {
    const entries = new CountedMap(bigEntries());
    entries.set('gone', null);
    const meter = new ReadMeter();
    entries.meter = meter;
    const one = widestStep(kvNamespaceBody('big', entries), meter);
    expect(one.widest).toBeLessThanOrEqual(STEP_CHARS + VALUE);
    expect(one.value.toString('utf8')).toBe(
      JSON.stringify({ namespace: 'big', table: sortedObject(entries) }),
    );
    const all = widestStep(kvTableBody(new Map([['big', entries]])), meter);
    expect(all.widest).toBeLessThanOrEqual(STEP_CHARS + VALUE);
    expect(all.value.toString('utf8')).toBe(
      JSON.stringify({ configTable: { big: sortedObject(entries) } }),
    );
  });

  it('joins the parts of a body COPY_STEP_BYTES at a time, with the bytes of Buffer.concat', () => {
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(70_001 + i, i));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const { value, steps } = runCountingSteps(concatInSteps(parts));
    expect(value.equals(Buffer.concat(parts))).toBe(true);
    expect(steps).toBe(Math.floor(total / COPY_STEP_BYTES));
    // Small bodies: in one go, as before.
    const small = [Buffer.from('{"a":'), Buffer.from('1}')];
    expect(runCountingSteps(concatInSteps(small))).toEqual({
      value: Buffer.from('{"a":1}'),
      steps: 0,
    });
  });

  it('a namespace is encoded in one go only when it is small in characters as well as entries', () => {
    expect(namespaceFitsOneGo(new Map([['k', 'v']]))).toBe(true);
    expect(namespaceFitsOneGo(new Map([['k', 'x'.repeat(STEP_CHARS - 2)]]))).toBe(true);
    expect(namespaceFitsOneGo(new Map([['k', 'x'.repeat(STEP_CHARS)]]))).toBe(false);
    expect(namespaceFitsOneGo(bigEntries())).toBe(false);
    const manyNulls = new Map<string, string | null>();
    for (let i = 0; i < 5000; i++) manyNulls.set(`k${i}`, null);
    expect(namespaceFitsOneGo(manyNulls)).toBe(false);
  });

  it('GET_KVLIST_BY_NAMESPACE of few but large values answers later, with the one-go bytes', async () => {
    const h = createHarness();
    for (const [k, v] of bigEntries()) h.kv.putKVConfig('BIG', k, v);
    for (let i = 0; i < 100; i++) h.kv.putKVConfig('SMALL', `k${i}`, 'v');
    const ctx = { connectionId: 1, remoteAddress: '127.0.0.1:50000' };
    const ask = (namespace: string) =>
      h.dispatcher.dispatch(
        request(RequestCode.GET_KVLIST_BY_NAMESPACE, { ext: { namespace } }),
        ctx,
      );
    const expected = (namespace: string): Buffer =>
      encodeKVTable(
        h.kv.getKVListByNamespace(namespace)!,
        LEGACY_JSON,
        h.kv.namespaceTableCapacity(namespace),
      );
    const small = ask('SMALL');
    // (instanceof as a boolean: a failure message would print a body of megabytes)
    expect(small instanceof Promise).toBe(false);
    expect((small as RemotingCommand).body!.equals(expected('SMALL'))).toBe(true);
    const big = ask('BIG');
    expect(big instanceof Promise).toBe(true);
    const answer = (await big) as RemotingCommand;
    expect(answer.body!.equals(expected('BIG'))).toBe(true);
  });

  it('GET_KVLIST_BY_NAMESPACE asked again after a write, while the body before it is still being built, answers with the write', async () => {
    const h = createHarness();
    for (const [k, v] of bigEntries()) h.kv.putKVConfig('BIG', k, v);
    const ctx = { connectionId: 1, remoteAddress: '127.0.0.1:50000' };
    const ask = () =>
      h.dispatcher.dispatch(
        request(RequestCode.GET_KVLIST_BY_NAMESPACE, { ext: { namespace: 'BIG' } }),
        ctx,
      );
    const copies = vi.spyOn(h.kv, 'namespaceEntries');
    const before = ask();
    expect(before instanceof Promise).toBe(true);
    // Its job has copied the namespace (the handler's own size check is the first call): the
    // body it builds is the state before the write.
    while (copies.mock.calls.length < 2) await new Promise((r) => setImmediate(r));
    // Acknowledged before the second read: that read must see it (read-your-writes).
    h.kv.putKVConfig('BIG', 'written-meanwhile', 'yes');
    const after = ask();
    const body = ((await after) as RemotingCommand).body!;
    expect(body.includes('"written-meanwhile":"yes"')).toBe(true);
    const expected = encodeKVTable(
      h.kv.getKVListByNamespace('BIG')!,
      LEGACY_JSON,
      h.kv.namespaceTableCapacity('BIG'),
    );
    expect(body.equals(expected)).toBe(true);
    expect(((await before) as RemotingCommand).body!.includes('written-meanwhile')).toBe(false);
  });
});
