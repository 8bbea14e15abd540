import type { TopicRouteData } from '@ns/protocol';

/** A route with one broker name (4/4 queues, perm 6) and one master address, for watch tests. */
export function routeOf(broker: string): TopicRouteData {
  return {
    queueDatas: [
      { brokerName: broker, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
    ],
    brokerDatas: [{ cluster: 'c', brokerName: broker, brokerAddrs: new Map([[0, 'x:1']]) }],
    filterServerTable: new Map(),
  };
}
