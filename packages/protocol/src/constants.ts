/** Permission bits of a topic (`PermName`). */
export const Perm = {
  PRIORITY: 8,
  READ: 4,
  WRITE: 2,
  INHERIT: 1,
} as const;

/** `TopicSysFlag` bits carried in QueueData.topicSysFlag. */
export const TopicSysFlag = {
  FLAG_UNIT: 1,
  FLAG_UNIT_SUB: 2,
} as const;

export const MASTER_ID = 0;
/** Java TopicValidator.TOPIC_MAX_LENGTH: brokers and admin tools refuse longer topic names. */
export const TOPIC_MAX_LENGTH = 127;
export const ORDER_TOPIC_CONFIG_NAMESPACE = 'ORDER_TOPIC_CONFIG';
export const AUTO_CREATE_TOPIC_KEY_TOPIC = 'TBW102';
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
/** Java: a consumer group name has at most 255 characters. */
export const GROUP_MAX_LENGTH = 255;
/**
 * The longest topic name a WATCH_TOPIC_ROUTE may name: a retry or dead-letter topic of the longest
 * group (`%RETRY%` + 255 characters). Those are looked up like any topic, and one of them must not
 * get a client's whole watch refused; longer names are left to polling.
 */
export const WATCH_TOPIC_MAX_LENGTH = RETRY_GROUP_TOPIC_PREFIX.length + GROUP_MAX_LENGTH;
export const SYNC_BROKER_MEMBER_TOPIC_PREFIX = 'rmq_sys_SYNC_BROKER_MEMBER_';
export const ZONE_NAME_EXT_FIELD = '__ZONE_NAME';
export const ZONE_MODE_EXT_FIELD = '__ZONE_MODE';

/** Java's `com.rocketmq.remoting.frameMaxLength` default, counting the 4-byte length field. */
export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;
/**
 * Largest request header a NameServer parses by default. Real headers are a few hundred bytes (a
 * REGISTER_BROKER's extFields: well under 1 KiB); the 24-bit length field allows 16 MiB, and
 * parsing a crafted 5 MiB header held the event loop 220–600 ms (review finding). Java sets no such
 * limit: its parser runs on a thread of its own.
 */
export const DEFAULT_MAX_HEADER_LENGTH = 64 * 1024;
export const DEFAULT_NAMESRV_PORT = 9876;

export const SerializeType = {
  JSON: 0,
  ROCKETMQ: 1,
} as const;
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType];

/** Bits of RemotingCommand.flag. */
export const RemotingFlag = {
  RESPONSE: 0x1,
  ONEWAY: 0x2,
} as const;
