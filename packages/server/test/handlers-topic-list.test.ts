import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFrame, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { bodyText, createHarness, register } from './handlers-harness.js';

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
