/**
 * Full check of one route response (done once per sampled topic, before any load): the body
 * must decode and name exactly the expected broker groups, addresses and queues. During load
 * the generators then only compare bytes against the bodies checked here.
 */
import { decodeTopicRouteData, ResponseCode } from './ns.js';
import type { RemotingCommand } from './ns.js';
import type { BrokerSpec } from './workload.js';

export function checkRoute(
  topic: string,
  resp: RemotingCommand,
  brokers: readonly BrokerSpec[],
): Buffer {
  if (resp.code !== ResponseCode.SUCCESS) {
    throw new Error(`route of ${topic}: code ${resp.code} (${resp.remark ?? ''})`);
  }
  if (resp.body === null) throw new Error(`route of ${topic}: no body`);
  const route = decodeTopicRouteData(resp.body);
  const groups = new Map<string, BrokerSpec[]>();
  for (const b of brokers) {
    const g = groups.get(b.brokerName);
    if (g === undefined) groups.set(b.brokerName, [b]);
    else g.push(b);
  }
  const seen = new Set<string>();
  for (const bd of route.brokerDatas) {
    const want = groups.get(bd.brokerName);
    if (want === undefined)
      throw new Error(`route of ${topic}: unexpected broker ${bd.brokerName}`);
    seen.add(bd.brokerName);
    if (bd.cluster !== want[0]!.clusterName)
      throw new Error(`route of ${topic}: ${bd.brokerName} in cluster ${bd.cluster}`);
    if (bd.brokerAddrs.size !== want.length) {
      throw new Error(
        `route of ${topic}: ${bd.brokerName} has ${bd.brokerAddrs.size} addresses, expected ${want.length}`,
      );
    }
    for (const w of want) {
      if (bd.brokerAddrs.get(w.brokerId) !== w.brokerAddr) {
        throw new Error(
          `route of ${topic}: ${bd.brokerName} id ${w.brokerId} is ${bd.brokerAddrs.get(w.brokerId)}, expected ${w.brokerAddr}`,
        );
      }
    }
  }
  if (seen.size !== groups.size)
    throw new Error(`route of ${topic}: ${seen.size} broker groups, expected ${groups.size}`);
  const queues = new Set(route.queueDatas.map((q) => q.brokerName));
  if (route.queueDatas.length !== groups.size || [...groups.keys()].some((n) => !queues.has(n))) {
    throw new Error(`route of ${topic}: queueDatas for ${[...queues].join(',')}`);
  }
  for (const q of route.queueDatas) {
    if (q.readQueueNums !== 4 || q.writeQueueNums !== 4 || q.perm !== 6) {
      throw new Error(`route of ${topic}: bad QueueData ${JSON.stringify(q)}`);
    }
  }
  return resp.body;
}

/** Broker names present in a route response (empty when the topic has no route). */
export function routeBrokerNames(resp: RemotingCommand): Set<string> {
  if (resp.code !== ResponseCode.SUCCESS || resp.body === null) return new Set();
  return new Set(decodeTopicRouteData(resp.body).brokerDatas.map((b) => b.brokerName));
}
