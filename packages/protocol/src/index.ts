// @ns/protocol public API: every export is listed by name.

// Constants
export { NAMESERVER_TS_REQUEST_CODES, RequestCode, requestCodeName } from './request-code.js';
export type { RequestCodeName, RequestCodeValue } from './request-code.js';
export { ResponseCode, responseCodeName } from './response-code.js';
export type { ResponseCodeName, ResponseCodeValue } from './response-code.js';
export {
  LanguageCode,
  languageFromByte,
  languageFromJson,
  languageToByte,
} from './language-code.js';
export type { LanguageName } from './language-code.js';
export { CURRENT_VERSION, Version, v4, v5 } from './version.js';
export { JAVA_LINES, javaLineVersion } from './java-line.js';
export type { JavaLine } from './java-line.js';
export {
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  DEFAULT_MAX_FRAME_LENGTH,
  DEFAULT_MAX_HEADER_LENGTH,
  DEFAULT_NAMESRV_PORT,
  DLQ_GROUP_TOPIC_PREFIX,
  MASTER_ID,
  TOPIC_MAX_LENGTH,
  WATCH_TOPIC_MAX_LENGTH,
  ORDER_TOPIC_CONFIG_NAMESPACE,
  Perm,
  RemotingFlag,
  RETRY_GROUP_TOPIC_PREFIX,
  SerializeType,
  SYNC_BROKER_MEMBER_TOPIC_PREFIX,
  TopicSysFlag,
  ZONE_MODE_EXT_FIELD,
  ZONE_NAME_EXT_FIELD,
} from './constants.js';

// Errors
export {
  BodyDecodeError,
  InflatedBodyTooLargeError,
  FrameError,
  HeaderFieldError,
  isProtocolError,
  ProtocolError,
} from './errors.js';
export type { ProtocolErrorCode } from './errors.js';

// Commands and frames
export {
  createRequest,
  createResponse,
  isOneway,
  isResponse,
  newExtFields,
} from './remoting-command.js';
export type { ExtFields, RemotingCommand, RequestInit, ResponseInit } from './remoting-command.js';
export { decodeFrame, encodeCommand } from './frame.js';
export type { DecodeFrameOptions } from './frame.js';
export {
  ASSEMBLE_AFTER_FRACTION,
  ASSEMBLE_MIN_FRAME_BYTES,
  FrameDecoder,
  MAX_KEPT_CHUNKS,
} from './frame-decoder.js';
export { prepareFrame, preparedFrameBody, preparedFrameBytes } from './prepared-frame.js';
export type { PreparedFrame } from './prepared-frame.js';
export type { FrameDecoderOptions } from './frame-decoder.js';
export { fastjsonString } from './json/fastjson-string.js';

// Body types
export type {
  BrokerData,
  BrokerMemberGroup,
  ClusterInfo,
  DataVersion,
  GetBrokerMemberGroupResponseBody,
  KVTable,
  QueueData,
  RegisterBrokerBody,
  RegisterBrokerResult,
  TopicConfig,
  TopicConfigSerializeWrapper,
  TopicFilterType,
  TopicList,
  TopicQueueMappingInfo,
  TopicRouteData,
} from './bodies/types.js';

// Java .properties text (UPDATE_NAMESRV_CONFIG / GET_NAMESRV_CONFIG bodies, config files)
export {
  decodePropertiesBody,
  formatProperties,
  parseProperties,
  parsePropertiesEntries,
} from './bodies/properties.js';
export type { PropertiesEntry } from './bodies/properties.js';

