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
export function writeKVTable(kv: KVTable, flavour: JsonFlavour = LEGACY): string {
  return '{"table":' + writeStringKeyedMap(kv.table, (v) => writeString(v, flavour), flavour) + '}';
}

export function encodeKVTable(kv: KVTable, flavour: JsonFlavour = LEGACY): Buffer {
  return Buffer.from(writeKVTable(kv, flavour), 'utf8');
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
