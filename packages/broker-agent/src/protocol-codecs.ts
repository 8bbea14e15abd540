/**
 * The @ns/protocol codecs the agent needs, in one place.
 *
 * TEMPORARY deep imports (same as packages/server/src/handlers/protocol-bodies.ts): the typed
 * header and body codecs are not exported from @ns/protocol's index yet. Once they are, this file
 * becomes plain `export { … } from '@ns/protocol'` and nothing else changes.
 */
export { bodyCrc32 } from '../../protocol/src/bodies/body-crc32.js';
export { decodeDataVersion, encodeDataVersion } from '../../protocol/src/bodies/data-version.js';
export {
  decodeRegisterBrokerBody,
  encodeRegisterBrokerBody,
} from '../../protocol/src/bodies/register-broker-body.js';
export { decodeRegisterBrokerResult } from '../../protocol/src/bodies/register-broker-result.js';
export {
  decodeQueryDataVersionResponseHeader,
  encodeBrokerHeartbeatRequestHeader,
  encodeQueryDataVersionRequestHeader,
  encodeRegisterBrokerRequestHeader,
  encodeUnRegisterBrokerRequestHeader,
} from '../../protocol/src/headers/broker-headers.js';
export type { RegisterBrokerRequestHeader } from '../../protocol/src/headers/broker-headers.js';
