/**
 * [5.x] When the smallest broker id of a broker group changes, a Java 5.x NameServer with
 * `notifyMinBrokerIdChanged=true` tells the group's brokers with NOTIFY_MIN_BROKER_ID_CHANGE (905):
 * brokers with `enableSlaveActingMaster` use it to start or stop acting as master. This module
 * computes what Java's `RouteInfoManager.notifyMinBrokerIdChanged` sends, and to whom
 * (`chooseBrokerAddrsToNotify`); the manager decides when (fixtures
 * notify-min-broker-id-change-master-registered and -master-killed of 5.3.3).
 */
import { javaLongHashOrder } from '@ns/protocol';
import type { MinBrokerIdChange } from './types.js';

function minKey(m: ReadonlyMap<number, unknown>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const k of m.keys()) if (k < min) min = k;
  return min;
}

/** The group's addresses in the iteration order of Java's `HashMap<Long, String>`. */
function addressesInJavaOrder(brokerAddrs: ReadonlyMap<number, string>, except?: number): string[] {
  const out: string[] = [];
  for (const id of javaLongHashOrder([...brokerAddrs.keys()])) {
    if (id !== except) out.push(brokerAddrs.get(id)!);
  }
  return out;
}

/**
 * A registration lowered the group's smallest id (Java: `brokerId < prevMinBrokerId`, the
 * previous minimum taken as 0 for an empty group, so a first member never counts). Java tells the
 * other members, or the only member when it is alone; `haBrokerAddr` is the registering broker's
 * HA address.
 */
export function minBrokerIdChangeOnJoin(
  brokerName: string,
  brokerAddrs: ReadonlyMap<number, string>,
  haServerAddr: string | null,
): MinBrokerIdChange {
  const minBrokerId = minKey(brokerAddrs);
  return {
    brokerName,
    minBrokerId,
    minBrokerAddr: brokerAddrs.get(minBrokerId)!,
    offlineBrokerAddr: null,
    haBrokerAddr: haServerAddr,
    notifyBrokerAddrs:
      brokerAddrs.size === 1
        ? addressesInJavaOrder(brokerAddrs)
        : addressesInJavaOrder(brokerAddrs, minBrokerId),
  };
}

/**
 * The member with the smallest id left a group that still has members (unregister, connection
 * closed, expiry): Java tells every remaining member.
 */
export function minBrokerIdChangeOnLeave(
  brokerName: string,
  remaining: ReadonlyMap<number, string>,
  offlineBrokerAddr: string,
): MinBrokerIdChange {
  const minBrokerId = minKey(remaining);
  return {
    brokerName,
    minBrokerId,
    minBrokerAddr: remaining.get(minBrokerId)!,
    offlineBrokerAddr,
    haBrokerAddr: null,
    notifyBrokerAddrs: addressesInJavaOrder(remaining),
  };
}
