/**
 * [5.x] `ZoneRouteRPCHook`: after a successful GET_ROUTEINFO_BY_TOPIC, a client that sends
 * `__ZONE_MODE=true` and a non-blank `__ZONE_NAME` only sees the brokers of its zone. The handler
 * re-encodes the filtered route in legacy JSON whatever the request version (Java does).
 */
import { MASTER_ID } from '@ns/protocol';
import type { BrokerData, QueueData, TopicRouteData } from '@ns/protocol';

/**
 * The zone to filter by, or null when the hook does not apply.
 * Java: `Boolean.parseBoolean(__ZONE_MODE)` (case-insensitive "true") and `StringUtils.isBlank`.
 */
export function resolveZoneFilter(
  zoneMode: string | null | undefined,
  zoneName: string | null | undefined,
): string | null {
  if (zoneMode == null || zoneMode.toLowerCase() !== 'true') return null;
  if (zoneName == null || zoneName.trim() === '') return null;
  return zoneName;
}

function equalsIgnoreCase(a: string | undefined, b: string): boolean {
  if (a === undefined || a.length !== b.length) return false;
  return a === b || a.toUpperCase() === b.toUpperCase() || a.toLowerCase() === b.toLowerCase();
}

/**
 * Java `ZoneRouteRPCHook.filterByZoneName`: keep a BrokerData whose zone equals `zoneName`
 * (ignoring case) or that has no master ("master down, consume from slave"); drop the QueueData
 * and filter-server entries of the removed ones. Returns a new object; the input is not modified.
 */
export function filterRouteByZone(route: TopicRouteData, zoneName: string): TopicRouteData {
  const brokerDatas: BrokerData[] = [];
  let removed: Map<string, BrokerData> | null = null;
  for (const bd of route.brokerDatas) {
    if (!bd.brokerAddrs.has(MASTER_ID) || equalsIgnoreCase(bd.zoneName, zoneName)) {
      brokerDatas.push(bd);
    } else {
      (removed ??= new Map()).set(bd.brokerName, bd);
    }
  }
  if (removed === null) return { ...route, brokerDatas };
  const queueDatas: QueueData[] = route.queueDatas.filter((qd) => !removed.has(qd.brokerName));
  const filterServerTable = new Map(route.filterServerTable);
  for (const bd of removed.values()) {
    for (const addr of bd.brokerAddrs.values()) filterServerTable.delete(addr);
  }
  return { ...route, brokerDatas, queueDatas, filterServerTable };
}