// Body codecs (fastjson-compatible: legacy JSON with unquoted numeric keys, or standard JSON)
export { bodyCrc32, crc32 } from './bodies/body-crc32.js';
export { dataVersionEquals, decodeDataVersion, encodeDataVersion } from './bodies/data-version.js';
export {
  decodeCompressedRegisterBrokerBody,
  decodeRegisterBrokerBody,
  encodeCompressedRegisterBrokerBody,
  encodeRegisterBrokerBody,
  MAX_INFLATED_REGISTER_BODY,
  REGISTER_BODY_MIN_VERSION,
} from './bodies/register-broker-body.js';
export type {
  RegisterBrokerBodyDecodeOptions,
  RegisterBrokerBodyEncodeOptions,
} from './bodies/register-broker-body.js';
export {
  applyRegisterBodyDelta,
  applyRegisterBodyDeltaInPlace,
  applyRegisterBodyDeltaInSteps,
  decodeRegisterBodyOfBase,
  decodeRegisterBodyWithBase,
  isSameRegisterBody,
  registerBodyOfDelta,
} from './bodies/register-broker-body-delta.js';
export type {
  RegisterBodyBase,
  RegisterBodyChanges,
  RegisterBodyPositions,
  RegisterBodyDecodeResult,
  RegisterBodyDelta,
  RegisterBodyDeltaOptions,
} from './bodies/register-broker-body-delta.js';
export type { TopicConfigRows } from './bodies/topic-config-rows.js';
export {
  decodeRegisterBrokerResult,
  encodeRegisterBrokerResult,
} from './bodies/register-broker-result.js';
export {
  decodeTopicConfigSerializeWrapper,
  encodeTopicConfigSerializeWrapper,
} from './bodies/topic-config-serialize-wrapper.js';
export {
  decodeTopicConfigLine,
  encodeTopicConfigLine,
  TOPIC_CONFIG_DEFAULTS,
} from './bodies/topic-config.js';
export {
  decodeTopicRouteData,
  encodeTopicRouteData,
  routeBodyWantsStandardJson,
} from './bodies/topic-route-data.js';
export type { TopicRouteEncodeOptions } from './bodies/topic-route-data.js';
export {
  CLUSTER_INFO_SHAPES,
  decodeClusterInfo,
  encodeClusterInfo,
} from './bodies/cluster-info.js';
export { decodeKVTable, encodeKVTable } from './bodies/kv-table.js';
export { decodeTopicList, encodeTopicList } from './bodies/topic-list.js';
export {
  decodeGetBrokerMemberGroupResponseBody,
  encodeGetBrokerMemberGroupResponseBody,
} from './bodies/broker-member-group.js';
// WATCH_TOPIC_ROUTE (nameserver-ts extension)
export {
  decodeWatchTopicRouteRequestBody,
  decodeWatchTopicRouteResponseBody,
  encodeWatchTopicRouteRequestBody,
  encodeWatchTopicRouteResponseBody,
  goneTopicEntry,
  joinWatchTopicRouteResponse,
  watchedRouteEntry,
} from './bodies/watch-topic-route.js';
export type {
  GoneTopic,
  WatchedRoute,
  WatchTopicRouteRequestBody,
  WatchTopicRouteResponseBody,
} from './bodies/watch-topic-route.js';

// Typed header codecs (decode: Java conversions, required fields enforced; encode: Java ext order)
export {
  decodeBrokerHeartbeatRequestHeader,
  decodeNotifyMinBrokerIdChangeRequestHeader,
  decodeQueryDataVersionRequestHeader,
  decodeQueryDataVersionResponseHeader,
  decodeRegisterBrokerRequestHeader,
  decodeRegisterBrokerResponseHeader,
  decodeUnRegisterBrokerRequestHeader,
  encodeBrokerHeartbeatRequestHeader,
  encodeNotifyMinBrokerIdChangeRequestHeader,
  encodeQueryDataVersionRequestHeader,
  encodeQueryDataVersionResponseHeader,
  encodeRegisterBrokerRequestHeader,
  encodeRegisterBrokerResponseHeader,
  encodeUnRegisterBrokerRequestHeader,
} from './headers/broker-headers.js';
export type {
  BrokerHeartbeatRequestHeader,
  NotifyMinBrokerIdChangeRequestHeader,
  QueryDataVersionRequestHeader,
  QueryDataVersionResponseHeader,
  RegisterBrokerRequestHeader,
  RegisterBrokerResponseHeader,
  UnRegisterBrokerRequestHeader,
} from './headers/broker-headers.js';
export {
  decodeDeleteKVConfigRequestHeader,
  decodeGetKVConfigRequestHeader,
  decodeGetKVConfigResponseHeader,
  decodeGetKVListByNamespaceRequestHeader,
  decodePutKVConfigRequestHeader,
  encodeDeleteKVConfigRequestHeader,
  encodeGetKVConfigRequestHeader,
  encodeGetKVConfigResponseHeader,
  encodeGetKVListByNamespaceRequestHeader,
  encodePutKVConfigRequestHeader,
} from './headers/kv-config-headers.js';
export type {
  DeleteKVConfigRequestHeader,
  GetKVConfigRequestHeader,
  GetKVConfigResponseHeader,
  GetKVListByNamespaceRequestHeader,
  PutKVConfigRequestHeader,
} from './headers/kv-config-headers.js';
export {
  decodeAddWritePermOfBrokerRequestHeader,
  decodeAddWritePermOfBrokerResponseHeader,
  decodeDeleteTopicFromNamesrvRequestHeader,
  decodeGetBrokerMemberGroupRequestHeader,
  decodeGetRouteInfoRequestHeader,
  decodeGetTopicsByClusterRequestHeader,
  decodeRegisterTopicRequestHeader,
  decodeWipeWritePermOfBrokerRequestHeader,
  decodeWipeWritePermOfBrokerResponseHeader,
  encodeAddWritePermOfBrokerRequestHeader,
  encodeAddWritePermOfBrokerResponseHeader,
  encodeDeleteTopicFromNamesrvRequestHeader,
  encodeGetBrokerMemberGroupRequestHeader,
  encodeGetRouteInfoRequestHeader,
  encodeGetTopicsByClusterRequestHeader,
  encodeRegisterTopicRequestHeader,
  encodeWipeWritePermOfBrokerRequestHeader,
  encodeWipeWritePermOfBrokerResponseHeader,
} from './headers/route-headers.js';
export type {
  AddWritePermOfBrokerRequestHeader,
  AddWritePermOfBrokerResponseHeader,
  DeleteTopicFromNamesrvRequestHeader,
  GetBrokerMemberGroupRequestHeader,
  GetRouteInfoRequestHeader,
  GetTopicsByClusterRequestHeader,
  RegisterTopicRequestHeader,
  WipeWritePermOfBrokerRequestHeader,
  WipeWritePermOfBrokerResponseHeader,
} from './headers/route-headers.js';

