/**
 * The @ns/protocol codecs the agent uses, in one place (typed header codecs that write ext
 * fields in Java's HashMap order, the RegisterBrokerBody encoder, the CRC), so the agent's other
 * modules read as "what is sent" rather than "how it is encoded".
 */
export {
  bodyCrc32,
  decodeDataVersion,
  decodeQueryDataVersionResponseHeader,
  decodeRegisterBrokerBody,
  decodeRegisterBrokerResult,
  encodeBrokerHeartbeatRequestHeader,
  encodeDataVersion,
  encodeQueryDataVersionRequestHeader,
  encodeRegisterBrokerBody,
  encodeRegisterBrokerRequestHeader,
  encodeUnRegisterBrokerRequestHeader,
} from '@ns/protocol';
export type { RegisterBrokerRequestHeader } from '@ns/protocol';
