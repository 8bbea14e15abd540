/**
 * The owner's rows follow the decode thread's bases exactly: for any sequence of bodies (topics
 * changed, added, removed, moved, renamed; JSON and compressed), the rows the owner derives by
 * position (nextRowsInSteps) are the rows a full decode of the same body gives. The deltas come
 * from the real codec (decodeRegisterBodyWithBase), as the decode thread makes them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRegisterBodyWithBase, encodeRegisterBrokerBody, Version } from '@ns/protocol';
import type { RegisterBodyBase, TopicConfig } from '@ns/protocol';
import { namesOf, toRows } from '../serving/decode/decoded-registration.js';
import type { TopicRows } from '../serving/decode/decoded-registration.js';
import { nextRowsInSteps, TopicRowsTable } from './topic-rows-table.js';

interface Topic {
  name: string;
  queues: number;
  perm: number;
  flag?: number;
}

function body(topics: readonly Topic[], counter: number, compressed: boolean): Buffer {
  const table = new Map<string, TopicConfig>();
  for (const t of topics) {
    table.set(t.name, {
      topicName: t.name,
      readQueueNums: t.queues,
      writeQueueNums: t.queues,
      perm: t.perm,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: t.flag ?? 0,
      order: false,
    });
  }
  return encodeRegisterBrokerBody(
    {
      topicConfigSerializeWrapper: {
        dataVersion: { counter, timestamp: 1 },
        topicConfigTable: table,
      },
      filterServerList: [],
    },
    { compressed, version: compressed ? Version.V5_0_0 : Version.V4_9_7 },
  );
}

/** A readable form of rows: each row's name and numbers. */
function rowsOf(rows: TopicRows): [string, number, number, number, number][] {
  return namesOf(rows).map((name, i) => [
    name,
    rows.nums[4 * i]!,
    rows.nums[4 * i + 1]!,
    rows.nums[4 * i + 2]!,
    rows.nums[4 * i + 3]!,
  ]);
}

function run<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const s = steps.next();
    if (s.done === true) return s.value;
  }
}

/** Decodes `bodies` in turn as the decode thread and the owner do; checks the rows each time. */
function follow(bodies: readonly Buffer[], compressed: boolean): { deltas: number } {
  const options = {
    compressed,
    version: compressed ? Version.V5_0_0 : Version.V4_9_7,
    rows: true,
  };
  let base: RegisterBodyBase | null = null;
  let rows: TopicRows | null = null;
  let deltas = 0;
  for (const b of bodies) {
    const fresh = decodeRegisterBodyWithBase(b, options, null).delta;
    const expected =
      fresh.kind === 'rows'
        ? fresh.rows
        : fresh.kind === 'full'
          ? toRows(
              fresh.body.topicConfigSerializeWrapper.topicConfigTable.values(),
              fresh.body.topicConfigSerializeWrapper.topicConfigTable.size,
            )
          : null;
    if (expected === null) throw new Error(`a fresh decode gave ${fresh.kind}`);
    const r = decodeRegisterBodyWithBase(b, options, base);
    const d = r.delta;
    if (d.kind === 'unchanged') {
      expect(rows).not.toBeNull();
    } else if (d.kind === 'delta') {
      deltas++;
      const next: TopicRows | null = run(
        nextRowsInSteps(
          rows!,
          {
            upserts: toRows(d.upserts, d.upserts.length),
            upsertAt: d.upsertAt,
            continues: d.continues,
          },
          () => true,
        ),
      );
      expect(next).not.toBeNull();
      rows = next;
    } else if (d.kind === 'rows') {
      rows = d.rows;
    } else {
      const t = d.body.topicConfigSerializeWrapper.topicConfigTable;
      rows = toRows(t.values(), t.size);
    }
    expect(rowsOf(rows!)).toEqual(rowsOf(expected));
    // A base is only kept for bodies whose entries are its rows, one for one.
    base = r.base;
    if (base === null) rows = null;
  }
  return { deltas };
}

