/**
 * RegistrationBases.resolveInSteps (issue 11): the owner keeps a broker's table as the decode
 * thread's rows and applies deltas by position; stepped or in one go, the tables, tags and
 * 'resend' answers are the same, and a delta that does not line up edits nothing.
 */
import { describe, expect, it } from 'vitest';
import type { TopicConfig } from '@ns/protocol';
import type { PreDecodedBody } from '../handlers/request-context.js';
import { toRows } from '../serving/decode/decoded-registration.js';
import type { DecodedRegistration } from '../serving/decode/decoded-registration.js';
import { RegistrationBases } from './registration-bases.js';
import { topicConfigs } from '../../test/topic-configs.js';

const DV = { counter: 1, timestamp: 1 };

function configs(n: number, queues: number, from = 0): TopicConfig[] {
  return topicConfigs(n, queues, 'T', from);
}

function full(base: string, cs: TopicConfig[]): DecodedRegistration {
  return { kind: 'full', base, rows: toRows(cs, cs.length), dataVersion: DV, filterServerList: [] };
}

/** A delta as the decode thread sends it; positions as RegisterBodyPositions has them. */
function delta(
  from: string,
  base: string,
  upserts: TopicConfig[],
  positions: { upsertAt: number[]; continues?: number[] },
  removed: string[] = [],
  inserted: [string | null, string][] = [],
): DecodedRegistration {
  return {
    kind: 'delta',
    from,
    base,
    upserts: toRows(upserts, upserts.length),
    removed,
    inserted,
    upsertAt: Int32Array.from(positions.upsertAt),
    continues: positions.continues === undefined ? null : Int32Array.from(positions.continues),
    dataVersion: DV,
    filterServerList: [],
  };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

function stepped(bases: RegistrationBases, key: string, d: DecodedRegistration) {
  const steps = bases.resolveInSteps(key, d, () => true);
  let stops = 0;
  for (;;) {
    const step = steps.next();
    if (step.done === true) return { value: step.value, stops };
    stops++;
  }
}

/** What the route manager sees of a resolved body: tag, topics in order, changed topics. */
function seen(body: PreDecodedBody | 'resend') {
  if (body === 'resend' || body.kind !== 'body') return body;
  return {
    tag: body.tag,
    table: [...body.wrapper.topicConfigTable.values()],
    changedSince: body.changedSince,
  };
}

const names = (body: PreDecodedBody | 'resend'): string[] => {
  if (body === 'resend' || body.kind !== 'body') throw new Error('expected a body');
  return [...body.wrapper.topicConfigTable.keys()];
};

describe('RegistrationBases.resolveInSteps', () => {
  const N = 10_000;
  const sequence: DecodedRegistration[] = [
    full('d-1', configs(N, 4)),
    { kind: 'unchanged', base: 'd-1' },
    // every topic changed, the last 10 removed
    delta(
      'd-1',
      'd-2',
      configs(N - 10, 8),
      { upsertAt: range(0, N - 10), continues: range(0, N - 10) },
      configs(10, 4, N - 10).map((c) => c.topicName),
    ),
    // a new topic after T5: every row after it moves one place
    delta(
      'd-2',
      'd-3',
      configs(1, 2, 50_000),
      { upsertAt: [6], continues: [...range(0, 6), -1, ...range(6, N - 10)] },
      [],
      [['T5', 'T50000']],
    ),
    // same order, one topic's queues
    delta('d-3', 'd-4', configs(1, 3, 7), { upsertAt: [8] }),
    // made against a base this side does not hold
    delta('d-9', 'd-10', configs(1, 2), { upsertAt: [0] }),
    // does not line up: row 3 is T3, the change names T4
    delta('d-4', 'd-5', configs(1, 9, 4), { upsertAt: [3] }),
    full('d-6', configs(300, 1)),
  ];

  it('gives what resolve gives, stopping while it builds a large reordered table', () => {
    const whole = new RegistrationBases();
    const steps = new RegistrationBases();
    const stops: number[] = [];
    for (const d of sequence) {
      const expected = seen(whole.resolve('b', d));
      const got = stepped(steps, 'b', d);
      expect(seen(got.value)).toEqual(expected);
      stops.push(got.stops);
      expect(steps.size).toBe(whole.size);
    }
    // Rows are kept as they came: a new broker's table is not rebuilt at all.
    expect(stops[0]).toBe(0);
    expect(stops[1]).toBe(0);
    // 9,990 changed topics named (a string and a TopicConfig each) with a stop every 1,024.
    expect(stops[2]).toBeGreaterThanOrEqual(9);
    // 10,000 rows copied into a new order, with a stop every 4,096.
    expect(stops[3]).toBeGreaterThanOrEqual(2);
  });

  it('applies each delta by position: the table is the new body, in its order', () => {
    const bases = new RegistrationBases();
    const at = (i: number) => bases.resolve('b', sequence[i]!);
    expect(names(at(0))).toEqual(configs(N, 4).map((c) => c.topicName));
    const removed = at(2);
    expect(names(removed)).toHaveLength(N - 10);
    expect(seen(removed)).toMatchObject({
      tag: 'd-2',
      table: configs(N - 10, 8).map((c) =>
        expect.objectContaining({ readQueueNums: c.readQueueNums }),
      ),
      changedSince: { tag: 'd-1', removed: configs(10, 4, N - 10).map((c) => c.topicName) },
    });
    const inserted = at(3);
    expect(names(inserted).slice(0, 8)).toEqual([
      'T0',
      'T1',
      'T2',
      'T3',
      'T4',
      'T5',
      'T50000',
      'T6',
    ]);
    expect(names(inserted)).toHaveLength(N - 9);
    const queues = at(4);
    if (queues === 'resend' || queues.kind !== 'body') throw new Error('expected a body');
    const table = queues.wrapper.topicConfigTable;
    expect(table.get('T7')).toMatchObject({ readQueueNums: 3, writeQueueNums: 3 });
    expect(table.get('T8')).toMatchObject({ readQueueNums: 8 });
    expect(table.get('T50000')).toMatchObject({ readQueueNums: 2 });
    expect(table.has('T9999')).toBe(false);
    expect(queues.changedSince).toEqual({
      tag: 'd-3',
      topics: ['T7'],
      configs: [expect.objectContaining({ topicName: 'T7', readQueueNums: 3 })],
      removed: [],
    });
  });

  it('a delta that does not line up is answered resend, edits nothing and forgets the base', () => {
    const bases = new RegistrationBases();
    const first = bases.resolve('b', full('d-1', configs(600, 4)));
    if (first === 'resend' || first.kind !== 'body') throw new Error('expected a body');
    const table = first.wrapper.topicConfigTable;
    const before = [...table.values()];
    for (const bad of [
      // an upsert of row 599 naming T9999
      delta('d-1', 'd-2', configs(1, 8, 9999), { upsertAt: [599] }),
      // a new entry (continues -1) without an upsert
      delta('d-1', 'd-2', [], { upsertAt: [], continues: [...range(0, 600), -1] }),
      // an upsert past the end
      delta('d-1', 'd-2', configs(1, 8), { upsertAt: [600] }),
      // two upserts for one entry
      delta('d-1', 'd-2', configs(2, 8), { upsertAt: [0, 0] }),
    ]) {
      bases.resolve('b', full('d-1', configs(600, 4)));
      expect(stepped(bases, 'b', bad).value).toBe('resend');
      expect(bases.size).toBe(0);
    }
    expect([...table.values()]).toEqual(before);
    const again = stepped(bases, 'b', full('d-3', configs(600, 4)));
    expect(seen(again.value)).toMatchObject({ tag: 'd-3' });
  });
});
