/**
 * A registration on the registry owner does not copy the ORDER_TOPIC_CONFIG namespace: the
 * copy (KVConfigManager.getKVListByNamespace) is O(namespace), anyone may grow the namespace with
 * PUT_KV_CONFIG, and nothing used it (the REGISTER_BROKER handler sends a body it keeps per
 * namespace stamp). Copied every time, a registration took 45 ms on the owner's loop at 100,000
 * entries even with returnOrderTopicConfigToBroker=false.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  createRequest,
  encodeKVTable,
  LEGACY_JSON,
  RequestCode,
  ResponseCode,
  Version,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { RequestContext } from '../src/handlers/request-context.js';
import { toRows } from '../src/serving/decode/decoded-registration.js';
import type { DecodedRegistration } from '../src/serving/decode/decoded-registration.js';
import { ownerAlone } from './hostile-helpers.js';
import { topicConfigs } from './topic-configs.js';

const request = createRequest({
  code: RequestCode.REGISTER_BROKER,
  opaque: 1,
  version: Version.V4_9_7,
  extFields: {
    clusterName: 'C',
    brokerName: 'broker-a',
    brokerAddr: '10.0.0.1:10911',
    haServerAddr: '',
    brokerId: '0',
    bodyCrc32: '0',
    compressed: 'false',
  },
});
const ctx: RequestContext = { connectionId: 7, remoteAddress: '10.0.0.1:40000' };

function decoded(counter: number): DecodedRegistration {
  return {
    kind: 'full',
    base: `d-${counter}`,
    rows: toRows(topicConfigs(3, 4, 'order-conf-'), 3),
    dataVersion: { counter, timestamp: counter },
    filterServerList: [],
  };
}

async function registerTimes(returnOrderTopicConfigToBroker: boolean, times: number) {
  const owner = ownerAlone({ returnOrderTopicConfigToBroker });
  for (let i = 0; i < 50; i++)
    owner.kv.putKVConfig('ORDER_TOPIC_CONFIG', `Topic${i}`, 'broker-a:8');
  const expected = encodeKVTable(
    owner.kv.getKVListByNamespace('ORDER_TOPIC_CONFIG')!,
    LEGACY_JSON,
    owner.kv.namespaceTableCapacity('ORDER_TOPIC_CONFIG'),
  );
  // What the body is made from: the live entries (namespaceEntries, no copy), once per change.
  const copies = vi.spyOn(owner.kv, 'namespaceEntries');
  const answers: RemotingCommand[] = [];
  for (let i = 1; i <= times; i++) {
    const answer = (await owner.register(request, ctx, decoded(i))) as RemotingCommand;
    expect(answer.code).toBe(ResponseCode.SUCCESS);
    answers.push(answer);
  }
  return { copies: copies.mock.calls.length, answers, expected };
}

describe('REGISTER_BROKER and the ORDER_TOPIC_CONFIG namespace', () => {
  it('copies nothing when the namespace is not returned (returnOrderTopicConfigToBroker=false)', async () => {
    const { copies, answers } = await registerTimes(false, 5);
    expect(copies).toBe(0);
    for (const a of answers) expect(a.body ?? null).toBeNull();
  });

  it('copies the namespace once for its body, not once per registration, when it is returned', async () => {
    const { copies, answers, expected } = await registerTimes(true, 5);
    expect(copies).toBe(1);
    for (const a of answers) expect(a.body).toEqual(expected);
  });

  // A PUT_KV_CONFIG and a registration in turn made the owner encode the whole namespace in one
  // go, every time: tens of milliseconds at 100,000 entries, at will.
  it('encodes a large namespace for the answer in slices, giving the loop back in between', async () => {
    const owner = ownerAlone({ returnOrderTopicConfigToBroker: true });
    for (let i = 0; i < 100_000; i++) {
      owner.kv.putKVConfig('ORDER_TOPIC_CONFIG', `OrderTopic_${i}`, `broker-a:${i % 16}`);
    }
    const expected = encodeKVTable(
      owner.kv.getKVListByNamespace('ORDER_TOPIC_CONFIG')!,
      LEGACY_JSON,
      owner.kv.namespaceTableCapacity('ORDER_TOPIC_CONFIG'),
    );
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const answer = (await owner.register(request, ctx, decoded(1))) as RemotingCommand;
    counting = false;
    expect(answer.code).toBe(ResponseCode.SUCCESS);
    // Buffer.equals: toEqual walks a 3 MB body byte by byte for seconds.
    expect(Buffer.compare(answer.body!, expected)).toBe(0);
    expect(turns).toBeGreaterThan(1);
  });
});
