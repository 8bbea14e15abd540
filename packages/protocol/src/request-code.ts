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
 * Why this range is free (the blocks are listed, and checked, in
 * packages/protocol/test/watch-topic-route.test.ts):
 * - Apache RocketMQ's `RequestCode` (`common/protocol` up to 5.0, `remoting/protocol` from 5.1),
 *   read at every release tag from 4.1.0 to 5.3.3 and on develop as of September 2025: small
 *   blocks between 10 and 3010, plus the POP codes the Java class itself defines since 5.0,
 *   POP_MESSAGE..POLLING_INFO = 200050..200055 (POP_ROLLBACK 200056 since 5.3.2) and
 *   BATCH_ACK_MESSAGE = 200151 (since 5.1.3). Newer Java lines add 5001..5003
 *   (SWITCH_TIMER_ENGINE, DELETE_TOPIC_IN_BROKER_LIST, DELETE_SUBSCRIPTION_GROUP_LIST) and
 *   lite-topic codes 200070..200079; those we saw in rocketmq-rust and in ports generated from
 *   newer Java, not in our copy of the Java sources.
 * - rocketmq-rust (its sources of August 2026) uses the Java values and adds 330..335 and
 *   6001..6005 of its own.
 * - The ROCKETMQ binary header carries the code in a signed 16-bit field, and Java and
 *   rocketmq-rust both write only the low 16 bits: the 2000xx codes travel as 3442..3543 there
 *   (hence "request type 3442 not supported" in apache/rocketmq#5684; declaring them with those
 *   values, #8871, was reverted the next day, so no release defines 3442..3543). An extension code
 *   must be at most 32767 to arrive unchanged in both serialize types, and must not equal any
 *   code's 16-bit form either.
 * 30000..30099 is at most 32767 and far from every code above, as sent and as wrapped to 16 bits
 * (the highest below 32768 is 6005). A node that does not know a code either answers
 * REQUEST_CODE_NOT_SUPPORTED (5.x, rocketmq-rust, nameserver-ts) or sends nothing (4.9), and
 * clients fall back on either.
 */
export const NAMESERVER_TS_REQUEST_CODES = { min: 30000, max: 30099 } as const;

export type RequestCodeName = keyof typeof RequestCode;
export type RequestCodeValue = (typeof RequestCode)[RequestCodeName];

const NAMES = new Map<number, string>(Object.entries(RequestCode).map(([k, v]) => [v, k]));

/** The Java name of a request code, or `UNKNOWN(<code>)`; for logs and metrics labels. */
export function requestCodeName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN(${code})`;
}
