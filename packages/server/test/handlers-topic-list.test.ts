import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createRequest,
  decodeFrame,
  encodeCommand,
  encodeTopicList,
  RequestCode,
  ResponseCode,
  SerializeType,
} from '@ns/protocol';
import type { JavaLine, RemotingCommand } from '@ns/protocol';
import type { RouteReadStore } from '../src/handlers/deps.js';
import { topicListOrderLikeJava } from '../src/handlers/java-order.js';
import { javaLineProfile } from '../src/handlers/java-line.js';
import { topicListHandlers } from '../src/handlers/topic-list.js';
import { toRows } from '../src/serving/decode/decoded-registration.js';
import { bodyText, createHarness, register } from './handlers-harness.js';
import type { Harness } from './handlers-harness.js';
import { ownerWithReplica } from './hostile-helpers.js';
import { topicConfigs } from './topic-configs.js';

const FIXTURES_5_3_3 = new URL('../../../fixtures/rocketmq-5.3.3/', import.meta.url);

/** The first REGISTER_BROKER a 5.3.3 broker sent in one of the capture's recordings. */
function firstRegistration(recording: string): RemotingCommand {
  const text = readFileSync(new URL(`recordings/${recording}`, FIXTURES_5_3_3), 'utf8');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const frame = JSON.parse(line) as { dir?: string; code?: number; hex?: string };
    if (frame.dir === 'c2s' && frame.code === 103) {
      return decodeFrame(Buffer.from(frame.hex!, 'hex').subarray(4));
    }
  }
  throw new Error(`no REGISTER_BROKER in ${recording}`);
}

function fixtureBody(name: string): Buffer {
  const frame = Buffer.from(readFileSync(new URL(name, FIXTURES_5_3_3), 'utf8').trim(), 'hex');
  return frame.subarray(8 + (frame.readUInt32BE(4) & 0xffffff));
}

function topics(res: { body: Buffer | null }): string[] {
  return (JSON.parse(res.body!.toString('utf8')) as { topicList: string[] }).topicList.sort();
}

