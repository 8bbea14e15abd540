/**
 * The edit log that keeps serving workers' route tables identical to the registry owner's.
 *
 * RouteTables appends one entry per low-level edit to a flat array: the op code, then its
 * arguments (see RouteTables' edit methods for each op's arguments, and OP_WIDTH there for their
 * count). A flat array of strings, numbers, booleans and the odd object is what JSON and the
 * structured clone of the IPC channel handle fastest, and replaying it allocates nothing but the
 * table entries themselves.
 */
export const OpCode = {
  PUT_QUEUE: 1,
  REMOVE_QUEUE: 2,
  CREATE_GROUP: 3,
  DELETE_GROUP: 4,
  GROUP_FLAGS: 5,
  SET_ADDR: 6,
  DELETE_ADDR: 7,
  ADD_CLUSTER_MEMBER: 8,
  REMOVE_FROM_CLUSTERS: 9,
  SET_FILTERS: 10,
  DELETE_FILTERS: 11,
  PUT_MAPPING: 12,
  // Snapshot-only: restore an index Set's insertion order (see RouteTables.exportOps).
  ORDER_BROKER_TOPICS: 13,
  ORDER_BROKER_CLUSTERS: 14,
  ORDER_BROKER_MAPPINGS: 15,
  /** [ORDER_TOPIC_TABLE, the Java topic table's size, its keys in iteration order] */
  ORDER_TOPIC_TABLE: 16,
  /** [QUEUE_HIGH_WATER, topic, the most broker names it had at once] (see QueueDataMap) */
  QUEUE_HIGH_WATER: 17,
  /** [CLUSTER_HIGH_WATER, cluster, the most broker names its set had at once] */
  CLUSTER_HIGH_WATER: 18,
} as const;

export type OpCode = (typeof OpCode)[keyof typeof OpCode];

/** How many array entries each op takes (its code included). */
export const ROUTE_OP_WIDTH: Readonly<Record<OpCode, number>> = {
  [OpCode.PUT_QUEUE]: 7,
  [OpCode.REMOVE_QUEUE]: 3,
  [OpCode.CREATE_GROUP]: 3,
  [OpCode.DELETE_GROUP]: 2,
  [OpCode.GROUP_FLAGS]: 4,
  [OpCode.SET_ADDR]: 4,
  [OpCode.DELETE_ADDR]: 3,
  [OpCode.ADD_CLUSTER_MEMBER]: 3,
  [OpCode.REMOVE_FROM_CLUSTERS]: 2,
  [OpCode.SET_FILTERS]: 4,
  [OpCode.DELETE_FILTERS]: 3,
  [OpCode.PUT_MAPPING]: 3,
  [OpCode.ORDER_BROKER_TOPICS]: 3,
  [OpCode.ORDER_BROKER_CLUSTERS]: 3,
  [OpCode.ORDER_BROKER_MAPPINGS]: 3,
  [OpCode.ORDER_TOPIC_TABLE]: 3,
  [OpCode.QUEUE_HIGH_WATER]: 3,
  [OpCode.CLUSTER_HIGH_WATER]: 3,
};
