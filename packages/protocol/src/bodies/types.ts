/**
 * Body types of the NameServer protocol, with the Java class and field names.
 *
 * String-keyed maps that come from the wire are `Map`s, never plain objects: topic names such as
 * `__proto__` are legal in RocketMQ, and a Map cannot be polluted through them. Long values are
 * JS numbers (ids, counters and millisecond timestamps stay far below 2^53).
 */

/** `DataVersion`. Equality: 4.9 compares timestamp+counter; 5.x also stateVersion. */
export interface DataVersion {
  counter: number;
  timestamp: number;
  /** 5.x only; absent in 4.9 bodies (read as 0 by 5.x). */
  stateVersion?: number;
  /**
   * Set when the JSON had no `timestamp` (or a body had no DataVersion at all); `timestamp` is
   * then 0. Java creates such a version with the receiver's clock (`new DataVersion()` stamps
   * "now"), so it differs from every stored one. The codec stays pure and only marks it: the
   * NameServer stamps it with its own clock (route/data-version.ts).
   */
  unstamped?: true;
}

export type TopicFilterType = 'SINGLE_TAG' | 'MULTI_TAG';

/** `TopicConfig` as a broker registers it. */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: TopicFilterType;
  topicSysFlag: number;
  order: boolean;
  /** 5.x only (usually empty); kept so a 5.x body round-trips. */
  attributes?: Map<string, string>;
}

/** `TopicQueueMappingInfo` (5.x static topics). Passed through, not interpreted. */
export interface TopicQueueMappingInfo {
  topic: string;
  scope: string;
  totalQueues: number;
  bname: string;
  epoch: number;
  dirty: boolean;
  /** logic queue id → physical queue id; unquoted keys in legacy JSON. */
  currIdMap?: Map<number, number>;
}

/** `TopicConfigSerializeWrapper` (4.9) / `TopicConfigAndMappingSerializeWrapper` (5.x). */
export interface TopicConfigSerializeWrapper {
  dataVersion: DataVersion;
  topicConfigTable: Map<string, TopicConfig>;
  /** 5.x only. */
  mappingDataVersion?: DataVersion;
  /** 5.x only: topic → mapping info. */
  topicQueueMappingInfoMap?: Map<string, TopicQueueMappingInfo>;
  /** 5.x only: passed through as raw parsed JSON, never interpreted by a NameServer. */
  topicQueueMappingDetailMap?: Map<string, unknown>;
}

/** `RegisterBrokerBody`: the REGISTER_BROKER request body for request version >= 37. */
export interface RegisterBrokerBody {
  topicConfigSerializeWrapper: TopicConfigSerializeWrapper;
  filterServerList: string[];
}

/** `QueueData`: one broker name's queues of a topic. */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** `BrokerData`: a broker group (one name, master id 0 and slaves). */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId → "ip:port". Unquoted numeric keys in legacy JSON. */
  brokerAddrs: Map<number, string>;
  /** 5.x; written only when true so 4.9 goldens stay byte-equal (Java peers default it to false). */
  enableActingMaster?: boolean;
  /** 5.x; from the `__ZONE_NAME` ext field of the registration. */
  zoneName?: string;
}

/** `TopicRouteData`: the GET_ROUTEINFO_BY_TOPIC response body. */
export interface TopicRouteData {
  orderTopicConf?: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  /** brokerAddr → filter server addresses; always written, usually `{}`. */
  filterServerTable: Map<string, string[]>;
  /** 5.x static topics: brokerName → mapping info. */
  topicQueueMappingByBroker?: Map<string, TopicQueueMappingInfo>;
}

/** `ClusterInfo`: the GET_BROKER_CLUSTER_INFO body (always legacy JSON). */
export interface ClusterInfo {
  brokerAddrTable: Map<string, BrokerData>;
  clusterAddrTable: Map<string, string[]>;
}

/** `KVTable`: `{"table":{…}}`. */
export interface KVTable {
  table: Map<string, string>;
}

/** `TopicList`: `{"brokerAddr":"…","topicList":[…]}`; brokerAddr only for the system topic list. */
export interface TopicList {
  topicList: string[];
  brokerAddr?: string;
}

/** `BrokerMemberGroup` inside `GetBrokerMemberGroupResponseBody` (code 901). */
export interface BrokerMemberGroup {
  cluster: string;
  brokerName: string;
  brokerAddrs: Map<number, string>;
}

export interface GetBrokerMemberGroupResponseBody {
  brokerMemberGroup: BrokerMemberGroup;
}

/** What a REGISTER_BROKER response tells the broker (ext fields + KVTable body). */
export interface RegisterBrokerResult {
  haServerAddr: string | null;
  masterAddr: string | null;
  /** The ORDER_TOPIC_CONFIG namespace, or null when the NameServer sent no body. */
  kvTable: KVTable | null;
}