describe('topic list handlers (206, 224, 304, 311, 312, 313)', () => {
  function setup() {
    const h = createHarness();
    register(h, {
      topics: [
        { name: 'Plain' },
        { name: 'Unit', topicSysFlag: 1 },
        { name: 'UnitSub', topicSysFlag: 2 },
        { name: 'Both', topicSysFlag: 3 },
      ],
    });
    register(h, {
      cluster: 'Other',
      brokerName: 'broker-x',
      brokerAddr: '10.0.0.5:10911',
      topics: [{ name: 'Elsewhere' }],
      connectionId: 2,
    });
    return h;
  }

  it('GET_ALL_TOPIC_LIST_FROM_NAMESERVER lists every topic', () => {
    const res = setup().send(206);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(topics(res)).toEqual(['Both', 'Elsewhere', 'Plain', 'Unit', 'UnitSub']);
    expect(bodyText(res)).not.toContain('brokerAddr');
  });

  it('GET_TOPICS_BY_CLUSTER lists the cluster topics; an unknown cluster is an empty list', () => {
    const h = setup();
    expect(topics(h.send(224, { ext: { cluster: 'Other' } }))).toEqual(['Elsewhere']);
    expect(bodyText(h.send(224, { ext: { cluster: 'NoSuchCluster' } }))).toBe('{"topicList":[]}');
    // No cluster at all: Java reads it as null, which no cluster is.
    const none = h.send(224, {});
    expect([none.code, bodyText(none)]).toEqual([ResponseCode.SUCCESS, '{"topicList":[]}']);
  });

  it('GET_SYSTEM_TOPIC_LIST_FROM_NS lists cluster and broker names plus one broker address', () => {
    const res = setup().send(304);
    expect(topics(res)).toEqual(['DefaultCluster', 'Other', 'broker-a', 'broker-x']);
    const addr = (JSON.parse(bodyText(res)!) as { brokerAddr: string }).brokerAddr;
    expect(['10.0.0.1:10911', '10.0.0.5:10911']).toContain(addr);
  });

  it('unit lists select by the first QueueData flags', () => {
    const h = setup();
    expect(topics(h.send(311))).toEqual(['Both', 'Unit']);
    expect(topics(h.send(312))).toEqual(['Both', 'UnitSub']);
    expect(topics(h.send(313))).toEqual(['UnitSub']);
  });

  it('enableAllTopicList=false / enableTopicList=false answer SYSTEM_ERROR "disable" (5.x)', () => {
    const h = createHarness({ config: { enableAllTopicList: false, enableTopicList: false } });
    for (const code of [206, 311, 312, 313]) {
      const res = h.send(code);
      expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(res.remark).toBe('disable');
    }
    expect(h.send(224, { ext: { cluster: 'c' } }).remark).toBe('disable');
    // The system topic list is not gated.
    expect(h.send(304).code).toBe(ResponseCode.SUCCESS);
  });

  // Issue 15: two 5.3.3 masters registered (broker-a, then broker-b), then `mqadmin topicList`.
  // rmq_sys_wheel_timer and both rmq_sys_SYNC_BROKER_MEMBER_* share a bucket of the list's set.
  describe('the order of the list follows the Java line (two 5.3.3 masters)', () => {
    function twoMasters(line: '5.x' | '4.9') {
      const h = createHarness({ config: { compatibilityLine: line } });
      h.dispatch(firstRegistration('s6-broker-a.jsonl'), { connectionId: 1 });
      h.dispatch(firstRegistration('s6-broker-b.jsonl'), { connectionId: 2 });
      return h;
    }
    const order = (res: { body: Buffer | null }) =>
      (JSON.parse(res.body!.toString('utf8')) as { topicList: string[] }).topicList.filter(
        (t) => t === 'rmq_sys_wheel_timer' || t.startsWith('rmq_sys_SYNC_BROKER_MEMBER_'),
      );

    it('5.x: the bytes Java 5.3.3 sent (fixture get-all-topic-list-two-masters)', () => {
      const res = twoMasters('5.x').send(206, { version: 479 });
      expect(res.body).toEqual(fixtureBody('get-all-topic-list-two-masters.response.hex'));
      expect(order(res)).toEqual([
        'rmq_sys_wheel_timer',
        'rmq_sys_SYNC_BROKER_MEMBER_broker-b',
        'rmq_sys_SYNC_BROKER_MEMBER_broker-a',
      ]);
    });

    it('4.9: the HashMap topic table and HashSet list of Java 4.9.7', () => {
      const res = twoMasters('4.9').send(206, { version: 479 });
      expect(topics(res)).toEqual(
        topics({ body: fixtureBody('get-all-topic-list-two-masters.response.hex') }),
      );
      expect(order(res)).toEqual([
        'rmq_sys_SYNC_BROKER_MEMBER_broker-b',
        'rmq_sys_wheel_timer',
        'rmq_sys_SYNC_BROKER_MEMBER_broker-a',
      ]);
    });
  });

  // Topic0 … Topic11 registered in that order: the two lines differ only in the names sharing a
  // bucket of the list's set. The expected orders were computed on JDK 17 with what each Java line
  // does, not derived from our code: 5.x `ConcurrentHashMap.newKeySet().addAll(...)` over a
  // `ConcurrentHashMap(1024)` topic table; 4.9 `HashSet.addAll(...)` over a `HashMap(1024)`.
  describe('the order of twelve topics follows the Java line (values from the JDK)', () => {
    const twelve = Array.from({ length: 12 }, (_, i) => `Topic${i}`);
    const listed = (line: '5.x' | '4.9') => {
      const h = createHarness({ config: { compatibilityLine: line } });
      register(h, { topics: twelve.map((name) => ({ name })) });
      const res = h.send(206);
      expect(res.code).toBe(ResponseCode.SUCCESS);
      return (JSON.parse(bodyText(res)!) as { topicList: string[] }).topicList;
    };

    it('5.x: ConcurrentHashMap.newKeySet()', () => {
      expect(listed('5.x').join(',')).toBe(
        'Topic6,Topic5,Topic4,Topic3,Topic2,Topic1,Topic0,Topic9,Topic8,Topic7,Topic10,Topic11',
      );
    });

    it('4.9: HashSet', () => {
      expect(listed('4.9').join(',')).toBe(
        'Topic6,Topic5,Topic4,Topic3,Topic2,Topic1,Topic0,Topic9,Topic10,Topic8,Topic11,Topic7',
      );
    });
  });
});

/** The GET_ALL_TOPIC_LIST body encoded afresh from the tables as they are now. */
function freshAllTopicsBody(routes: RouteReadStore, line: JavaLine): Buffer {
  return encodeTopicList({ topicList: topicListOrderLikeJava(line, routes.getAllTopicList()) });
}

