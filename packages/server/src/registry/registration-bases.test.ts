/**
 * RegistrationBases.resolveInSteps (issue 11): the owner rebuilds a broker's table from the
 * decode thread's rows in steps; stepped or in one go, the tables, tags and 'resend' answers are
 * the same, and a delta that does not fit edits nothing.
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

function delta(
  from: string,
  base: string,
  upserts: TopicConfig[],
  removed: string[],
  inserted: [string | null, string][] = [],
): DecodedRegistration {
  return {
    kind: 'delta',
    from,
    base,
    upserts: toRows(upserts, upserts.length),
    removed,
    inserted,
    dataVersion: DV,
    filterServerList: [],
  };
}

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

describe('RegistrationBases.resolveInSteps', () => {
  const sequence: DecodedRegistration[] = [
    full('d-1', configs(2000, 4)),
    { kind: 'unchanged', base: 'd-1' },
    // every topic changed, 10 removed
    delta(
      'd-1',
      'd-2',
      configs(1990, 8),
      configs(10, 4, 1990).map((c) => c.topicName),
    ),
    // a delta with an insertion: the table rebuilt in the body's order, in steps too
    delta('d-2', 'd-3', configs(1, 2, 5000), [], [['T5', 'T5000']]),
    // made against a base this side does not hold
    delta('d-9', 'd-10', configs(1, 2), []),
    // does not fit: removes a topic the table lacks
    delta('d-3', 'd-4', [], ['nope']),
    full('d-5', configs(300, 1)),
  ];

  it('gives what resolve gives, stopping while it builds or edits a large table', () => {
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
    // 2,000 rows with a stop every 256; the full update checks 2,000 names, then edits them.
    expect(stops[0]).toBeGreaterThanOrEqual(7);
    expect(stops[2]).toBeGreaterThanOrEqual(15);
    expect(stops[1]).toBe(0);
    // 1,990 topics copied into a new table, one inserted after T5.
    expect(stops[3]).toBeGreaterThanOrEqual(7);
  });

  it('a delta that does not fit is answered resend, edits nothing and forgets the base', () => {
    const bases = new RegistrationBases();
    const first = stepped(bases, 'b', full('d-1', configs(600, 4))).value;
    if (first === 'resend' || first.kind !== 'body') throw new Error('expected a body');
    const table = first.wrapper.topicConfigTable;
    const before = [...table.values()];
    // T0..T598 exist, T9999 does not: the check fails after many stops, before any edit.
    const bad = delta('d-1', 'd-2', [...configs(599, 8), ...configs(1, 8, 9999)], ['T599']);
    expect(stepped(bases, 'b', bad).value).toBe('resend');
    expect([...table.values()]).toEqual(before);
    expect(bases.size).toBe(0);
    const again = stepped(bases, 'b', full('d-3', configs(600, 4)));
    expect(seen(again.value)).toMatchObject({ tag: 'd-3' });
  });

  it('names every topic by the string the route tables keep for it (full, update, insertion)', () => {
    const asked: string[] = [];
    // A stand-in for RouteTables.topicName that shows which names went through it.
    const bases = new RegistrationBases((name) => {
      asked.push(name);
      return name;
    });
    stepped(bases, 'b', full('n-1', configs(3, 4)));
    expect(asked).toEqual(['T0', 'T1', 'T2']);
    asked.length = 0;
    stepped(bases, 'b', delta('n-1', 'n-2', configs(1, 8, 1), []));
    expect(asked).toEqual(['T1']);
    asked.length = 0;
    const last = stepped(bases, 'b', delta('n-2', 'n-3', configs(1, 4, 7), [], [['T2', 'T7']]));
    expect(asked).toEqual(['T7']);
    expect(seen(last.value)).toMatchObject({
      table: [
        expect.objectContaining({ topicName: 'T0' }),
        expect.anything(),
        expect.anything(),
        expect.objectContaining({ topicName: 'T7' }),
      ],
    });
  });
});
