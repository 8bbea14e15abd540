import { describe, expect, it } from 'vitest';
import type { TopicRouteData } from '@ns/protocol';
import { topicRouteChanged } from '../src/route-compare.js';

function route(overrides: Partial<TopicRouteData> = {}): TopicRouteData {
  return {
    queueDatas: [
      { brokerName: 'a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
      { brokerName: 'b', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
    ],
    brokerDatas: [
      {
        cluster: 'C',
        brokerName: 'a',
        brokerAddrs: new Map([
          [0, 'h:1'],
          [1, 'h:2'],
        ]),
      },
      { cluster: 'C', brokerName: 'b', brokerAddrs: new Map([[0, 'h:3']]) },
    ],
    filterServerTable: new Map(),
    ...overrides,
  };
}

describe('topicRouteChanged', () => {
  it('treats a first route as a change', () => {
    expect(topicRouteChanged(undefined, route())).toBe(true);
  });

  it('ignores list and map order (hash order on the wire)', () => {
    const base = route();
    const shuffled = route({
      queueDatas: [...base.queueDatas].reverse(),
      brokerDatas: [
        { cluster: 'C', brokerName: 'b', brokerAddrs: new Map([[0, 'h:3']]) },
        {
          cluster: 'C',
          brokerName: 'a',
          brokerAddrs: new Map([
            [1, 'h:2'],
            [0, 'h:1'],
          ]),
        },
      ],
    });
    expect(topicRouteChanged(base, shuffled)).toBe(false);
  });

  it('sees queue counts, permissions, addresses, membership and order config', () => {
    const base = route();
    const q = base.queueDatas;
    expect(topicRouteChanged(base, route({ queueDatas: [{ ...q[0]!, perm: 4 }, q[1]!] }))).toBe(
      true,
    );
    expect(
      topicRouteChanged(base, route({ queueDatas: [{ ...q[0]!, writeQueueNums: 8 }, q[1]!] })),
    ).toBe(true);
    expect(topicRouteChanged(base, route({ queueDatas: [q[0]!] }))).toBe(true);
    expect(
      topicRouteChanged(
        base,
        route({
          brokerDatas: [
            { cluster: 'C', brokerName: 'a', brokerAddrs: new Map([[0, 'h:1']]) },
            base.brokerDatas[1]!,
          ],
        }),
      ),
    ).toBe(true);
    expect(topicRouteChanged(base, route({ orderTopicConf: 'a:4' }))).toBe(true);
  });
});
