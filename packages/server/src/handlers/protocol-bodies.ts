/**
 * Codecs the handlers use. TEMPORARY deep imports: Engineer A has not exported the body and header
 * codecs from @ns/protocol's index yet; switch every import to `from '@ns/protocol'` once they are.
 */
export { bodyCrc32 } from '../../../protocol/src/bodies/body-crc32.js';
export { decodeDataVersion, encodeDataVersion } from '../../../protocol/src/bodies/data-version.js';
export {
  decodeRegisterBrokerBody,
  REGISTER_BODY_MIN_VERSION,
} from '../../../protocol/src/bodies/register-broker-body.js';
export { encodeGetBrokerMemberGroupResponseBody } from '../../../protocol/src/bodies/broker-member-group.js';
export { encodeKVTable } from '../../../protocol/src/bodies/kv-table.js';
export {
  decodeTopicRouteData,
  encodeTopicRouteData,
} from '../../../protocol/src/bodies/topic-route-data.js';
export { encodeClusterInfo } from '../../../protocol/src/bodies/cluster-info.js';
export { encodeTopicList } from '../../../protocol/src/bodies/topic-list.js';
export {
  javaHashCopyCapacity,
  javaHashMapCapacity,
  javaHashOrderBy,
  javaLongHashOrder,
  javaStringHashCode,
  javaStringHashOrder,
} from '../../../protocol/src/json/java-hash-order.js';
export {
  decodeBrokerHeartbeatRequestHeader,
  decodeQueryDataVersionRequestHeader,
  decodeRegisterBrokerRequestHeader,
  decodeUnRegisterBrokerRequestHeader,
  encodeQueryDataVersionResponseHeader,
  encodeRegisterBrokerResponseHeader,
} from '../../../protocol/src/headers/broker-headers.js';
export {
  decodeDeleteKVConfigRequestHeader,
  decodeGetKVConfigRequestHeader,
  decodeGetKVListByNamespaceRequestHeader,
  encodeGetKVConfigResponseHeader,
} from '../../../protocol/src/headers/kv-config-headers.js';
export {
  decodeAddWritePermOfBrokerRequestHeader,
  decodeDeleteTopicFromNamesrvRequestHeader,
  decodeGetBrokerMemberGroupRequestHeader,
  decodeGetTopicsByClusterRequestHeader,
  decodeRegisterTopicRequestHeader,
  decodeWipeWritePermOfBrokerRequestHeader,
  encodeAddWritePermOfBrokerResponseHeader,
  encodeWipeWritePermOfBrokerResponseHeader,
} from '../../../protocol/src/headers/route-headers.js';
