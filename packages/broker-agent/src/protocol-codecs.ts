/**
 * The @ns/protocol codecs the agent needs, in one place.
 *
 * TEMPORARY deep imports: the typed header and body codecs are not exported from @ns/protocol's
 * index yet. Once they are, this file becomes plain `export { … } from '@ns/protocol'` and nothing
 * else changes. They point at protocol's built `dist/` (not `src/` as the server's
 * handlers/protocol-bodies.ts does) because the same relative path must also resolve from this
 * package's `dist/` at run time: the `ns-broker-agent` binary has to start. Consequence until
 * then: `tsc -b` must run before the unit tests.
 */
export { bodyCrc32 } from '../../protocol/dist/bodies/body-crc32.js';
export { decodeDataVersion, encodeDataVersion } from '../../protocol/dist/bodies/data-version.js';
export {
  decodeRegisterBrokerBody,
  encodeRegisterBrokerBody,
} from '../../protocol/dist/bodies/register-broker-body.js';
export { decodeRegisterBrokerResult } from '../../protocol/dist/bodies/register-broker-result.js';
export {
  decodeQueryDataVersionResponseHeader,
  encodeBrokerHeartbeatRequestHeader,
  encodeQueryDataVersionRequestHeader,
  encodeRegisterBrokerRequestHeader,
  encodeUnRegisterBrokerRequestHeader,
} from '../../protocol/dist/headers/broker-headers.js';
export type { RegisterBrokerRequestHeader } from '../../protocol/dist/headers/broker-headers.js';
