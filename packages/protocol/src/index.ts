// @ns/protocol public API: every export is listed by name.

// Constants
export { RequestCode, requestCodeName } from './request-code.js';
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
export {
  AUTO_CREATE_TOPIC_KEY_TOPIC,
  DEFAULT_MAX_FRAME_LENGTH,
  DEFAULT_NAMESRV_PORT,
  DLQ_GROUP_TOPIC_PREFIX,
  MASTER_ID,
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
export { FrameDecoder } from './frame-decoder.js';
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
