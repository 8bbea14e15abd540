/**
 * `RegisterBrokerResult`: what a REGISTER_BROKER response carries — `haServerAddr`/`masterAddr` ext
 * fields (a slave whose master is alive) and the ORDER_TOPIC_CONFIG namespace as a KVTable body.
 */
import type { RegisterBrokerResult } from './types.js';
import type { ExtFields } from '../remoting-command.js';
import {
  decodeRegisterBrokerResponseHeader,
  encodeRegisterBrokerResponseHeader,
  type RegisterBrokerResponseHeader,
} from '../headers/broker-headers.js';
import { decodeKVTable, encodeKVTable } from './kv-table.js';

/**
 * Response parts for a result. ext fields are `{}` for a master (Java writes `"extFields":{}`); the
 * body is null when the namespace does not exist.
 */
export function encodeRegisterBrokerResult(result: RegisterBrokerResult): {
  extFields: ExtFields;
  body: Buffer | null;
} {
  const h: RegisterBrokerResponseHeader = {};
  if (result.haServerAddr !== null) h.haServerAddr = result.haServerAddr;
  if (result.masterAddr !== null) h.masterAddr = result.masterAddr;
  return {
    extFields: encodeRegisterBrokerResponseHeader(h),
    body: result.kvTable === null ? null : encodeKVTable(result.kvTable),
  };
}

/** The broker side: reads a SUCCESS response of REGISTER_BROKER. */
export function decodeRegisterBrokerResult(
  extFields: Readonly<Record<string, unknown>> | null,
  body: Buffer | null,
): RegisterBrokerResult {
  const h = decodeRegisterBrokerResponseHeader(extFields);
  return {
    haServerAddr: h.haServerAddr ?? null,
    masterAddr: h.masterAddr ?? null,
    kvTable: body === null || body.length === 0 ? null : decodeKVTable(body),
  };
}