export {
  decodeWatchTopicRouteRequestHeader,
  decodeWatchTopicRouteResponseHeader,
  encodeWatchTopicRouteRequestHeader,
  encodeWatchTopicRouteResponseHeader,
} from './headers/watch-headers.js';
export type {
  WatchTopicRouteRequestHeader,
  WatchTopicRouteResponseHeader,
} from './headers/watch-headers.js';

// Java HashMap iteration order (for byte-equal output) and the fastjson-tolerant reader
export {
  javaHashCopyCapacity,
  javaHashMapCapacity,
  javaHashOrderBy,
  javaLongHashOrder,
  javaStringHashCode,
  javaStringHashOrder,
} from './json/java-hash-order.js';
export type { JavaHashOrderOptions } from './json/java-hash-order.js';
export {
  JavaHashTable,
  javaConcurrentHashMapPutAllTableSize,
  javaConcurrentHashMapTableSize,
  javaHashTableOrder,
} from './json/java-hash-table.js';
export type { JavaHashTableKind } from './json/java-hash-table.js';
export { shareString } from './json/shared-string.js';
export { MAX_JSON_DEPTH, parseJsonLenient } from './json/lenient-parse.js';

// ---------------------------------------------------------------------------------------------
// JSON / body / header codecs, further exports (engineer A)
// ---------------------------------------------------------------------------------------------
export { parseJsonTolerant, quoteBareKeys } from './json/lenient-parse.js';
export {
  javaConcurrentHashMapPresizedCapacity,
  javaHashSetOrderFromMap,
  javaHashSpread,
  javaIntegerHashCode,
  javaLongHashCode,
  tableSizeFor,
} from './json/java-hash-order.js';
export {
  LEGACY as LEGACY_JSON,
  STANDARD as STANDARD_JSON,
  stringKeyOrder,
  writeJsonValue,
} from './json/fastjson-writer.js';
export type { JavaMapShape, JsonFlavour } from './json/fastjson-writer.js';
export { writeDataVersion } from './bodies/data-version.js';
export {
  TOPIC_CONFIG_TABLE_SHAPE,
  TOPIC_CONFIG_TABLE_SHAPE_5_1_4,
  topicConfigTableShape,
} from './bodies/topic-config-serialize-wrapper.js';
export { BROKER_ADDR_TABLE_SHAPE, CLUSTER_ADDR_TABLE_SHAPE } from './bodies/cluster-info.js';

// RocketMQ ACL 1.0 signatures (shared by signing clients and the verifying server)
export {
  ACL_ACCESS_KEY,
  ACL_SECURITY_TOKEN,
  ACL_SIGNATURE,
  aclSign,
  aclSignatureContent,
} from './acl-signature.js';
// Cross-node consistency: route digests (GET /digest of the admin port) and their comparison
export {
  DigestFormatError,
  parseDigestTopics,
  parseRouteDigest,
  ROUTE_DIGEST_FORMAT,
} from './consistency/route-digest.js';
export type {
  DigestBroker,
  DigestBrokerGroup,
  DigestCluster,
  DigestDataVersion,
  DigestTopicQueue,
  DigestTopics,
  RouteDigest,
} from './consistency/route-digest.js';
export {
  compareRouteDigests,
  explainTopicDifference,
} from './consistency/compare-route-digests.js';
export type {
  AddressesDiffer,
  BrokerMissing,
  BrokerNameMissing,
  ClusterDiffers,
  ConsistencyReport,
  DataVersionDiffers,
  NodeDigest,
  RouteDifference,
  TopicDifference,
  TopicsDiffer,
} from './consistency/compare-route-digests.js';
export { checkConsistency } from './consistency/consistency-check.js';
export type {
  ConsistencyCheckOptions,
  ConsistencyCheckResult,
  FetchJson,
  NodeFailure,
} from './consistency/consistency-check.js';
export { NodeListError, parseNodeList } from './consistency/node-address.js';
export { REFUSAL_BODY_BYTES, refusalReason } from './consistency/refusal-reason.js';
export type { DigestNode, ParseNodeListOptions } from './consistency/node-address.js';
