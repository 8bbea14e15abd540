/** `KVTable`: `{"table":{"k":"v",…}}` (GET_KVLIST_BY_NAMESPACE, REGISTER_BROKER response). */
import type { KVTable } from './types.js';
import {
  type JsonFlavour,
  LEGACY,
  writeString,
  writeStringKeyedMap,
} from '../json/fastjson-writer.js';
import { asRecord, parseJsonBody, readStringKeyedMap, stringValue } from '../json/read-fields.js';

/** The table is a KV namespace `HashMap<String,String>` (default capacity) in Java. */
/**
 * `capacity`: the buckets of the Java HashMap the table came from, when it once held more entries
 * than now (Java's never shrinks); without it, a default map grown to the entries given.
 */
export function writeKVTable(
  kv: KVTable,
  flavour: JsonFlavour = LEGACY,
  capacity?: number,
): string {
  const shape = capacity === undefined ? {} : { initialCapacity: capacity };
  return (
    '{"table":' +
    writeStringKeyedMap(kv.table, (v) => writeString(v, flavour), flavour, shape) +
    '}'
  );
}

export function encodeKVTable(
  kv: KVTable,
  flavour: JsonFlavour = LEGACY,
  capacity?: number,
): Buffer {
  return Buffer.from(writeKVTable(kv, flavour, capacity), 'utf8');
}

export function readKVTable(v: unknown, where: string): KVTable {
  const rec = asRecord(v, where);
  const t = rec['table'];
  return {
    table:
      t === undefined || t === null
        ? new Map<string, string>()
        : readStringKeyedMap(t, `${where}.table`, stringValue),
  };
}

export function decodeKVTable(body: Buffer): KVTable {
  return readKVTable(parseJsonBody(body, 'KVTable'), 'KVTable');
}
