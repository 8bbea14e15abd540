/**
 * Every request code belongs to exactly one request class; access policies are set per class
 * (see access-policy.ts). The classes follow who legitimately sends the request:
 *
 * - `route-read`: producers, consumers and tools finding brokers (routes, the route watch,
 *   cluster info, topic lists). Public by nature: every client needs them, and they reveal no secret.
 * - `broker-control`: brokers announcing themselves (REGISTER/UNREGISTER_BROKER, heartbeats,
 *   QUERY_DATA_VERSION, GET_BROKER_MEMBER_GROUP). A forged one poisons routes.
 * - `admin-read`: operator reads (KV config, GET_NAMESRV_CONFIG).
 * - `admin-write`: operator changes (KV writes, write permissions, topic delete/register,
 *   UPDATE_NAMESRV_CONFIG).
 *
 * A code we do not know is `admin-write`: the strictest class, so a code added later (or a
 * probe for one) is never more open than the operator allowed for changes.
 */
import { RequestCode } from '@ns/protocol';

export const REQUEST_CLASSES = [
  'route-read',
  'broker-control',
  'admin-read',
  'admin-write',
] as const;
export type RequestClass = (typeof REQUEST_CLASSES)[number];

/** The deliberate classification of every code a NameServer serves. */
export const REQUEST_CLASS_OF_CODE: ReadonlyMap<number, RequestClass> = new Map<
  number,
  RequestClass
>([
  [RequestCode.GET_ROUTEINFO_BY_TOPIC, 'route-read'],
  [RequestCode.GET_BROKER_CLUSTER_INFO, 'route-read'],
  [RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, 'route-read'],
  [RequestCode.GET_TOPICS_BY_CLUSTER, 'route-read'],
  [RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, 'route-read'],
  [RequestCode.GET_UNIT_TOPIC_LIST, 'route-read'],
  [RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, 'route-read'],
  [RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, 'route-read'],
  // Our route watch (30000): GET_ROUTEINFO_BY_TOPIC held open, the same route bodies.
  [RequestCode.WATCH_TOPIC_ROUTE, 'route-read'],

  [RequestCode.REGISTER_BROKER, 'broker-control'],
  [RequestCode.UNREGISTER_BROKER, 'broker-control'],
  [RequestCode.BROKER_HEARTBEAT, 'broker-control'],
  [RequestCode.QUERY_DATA_VERSION, 'broker-control'],
  [RequestCode.GET_BROKER_MEMBER_GROUP, 'broker-control'],

  [RequestCode.GET_KV_CONFIG, 'admin-read'],
  [RequestCode.GET_KVLIST_BY_NAMESPACE, 'admin-read'],
  [RequestCode.GET_NAMESRV_CONFIG, 'admin-read'],

  [RequestCode.PUT_KV_CONFIG, 'admin-write'],
  [RequestCode.DELETE_KV_CONFIG, 'admin-write'],
  [RequestCode.WIPE_WRITE_PERM_OF_BROKER, 'admin-write'],
  [RequestCode.ADD_WRITE_PERM_OF_BROKER, 'admin-write'],
  [RequestCode.DELETE_TOPIC_IN_NAMESRV, 'admin-write'],
  [RequestCode.REGISTER_TOPIC_IN_NAMESRV, 'admin-write'],
  [RequestCode.UPDATE_NAMESRV_CONFIG, 'admin-write'],
]);

/** The class of a request code; unknown codes are `admin-write`. */
export function requestClassOf(code: number): RequestClass {
  return REQUEST_CLASS_OF_CODE.get(code) ?? 'admin-write';
}

export function isRequestClass(value: string): value is RequestClass {
  return (REQUEST_CLASSES as readonly string[]).includes(value);
}
