/**
 * Request codes, with the Java `RequestCode` member names so both codebases can be searched
 * together. Every code a NameServer handles (4.9.7 and 5.x), plus the broker/client codes that
 * appear in the captured fixtures.
 */
export const RequestCode = {
  // NameServer: KV config
  PUT_KV_CONFIG: 100,
  GET_KV_CONFIG: 101,
  DELETE_KV_CONFIG: 102,
  // NameServer: brokers and routes
  REGISTER_BROKER: 103,
  UNREGISTER_BROKER: 104,
  /** Spelled GET_ROUTEINTO_BY_TOPIC in old Java code and in ali-ons; same value. */
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  WIPE_WRITE_PERM_OF_BROKER: 205,
  GET_ALL_TOPIC_LIST_FROM_NAMESERVER: 206,
  DELETE_TOPIC_IN_NAMESRV: 216,
  /** 5.x only: a 4.9 NameServer never answers it. ali-ons calls 217 GET_KV_CONFIG_BY_VALUE (3.x, unused). */
  REGISTER_TOPIC_IN_NAMESRV: 217,
  GET_KVLIST_BY_NAMESPACE: 219,
  GET_TOPICS_BY_CLUSTER: 224,
  GET_SYSTEM_TOPIC_LIST_FROM_NS: 304,
  GET_UNIT_TOPIC_LIST: 311,
  GET_HAS_UNIT_SUB_TOPIC_LIST: 312,
  GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: 313,
  UPDATE_NAMESRV_CONFIG: 318,
  GET_NAMESRV_CONFIG: 319,
  QUERY_DATA_VERSION: 322,
  ADD_WRITE_PERM_OF_BROKER: 327,
  GET_BROKER_MEMBER_GROUP: 901,
  BROKER_HEARTBEAT: 904,
  /** Sent by a 5.x NameServer to brokers (one-way); never handled by a NameServer. */
  NOTIFY_MIN_BROKER_ID_CHANGE: 905,
  // Broker/client codes seen in the fixtures (the producer and consumer talk to brokers too)
  SEND_MESSAGE: 10,
  PULL_MESSAGE: 11,
  QUERY_CONSUMER_OFFSET: 14,
  UPDATE_CONSUMER_OFFSET: 15,
  UPDATE_AND_CREATE_TOPIC: 17,
  GET_MAX_OFFSET: 30,
  HEART_BEAT: 34,
  UNREGISTER_CLIENT: 35,
  GET_CONSUMER_LIST_BY_GROUP: 38,
  GET_CLIENT_CONFIG: 47,
  SEND_MESSAGE_V2: 310,
  // nameserver-ts extensions (see NAMESERVER_TS_REQUEST_CODES below)
  /**
   * Long-poll route watch: the topics a client follows with the route version it holds; answered
   * at once with the newer routes, or held until one changes or the hold time passes.
   */
  WATCH_TOPIC_ROUTE: 30000,
} as const;

/**
 * The request codes nameserver-ts reserves for its own extensions: 30000..30099.
 *
 * Why this range is safe: every code Apache RocketMQ defines (4.x `common/protocol/RequestCode`
 * and 5.x `remoting/protocol/RequestCode`, up to 5.3) lies in 10..3543 (the highest being the
 * POP codes 3442..3447 and BATCH_ACK_MESSAGE 3543); rocketmq-rust uses the Java values plus
 * 200050..200151 for its POP codes. The ROCKETMQ binary header stores the code as a signed
 * 16-bit integer, so an extension code must stay at or below 32767 to be sendable in both
 * serialize types; 30000..30099 is far from every block in use and fits. A node that does not know
 * a code either answers REQUEST_CODE_NOT_SUPPORTED (5.x, rocketmq-rust, nameserver-ts) or sends
 * nothing (4.9), and clients fall back on either.
 */
export const NAMESERVER_TS_REQUEST_CODES = { min: 30000, max: 30099 } as const;

export type RequestCodeName = keyof typeof RequestCode;
export type RequestCodeValue = (typeof RequestCode)[RequestCodeName];

const NAMES = new Map<number, string>(Object.entries(RequestCode).map(([k, v]) => [v, k]));

/** The Java name of a request code, or `UNKNOWN(<code>)`; for logs and metrics labels. */
export function requestCodeName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN(${code})`;
}