describe('GET_ALL_TOPIC_LIST_FROM_NAMESERVER shares one encoded body while the tables stand', () => {
  function listed(h: Harness, opaque: number, serializeType: SerializeType = SerializeType.JSON) {
    const res = h.send(206, { opaque, serializeType });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    return res;
  }

  it.each(['5.x', '4.9'] as const)(
    '%s: concurrent requests get the same Buffer; a topic added or removed is in the next answer',
    (line) => {
      const h = createHarness({ config: { compatibilityLine: line } });
      register(h, { topics: [{ name: 'A' }, { name: 'B' }] });
      const first = listed(h, 1);
      const second = listed(h, 2, SerializeType.ROCKETMQ);
      // One body for every answer (120,000 topics are 3.7 MB: not one copy per request).
      expect(second.body).toBe(first.body);
      expect(first.body).toEqual(freshAllTopicsBody(h.routes, line));
      // The frames are what an answer encoded afresh would be, for either serialize type.
      for (const res of [first, second]) {
        expect(encodeCommand(res)).toEqual(
          encodeCommand({ ...res, body: freshAllTopicsBody(h.routes, line) }),
        );
      }

      // A new broker name brings topics: the next answer has them.
      register(h, {
        brokerName: 'broker-b',
        brokerAddr: '10.0.0.2:10911',
        connectionId: 2,
        topics: [{ name: 'C' }, { name: 'A' }],
      });
      const grown = listed(h, 3);
      expect(grown.body).not.toBe(first.body);
      expect(topics(grown)).toEqual(['A', 'B', 'C']);
      expect(grown.body).toEqual(freshAllTopicsBody(h.routes, line));
      expect(listed(h, 4).body).toBe(grown.body);

      // A topic deleted, then a broker gone with its connection: each is in the next answer.
      expect(h.send(216, { ext: { topic: 'B' } }).code).toBe(ResponseCode.SUCCESS);
      expect(topics(listed(h, 5))).toEqual(['A', 'C']);
      h.routes.onConnectionClosed(2);
      const shrunk = listed(h, 6);
      expect(topics(shrunk)).toEqual(['A']);
      expect(shrunk.body).toEqual(freshAllTopicsBody(h.routes, line));
    },
  );

  it('on a serving worker replica: every answer is the tables of the moment, also between the slices of a large registration', async () => {
    const { owner, replica } = await ownerWithReplica();
    const line = '5.x';
    const [[, handle]] = topicListHandlers({
      routeInfoManager: replica,
      line: javaLineProfile(line),
      config: () => ({ enableAllTopicList: true, enableTopicList: true }),
    }).filter(([code]) => code === RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER) as [
      [number, (r: RemotingCommand, ctx: unknown) => RemotingCommand],
    ];
    const ask = (): RemotingCommand =>
      handle(
        createRequest({ code: RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, opaque: 1 }),
        {},
      );
    expect(ask().body).toEqual(freshAllTopicsBody(replica, line));
    let lastCount = 0;
    let lastLength = ask().body!.length;

    const request = createRequest({
      code: RequestCode.REGISTER_BROKER,
      opaque: 1,
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
    const count = 6_000;
    const registration = owner.register(
      request,
      { connectionId: 7, remoteAddress: '10.0.0.1:40000' },
      {
        kind: 'full',
        base: 'd-1',
        rows: toRows(topicConfigs(count, 4, 'replica-topic-'), count),
        dataVersion: { counter: 1, timestamp: 1 },
        filterServerList: [],
      },
    );
    // Ask at every turn of the event loop while the replica applies the registration in slices.
    let done = false;
    void registration.finally(() => {
      done = true;
    });
    let answers = 0;
    let partial = 0;
    while (!done) {
      const res = ask();
      const n = replica.getAllTopicList().length;
      // Compared in full where the tables changed since the last turn (re-encoding 6,000 topics
      // at every turn would make the registration itself take seconds).
      if (n !== lastCount) expect(res.body).toEqual(freshAllTopicsBody(replica, line));
      else expect(res.body!.length).toBe(lastLength);
      lastCount = n;
      lastLength = res.body!.length;
      if (n > 0 && n < count) partial++;
      answers++;
      await new Promise((r) => setImmediate(r));
    }
    const answer = await registration;
    expect(answer === 'resend' ? answer : answer?.code).toBe(ResponseCode.SUCCESS);
    expect(answers).toBeGreaterThan(1);
    expect(partial).toBeGreaterThan(0); // some answers came between slices
    const full = ask();
    expect(full.body).toEqual(freshAllTopicsBody(replica, line));
    expect(topics(full)).toHaveLength(count);
    expect(ask().body).toBe(full.body);
  });
});

describe('the other topic lists share their encoded bodies while the tables stand too', () => {
  it('GET_TOPICS_BY_CLUSTER and the unit lists: one Buffer per list, renewed by any change', () => {
    const h = createHarness();
    register(h, { cluster: 'C1', topics: [{ name: 'A', topicSysFlag: 1 }, { name: 'B' }] });
    const ask = (code: number, ext?: Record<string, string>) => {
      const res = h.send(code, ext === undefined ? {} : { ext });
      expect(res.code).toBe(ResponseCode.SUCCESS);
      return res;
    };
    const c1 = ask(224, { cluster: 'C1' });
    expect(topics(c1)).toEqual(['A', 'B']);
    expect(ask(224, { cluster: 'C1' }).body).toBe(c1.body);
    expect(topics(ask(224, { cluster: 'C2' }))).toEqual([]);
    const unit = ask(311);
    expect(topics(unit)).toEqual(['A']);
    expect(ask(311).body).toBe(unit.body);

    // The same broker name registering with another cluster name joins that cluster too (Java
    // keeps it in both): its topics are listed there at once, though no route changed.
    register(h, { cluster: 'C2', topics: [{ name: 'A', topicSysFlag: 1 }, { name: 'B' }] });
    expect(topics(ask(224, { cluster: 'C2' }))).toEqual(['A', 'B']);
    // A flag change is in the next unit list.
    register(h, {
      cluster: 'C2',
      counter: 2,
      topics: [{ name: 'A' }, { name: 'B', topicSysFlag: 1 }],
    });
    expect(topics(ask(311))).toEqual(['B']);
  });
});

describe('a change of queue numbers or permissions keeps the whole and the by-cluster lists', () => {
  it('206 and 224 are kept (no walk of the tables) until a topic gains or loses a broker name; unit lists are renewed', () => {
    const h = createHarness();
    const topicsOf = (queues: number) => [
      { name: 'A', queues, topicSysFlag: 1 },
      { name: 'B', queues },
    ];
    register(h, { cluster: 'C1', topics: topicsOf(4) });
    const ask = (code: number, ext?: Record<string, string>) => {
      const res = h.send(code, ext === undefined ? {} : { ext });
      expect(res.code).toBe(ResponseCode.SUCCESS);
      return res;
    };
    const all = ask(206);
    const c1 = ask(224, { cluster: 'C1' });
    const unit = ask(311);
    // A re-registration with other queue numbers: routes changed, the lists did not.
    register(h, { cluster: 'C1', counter: 2, topics: topicsOf(8) });
    expect(h.routes.pickupTopicRouteData('A')?.queueDatas[0]?.readQueueNums).toBe(8);
    expect(ask(206).body).toBe(all.body);
    expect(ask(224, { cluster: 'C1' }).body).toBe(c1.body);
    expect(ask(311).body).not.toBe(unit.body);
    // A topic added: both lists are renewed, with it.
    register(h, { cluster: 'C1', counter: 3, topics: [...topicsOf(8), { name: 'C' }] });
    expect(topics(ask(206))).toEqual(['A', 'B', 'C']);
    expect(topics(ask(224, { cluster: 'C1' }))).toEqual(['A', 'B', 'C']);
    // The same topic on a second broker name of another cluster: that cluster's list has it.
    register(h, {
      cluster: 'C2',
      brokerName: 'broker-b',
      brokerAddr: '10.0.0.2:10911',
      connectionId: 2,
      topics: [{ name: 'B' }],
    });
    expect(topics(ask(224, { cluster: 'C2' }))).toEqual(['B']);
    h.routes.onConnectionClosed(2);
    expect(topics(ask(224, { cluster: 'C2' }))).toEqual([]);
  });
});

describe('the topics-by-cluster list follows cluster membership, which no route change names', () => {
  // A 13th broker name grows the cluster's HashSet from 16 to 32 buckets, which reorders the
  // names (and so the list) even when it brings no topic: e.g. a slave registering first.
  /** In the order sent (not sorted: the order is the point). */
  function list(h: Harness): string[] {
    const res = h.send(224, { ext: { cluster: 'C' } });
    return (JSON.parse(res.body!.toString('utf8')) as { topicList: string[] }).topicList;
  }

  function cluster(line: JavaLine, names: string[], askFirst: boolean): Harness {
    const h = createHarness({ config: { compatibilityLine: line } });
    names.forEach((brokerName, i) => {
      // Each topic on two broker names: it is listed with the first of them in set order.
      const hosted = Array.from({ length: 60 }, (_, k) => ({ name: `t${(i * 30 + k) % 360}` }));
      register(h, { cluster: 'C', brokerName, brokerAddr: `10.0.${i}.1:10911`, topics: hosted });
    });
    if (askFirst) list(h);
    register(h, {
      cluster: 'C',
      brokerName: 'zz-slave-first',
      brokerId: 1,
      brokerAddr: '10.9.9.9:10911',
      topics: [{ name: 'x' }],
    });
    return h;
  }

  it.each(['5.x', '4.9'] as const)('%s: a cached list equals a fresh one', (line) => {
    let seed = 1;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let attempt = 0; attempt < 20; attempt++) {
      const names = Array.from({ length: 12 }, () => `b-${Math.floor(next() * 1e9).toString(36)}`);
      expect(list(cluster(line, names, true))).toEqual(list(cluster(line, names, false)));
    }
  });
});
