/**
 * Large topic lists and KV namespaces are built a slice at a time (handlers/list-bodies-in-steps.ts):
 * the answer comes later, with the bytes the one-go encoders write, and a change while the body is
 * being built never leaves a body kept for a state it does not show.
 */
import { describe, expect, it } from 'vitest';
import { encodeKVTable, encodeTopicList, LEGACY_JSON, RequestCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { topicListOrderLikeJava } from '../src/handlers/java-order.js';
import { SLICED_FROM } from '../src/handlers/list-bodies-in-steps.js';
import { createHarness, register, request } from './handlers-harness.js';
import type { Harness, TestTopic } from './handlers-harness.js';

const LARGE = SLICED_FROM + 3000;

function topicsNamed(prefix: string, count: number, topicSysFlag = 0): TestTopic[] {
  return Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}`, topicSysFlag }));
}

/** Sends a request and returns the dispatcher's answer as it is: a response or a promise of one. */
function dispatch(
  h: Harness,
  code: number,
  ext: Record<string, string> = {},
): RemotingCommand | Promise<RemotingCommand | null> | null {
  return h.dispatcher.dispatch(request(code, { ext }), {
    connectionId: 1,
    remoteAddress: '127.0.0.1:50000',
  });
}

async function answered(pending: ReturnType<typeof dispatch>): Promise<RemotingCommand> {
  const res = await pending;
  if (res === null) throw new Error('no response');
  return res;
}

function allTopicsBody(h: Harness): Buffer {
  return encodeTopicList({
    topicList: topicListOrderLikeJava(h.config().compatibilityLine, h.routes.getAllTopicList()),
  });
}

/** The one-go GET_KVLIST_BY_NAMESPACE body of `namespace` as it stands. */
function namespaceBody(h: Harness, namespace: string): Buffer {
  return encodeKVTable(
    h.kv.getKVListByNamespace(namespace)!,
    LEGACY_JSON,
    h.kv.namespaceTableCapacity(namespace),
  );
}

describe('large list bodies are built in slices', () => {
  it('GET_ALL_TOPIC_LIST of a large table answers later, with the one-go bytes, then at once', async () => {
    const h = createHarness();
    register(h, { topics: topicsNamed('t', LARGE) });
    const expected = allTopicsBody(h);
    const first = dispatch(h, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    expect(first).toBeInstanceOf(Promise);
    // A second request while the first is being built waits for the same body.
    const second = dispatch(h, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    const [a, b] = await Promise.all([answered(first), answered(second)]);
    expect(a.body!.equals(expected)).toBe(true);
    expect(b.body).toBe(a.body);
    // Kept: the next request is answered at once with the same Buffer.
    const third = dispatch(h, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    expect(third).not.toBeInstanceOf(Promise);
    expect((third as RemotingCommand).body).toBe(a.body);
  });

  it('a topic added while the list is built is not in that answer, and the next one has it', async () => {
    const h = createHarness();
    register(h, { topics: topicsNamed('t', LARGE) });
    const before = allTopicsBody(h);
    const pending = dispatch(h, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    register(h, {
      brokerName: 'broker-b',
      brokerAddr: '127.0.0.1:10921',
      topics: [{ name: 'late' }],
    });
    expect((await answered(pending)).body!.equals(before)).toBe(true);
    const next = await answered(dispatch(h, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER));
    expect(next.body!.equals(allTopicsBody(h))).toBe(true);
    expect(next.body!.toString()).toContain('"late"');
  });

  it('a unit list is walked when its build runs: a route change before that is in it, and it is kept', async () => {
    const h = createHarness();
    register(h, { topics: topicsNamed('u', LARGE, 1) });
    const pending = dispatch(h, RequestCode.GET_UNIT_TOPIC_LIST);
    expect(pending).toBeInstanceOf(Promise);
    // Same topics, one of them no longer a unit topic: a route change, no membership change.
    register(h, {
      topics: [...topicsNamed('u', LARGE - 1, 1), { name: `u-${LARGE - 1}`, topicSysFlag: 0 }],
      counter: 2,
    });
    const answer = await answered(pending);
    const expected = encodeTopicList({
      topicList: topicListOrderLikeJava(h.config().compatibilityLine, h.routes.getUnitTopics()),
    });
    expect(answer.body!.equals(expected)).toBe(true);
    expect(answer.body!.toString()).not.toContain(`"u-${LARGE - 1}"`);
    const again = dispatch(h, RequestCode.GET_UNIT_TOPIC_LIST);
    expect((again as RemotingCommand).body).toBe(answer.body);
  });

  it('GET_TOPICS_BY_CLUSTER of a large table: the one-go bytes, kept', async () => {
    const h = createHarness();
    register(h, { topics: topicsNamed('c', LARGE) });
    register(h, {
      brokerName: 'broker-b',
      brokerAddr: '127.0.0.1:10921',
      topics: topicsNamed('d', 10),
    });
    const cluster = h.routes.getAllClusterInfo().clusterAddrTable.keys().next().value!;
    const expected = encodeTopicList({
      topicList: topicListOrderLikeJava(
        h.config().compatibilityLine,
        h.routes.getTopicsByCluster(cluster),
      ),
    });
    const pending = dispatch(h, RequestCode.GET_TOPICS_BY_CLUSTER, { cluster });
    expect(pending).toBeInstanceOf(Promise);
    const answer = await answered(pending);
    expect(answer.body!.equals(expected)).toBe(true);
    const again = dispatch(h, RequestCode.GET_TOPICS_BY_CLUSTER, { cluster });
    expect((again as RemotingCommand).body).toBe(answer.body);
  });

  it('GET_KVLIST_BY_NAMESPACE of a large namespace answers later, with the one-go bytes, then at once', async () => {
    const h = createHarness();
    for (let i = 0; i < LARGE; i++) h.kv.putKVConfig('NS', `k${i}`, i % 5 === 0 ? null : 'v');
    for (let i = 0; i < 100; i++) h.kv.deleteKVConfig('NS', `k${i}`);
    const encoded = (): Buffer => namespaceBody(h, 'NS');
    const pending = dispatch(h, RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'NS' });
    expect(pending).toBeInstanceOf(Promise);
    const first = await answered(pending);
    expect(first.body!.equals(encoded())).toBe(true);
    const kept = dispatch(h, RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'NS' });
    expect((kept as RemotingCommand).body).toBe(first.body);
  });

  it('a KV write after the request and before its build is in the answer, kept for the stamp it shows', async () => {
    const h = createHarness();
    for (let i = 0; i < LARGE; i++) h.kv.putKVConfig('NS', `k${i}`, 'v');
    const encoded = (): Buffer => namespaceBody(h, 'NS');
    const pending = dispatch(h, RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'NS' });
    h.kv.putKVConfig('NS', 'k0', 'changed');
    const answer = await answered(pending);
    expect(answer.body!.equals(encoded())).toBe(true);
    // It shows the namespace as it stands: the next request gets it at once.
    const again = dispatch(h, RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'NS' });
    expect((again as RemotingCommand).body).toBe(answer.body);
    h.kv.putKVConfig('NS', 'k1', 'changed too');
    const next = await answered(
      dispatch(h, RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'NS' }),
    );
    expect(next.body!.equals(encoded())).toBe(true);
  });

  it('a namespace gone by the time its build starts answers "not found"', async () => {
    const h = createHarness();
    expect(
      (await answered(dispatch(h, RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'NONE' })))
        .remark,
    ).toBe('No config item, Namespace: NONE');
  });
});
