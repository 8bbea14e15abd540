/**
 * Large decodes travel sealed (issue 11): the decode thread serializes a 'full' or 'delta' of
 * SEAL_MIN_ROWS rows or more into one buffer, which the serving side forwards as it is and the
 * registry owner opens. Sealed or not, the owner resolves the same tables; the serving side still
 * knows what a sealed decode is (its kind, its base) to answer a 'resend'.
 *
 * Runs the compiled decode thread (dist/), so `tsc -b` must have run (pnpm test does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TopicConfig } from '@ns/protocol';
import { createSilentLogger } from '../src/logging.js';
import { RegistrationBases } from '../src/registry/registration-bases.js';
import { RegisterBodyDecoder } from '../src/serving/decode/register-body-decoder.js';
import {
  namesOf,
  seal,
  SEAL_MIN_ROWS,
  toRows,
  unseal,
} from '../src/serving/decode/decoded-registration.js';
import type {
  DecodedRegistration,
  OpenRegistration,
} from '../src/serving/decode/decoded-registration.js';
import { registerBody } from './handlers-harness.js';
import type { TestTopic } from './handlers-harness.js';
import { topicConfigs } from './topic-configs.js';

const DV = { counter: 3, timestamp: 7 };

function configs(n: number, queues: number): TopicConfig[] {
  return topicConfigs(n, queues, 'S');
}

function full(n: number): OpenRegistration {
  const cs = configs(n, 4);
  return {
    kind: 'full',
    base: 'd-1',
    rows: toRows(cs, cs.length),
    dataVersion: DV,
    filterServerList: ['10.0.0.9:1'],
    mappingDataVersion: DV,
    topicQueueMappingInfoMap: new Map([
      [
        'S1',
        {
          topic: 'S1',
          scope: 'sc',
          bname: 'b',
          epoch: 1,
          totalQueues: 4,
          dirty: false,
          currIdMap: new Map([[0, 1]]),
        },
      ],
    ]),
  };
}

/** What the route manager sees of a resolved body: tag and topics in order. */
function resolved(bases: RegistrationBases, d: DecodedRegistration) {
  const body = bases.resolve('k', d);
  if (body === 'resend' || body.kind !== 'body') return body;
  return { tag: body.tag, table: [...body.wrapper.topicConfigTable.values()] };
}

describe('seal / unseal', () => {
  it('seals a large full or delta, leaves small ones and the other kinds open', () => {
    expect(seal(full(SEAL_MIN_ROWS - 1)).kind).toBe('full');
    expect(seal({ kind: 'unchanged', base: 'd-1' })).toEqual({ kind: 'unchanged', base: 'd-1' });
    const big = full(SEAL_MIN_ROWS);
    const sealed = seal(big);
    expect(sealed).toMatchObject({ kind: 'sealed', of: 'full', base: 'd-1' });
    // Everything comes back: Int32Array rows, Maps, optional 5.x fields.
    expect(unseal(sealed)).toEqual(big);
    expect(unseal(big)).toBe(big);
  });

  it('refuses a sealed value that is not what it says', () => {
    const sealed = seal(full(SEAL_MIN_ROWS));
    if (sealed.kind !== 'sealed') throw new Error('expected sealed');
    expect(() => unseal({ ...sealed, of: 'delta' })).toThrow(/holds a 'full', not the 'delta'/);
  });

  it('the owner resolves a sealed decode to the same table as the open one', () => {
    const open = new RegistrationBases();
    const closed = new RegistrationBases();
    const big = full(SEAL_MIN_ROWS + 10);
    expect(resolved(closed, seal(big))).toEqual(resolved(open, big));
    expect(closed.size).toBe(1);
  });
});

const decoders: RegisterBodyDecoder[] = [];
afterEach(async () => {
  await Promise.all(decoders.splice(0).map((d) => d.close()));
});

describe('the decode thread seals large decodes', () => {
  // 10,000 topics; then every fourth changed: a delta of 2,500 rows (the codec falls back to a
  // full decode only past a quarter of the topics scanned).
  const topics: TestTopic[] = Array.from({ length: 10_000 }, (_, i) => ({ name: `big-${i}` }));
  const changed = topics.map((t, i) => (i % 4 === 0 ? { ...t, queues: 2 } : t));
  const job = (topicList: TestTopic[], counter: number) => ({
    key: 'C\u0000x:1',
    connectionId: 1,
    body: registerBody({ topics: topicList, counter }),
    compressed: false,
    version: 407,
    crc: 0,
    maxInflatedBytes: 64 << 20,
  });

  it('a full and a large delta come sealed, with their kind and base outside; the owner opens them', async () => {
    const d = new RegisterBodyDecoder('seal-test', createSilentLogger());
    decoders.push(d);
    const first = await d.decode(job(topics, 1));
    expect(first).toMatchObject({ kind: 'sealed', of: 'full' });
    const second = await d.decode(job(changed, 2));
    expect(second).toMatchObject({ kind: 'sealed', of: 'delta' });
    const delta = unseal(second);
    if (delta.kind !== 'delta') throw new Error('expected a delta');
    expect(delta.upserts.count).toBe(2_500);
    expect(namesOf(delta.upserts)).toHaveLength(2_500);
    expect(second).toMatchObject({ base: delta.base });

    // The owner: the same table as from an inline full decode of the second body.
    const bases = new RegistrationBases();
    resolved(bases, first);
    const viaDelta = resolved(bases, second);
    const fresh = new RegisterBodyDecoder('seal-test-2', createSilentLogger());
    decoders.push(fresh);
    const direct = resolved(new RegistrationBases(), await fresh.decode(job(changed, 2)));
    expect(viaDelta).not.toBe('resend');
    expect((viaDelta as { table: TopicConfig[] }).table).toEqual(
      (direct as { table: TopicConfig[] }).table,
    );
  });
});