const name = fc.oneof(
  fc.integer({ min: 0, max: 60 }).map((i) => `T${i}`),
  fc.constantFrom('Tópico', 'topic/with\\slash', 'a"quote', '%RETRY%g', 'é'),
);
const topic = fc.record({
  name,
  queues: fc.constantFrom(1, 4, 8, 16, 1024),
  perm: fc.constantFrom(2, 4, 6),
  flag: fc.constantFrom(0, 1, 3),
});
/** A table: unique names, any order. */
const table = fc.uniqueArray(topic, { selector: (t) => t.name, maxLength: 40 });

describe('owner rows derived by position = rows of a full decode', () => {
  it.each([false, true])('random sequences of bodies (compressed: %s)', (compressed) => {
    let deltas = 0;
    fc.assert(
      fc.property(fc.array(table, { minLength: 1, maxLength: 6 }), (tables) => {
        deltas += follow(
          tables.map((t, i) => body(t, i + 1, compressed)),
          compressed,
        ).deltas;
      }),
      { numRuns: 300 },
    );
    // The property went through deltas, not only full decodes.
    expect(deltas).toBeGreaterThan(100);
  });

  it('edits, insertions, removals and moves in one large table', () => {
    const base = Array.from({ length: 3000 }, (_, i) => ({ name: `T${i}`, queues: 4, perm: 6 }));
    const changed = base.map((t, i) => (i % 100 === 0 ? { ...t, queues: 8 } : t));
    const renamed = changed.map((t, i) => (i % 100 === 50 ? { ...t, name: `${t.name}-new` } : t));
    const moved = [...renamed.slice(1000, 1010), ...renamed.slice(0, 1000), ...renamed.slice(1010)];
    const shrunk = moved.filter((_, i) => i % 7 !== 3);
    const bodies = [base, changed, renamed, moved, shrunk, base].map((t, i) =>
      body(t, i + 1, false),
    );
    expect(follow(bodies, false).deltas).toBeGreaterThanOrEqual(3);
  });
});

describe('TopicRowsTable', () => {
  const configs: TopicConfig[] = ['a', 'b', 'c'].map((n, i) => ({
    topicName: n,
    readQueueNums: i + 1,
    writeQueueNums: i + 2,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: i,
    order: false,
  }));
  const view = new TopicRowsTable(toRows(configs, configs.length));
  const map = new Map(configs.map((c) => [c.topicName, c]));

  it('reads as the Map of its rows would', () => {
    expect(view.size).toBe(3);
    expect([...view.keys()]).toEqual([...map.keys()]);
    expect([...view.values()]).toEqual([...map.values()]);
    expect([...view]).toEqual([...map]);
    expect(view.get('b')).toEqual(map.get('b'));
    expect(view.has('c')).toBe(true);
    expect(view.has('d')).toBe(false);
    expect(view.get('d')).toBeUndefined();
    const seen: string[] = [];
    view.forEach((v, k, m) => {
      expect(m).toBe(view);
      expect(v.topicName).toBe(k);
      seen.push(k);
    });
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('with keys of its own (a value naming another topic): keys for lookups, names for values', () => {
    const renamed = new TopicRowsTable(toRows(configs, configs.length), ['x', 'b', 'y']);
    expect([...renamed.keys()]).toEqual(['x', 'b', 'y']);
    expect([...renamed.values()].map((c) => c.topicName)).toEqual(['a', 'b', 'c']);
    expect([...renamed].map(([k, v]) => [k, v.topicName])).toEqual([
      ['x', 'a'],
      ['b', 'b'],
      ['y', 'c'],
    ]);
    expect(renamed.has('a')).toBe(false);
    expect(renamed.get('x')).toEqual(map.get('a'));
  });

  it('builds its name index in steps when asked to', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ ...configs[0]!, topicName: `t${i}` }));
    const big = new TopicRowsTable(toRows(many, many.length));
    const steps = big.prepareInSteps(() => true);
    let stops = 0;
    while (steps.next().done !== true) stops++;
    expect(stops).toBeGreaterThanOrEqual(2);
    expect(big.has('t9999')).toBe(true);
    expect(big.get('t5')?.topicName).toBe('t5');
  });
});
