/**
 * A broker without a base of its own (a slave joining, a broker back on a new connection) is
 * decoded against the last base of its group (same cluster and broker name): a slave's first body
 * is its master's table, so it comes as 'unchanged' or a small delta, and the registry owner finds
 * that base's rows under the master. The differential fuzz (register-fuzz.test.ts) checks the
 * answers against the inline decode; this checks what each side keeps.
 */
import { describe, expect, it } from 'vitest';
import { bodyCrc32, encodeRegisterBrokerBody } from '@ns/protocol';
import type { TopicConfig } from '@ns/protocol';
import type { PreDecodedBody } from '../src/handlers/request-context.js';
import { RegistrationBases } from '../src/registry/registration-bases.js';
import { groupKey } from '../src/serving/decode/decoded-registration.js';
import type { OpenRegistration } from '../src/serving/decode/decoded-registration.js';
import { RegisterDecoderCore } from '../src/serving/decode/register-decoder-core.js';
import type { DecodeInput } from '../src/serving/decode/register-decoder-core.js';
import { topicConfigs } from './topic-configs.js';

const GROUP = groupKey('C', 'broker-a');
const MASTER = 'C\u000010.0.0.1:10911';
const SLAVE = 'C\u000010.0.0.2:10911';
const OTHER_SLAVE = 'C\u000010.0.0.3:10911';

function body(configs: TopicConfig[], counter: number): Buffer {
  return encodeRegisterBrokerBody(
    {
      topicConfigSerializeWrapper: {
        dataVersion: { counter, timestamp: 1_700_000_000_000 + counter },
        topicConfigTable: new Map(configs.map((c) => [c.topicName, c])),
      },
      filterServerList: [],
    },
    { compressed: false, version: 407 },
  );
}

function input(key: string, connectionId: number, b: Buffer, group?: string): DecodeInput {
  return {
    key,
    connectionId,
    // A copy: the decoder keeps what it is given (as the thread keeps the body moved to it).
    body: new Uint8Array(b),
    compressed: false,
    version: 407,
    crc: bodyCrc32(b),
    maxInflatedBytes: 64 * 1024 * 1024,
    ...(group === undefined ? {} : { group }),
  };
}

/** A resolved table as (name, read queues), by name (the encoder writes Java's hash order). */
function table(resolved: PreDecodedBody | 'resend'): [string, number][] {
  if (resolved === 'resend') throw new Error("got 'resend'");
  if (resolved.kind !== 'body') throw new Error(`got ${resolved.kind}`);
  return byName([...resolved.wrapper.topicConfigTable.values()]);
}

const expected = (configs: TopicConfig[]): [string, number][] => byName(configs);

const byName = (configs: TopicConfig[]): [string, number][] =>
  configs
    .map((c): [string, number] => [c.topicName, c.readQueueNums])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

describe('bases shared within a broker group', () => {
  const B = topicConfigs(3000, 8, 'T');
  const B2 = B.map((c, i) => (i === 7 ? { ...c, readQueueNums: 16 } : c));
  const B3 = B.map((c, i) => (i === 9 ? { ...c, readQueueNums: 2 } : c));

  it("a slave's first body is decoded against its master's base, and each keeps rows of its own", () => {
    const core = new RegisterDecoderCore('t');
    const bases = new RegistrationBases();
    const resolve = (key: string, decoded: OpenRegistration) => bases.resolve(key, decoded);

    const master = core.decode(input(MASTER, 1, body(B, 1), GROUP));
    expect(master.kind).toBe('full');
    expect(table(resolve(MASTER, master))).toEqual(expected(B));
    const masterBase = (master as { base: string }).base;

    // The same bytes from the slave: 'unchanged' against the master's base.
    const slave = core.decode(input(SLAVE, 2, body(B, 1), GROUP));
    expect(slave).toEqual({ kind: 'unchanged', base: masterBase });
    expect(table(resolve(SLAVE, slave))).toEqual(expected(B));
    // The base is the slave's now too: a 'resend' of that answer decodes it for the slave.
    expect(table(resolve(SLAVE, core.fullOfBase(SLAVE, masterBase)))).toEqual(expected(B));

    // The slave's next body: a delta from the base it now holds.
    const slaveDelta = core.decode(input(SLAVE, 2, body(B2, 2), GROUP));
    expect(slaveDelta).toMatchObject({ kind: 'delta', from: masterBase });
    expect(table(resolve(SLAVE, slaveDelta))).toEqual(expected(B2));

    // The master's rows were not touched by the slave's delta.
    const again = core.decode(input(MASTER, 1, body(B, 1), GROUP));
    expect(again).toEqual({ kind: 'unchanged', base: masterBase });
    expect(table(resolve(MASTER, again))).toEqual(expected(B));

    // A second slave with another table: a delta against the group's latest (the first slave's).
    const other = core.decode(input(OTHER_SLAVE, 3, body(B3, 2), GROUP));
    expect(other).toMatchObject({ kind: 'delta', from: (slaveDelta as { base: string }).base });
    expect(table(resolve(OTHER_SLAVE, other))).toEqual(expected(B3));

    // A 'resend' of the slave's unchanged answer decodes the body it stands for.
    const full = core.fullOfBase(SLAVE, (slaveDelta as { base: string }).base);
    expect(full.kind).toBe('full');
    expect(table(resolve(SLAVE, full))).toEqual(expected(B2));
  });

  it('without a group, or once the group has no base left, a first body is decoded in full', () => {
    const core = new RegisterDecoderCore('t');
    expect(core.decode(input(MASTER, 1, body(B, 1), GROUP)).kind).toBe('full');
    expect(core.decode(input(SLAVE, 2, body(B, 1))).kind).toBe('full');
    expect(core.decode(input(OTHER_SLAVE, 3, body(B, 1), groupKey('C', 'broker-b'))).kind).toBe(
      'full',
    );
    core.forget(SLAVE);
    core.connectionClosed(1);
    expect(core.size).toBe(1);
    expect(core.decode(input(SLAVE, 4, body(B, 1), GROUP)).kind).toBe('full');
  });

  it("the owner answers 'resend' when the group base it is told of is gone", () => {
    const core = new RegisterDecoderCore('t');
    const bases = new RegistrationBases();
    const master = core.decode(input(MASTER, 1, body(B, 1), GROUP));
    bases.resolve(MASTER, master);
    const slave = core.decode(input(SLAVE, 2, body(B2, 2), GROUP));
    expect(slave.kind).toBe('delta');
    // The master left meanwhile: its rows are gone, so are the slave's base's.
    bases.forget(MASTER);
    expect(bases.resolve(SLAVE, slave)).toBe('resend');
  });
});
