import { describe, expect, it } from 'vitest';
import { ResponseCode } from '@ns/protocol';
import { bodyText, createHarness, register } from './handlers-harness.js';

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
    expect(h.send(224, {}).remark).toMatch(/missing required field "cluster"/);
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
});
