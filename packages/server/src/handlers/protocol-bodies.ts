/** The protocol codecs the handlers use, gathered in one place. */
export { bodyCrc32 } from '@ns/protocol';
export { decodeDataVersion, encodeDataVersion } from '@ns/protocol';
export { decodeRegisterBrokerBody, REGISTER_BODY_MIN_VERSION } from '@ns/protocol';
export { encodeGetBrokerMemberGroupResponseBody } from '@ns/protocol';
export { encodeKVTable } from '@ns/protocol';
export { decodeTopicRouteData, encodeTopicRouteData } from '@ns/protocol';
export { encodeClusterInfo } from '@ns/protocol';
export { encodeTopicList } from '@ns/protocol';
export {
  javaHashCopyCapacity,
  javaHashMapCapacity,
  javaHashOrderBy,
  javaLongHashOrder,
  javaStringHashCode,
  javaStringHashOrder,
} from '@ns/protocol';
export {
  decodeBrokerHeartbeatRequestHeader,
  decodeQueryDataVersionRequestHeader,
  decodeRegisterBrokerRequestHeader,
  decodeUnRegisterBrokerRequestHeader,
  encodeQueryDataVersionResponseHeader,
  encodeRegisterBrokerResponseHeader,
} from '@ns/protocol';
export {
  decodeDeleteKVConfigRequestHeader,
  decodeGetKVConfigRequestHeader,
  decodeGetKVListByNamespaceRequestHeader,
  encodeGetKVConfigResponseHeader,
} from '@ns/protocol';
export {
  decodeAddWritePermOfBrokerRequestHeader,
  decodeDeleteTopicFromNamesrvRequestHeader,
  decodeGetBrokerMemberGroupRequestHeader,
  decodeGetTopicsByClusterRequestHeader,
  decodeRegisterTopicRequestHeader,
  decodeWipeWritePermOfBrokerRequestHeader,
  encodeAddWritePermOfBrokerResponseHeader,
  encodeWipeWritePermOfBrokerResponseHeader,
} from '@ns/protocol';
