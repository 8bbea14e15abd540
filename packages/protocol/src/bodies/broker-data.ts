/** `BrokerData`: a broker group — name, cluster, brokerId → address (§3.2). */
import type { BrokerData } from './types.js';
import { type JsonFlavour, writeLongKeyedMap, writeString } from '../json/fastjson-writer.js';
import {
  asRecord,
  readBoolean,
  readLongKeyedMap,
  readOptionalString,
  readRequiredString,
  stringValue,
} from '../json/read-fields.js';

export function readBrokerAddrs(v: unknown, where: string): Map<number, string> {
  if (v === undefined || v === null) return new Map();
  return readLongKeyedMap(v, where, stringValue);
}

export function readBrokerData(v: unknown, where: string): BrokerData {
  const rec = asRecord(v, where);
  const bd: BrokerData = {
    cluster: readRequiredString(rec, 'cluster', where),
    brokerName: readRequiredString(rec, 'brokerName', where),
    brokerAddrs: readBrokerAddrs(rec['brokerAddrs'], `${where}.brokerAddrs`),
  };
  if (rec['enableActingMaster'] !== undefined && rec['enableActingMaster'] !== null) {
    bd.enableActingMaster = readBoolean(rec, 'enableActingMaster', where, false);
  }
  const zone = readOptionalString(rec, 'zoneName', where);
  if (zone !== undefined) bd.zoneName = zone;
  return bd;
}

/** `{0:"a",1:"b"}` / `{"0":"a","1":"b"}`: Java's brokerAddrs is a `HashMap<Long, String>`. */
export function writeBrokerAddrs(addrs: ReadonlyMap<number, string>, flavour: JsonFlavour): string {
  return writeLongKeyedMap(addrs, (a) => writeString(a, flavour), flavour);
}

/**
 * Sorted: brokerAddrs, brokerName, cluster, enableActingMaster (5.x: a `boolean` field, always
 * written by a 5.x NameServer; 4.9 has no such field, so it is written only when set), zoneName
 * (5.x, when set).
 */
export function writeBrokerData(bd: BrokerData, flavour: JsonFlavour): string {
  let out =
    `{"brokerAddrs":${writeBrokerAddrs(bd.brokerAddrs, flavour)},` +
    `"brokerName":${writeString(bd.brokerName, flavour)},"cluster":${writeString(bd.cluster, flavour)}`;
  if (bd.enableActingMaster !== undefined) {
    out += bd.enableActingMaster ? ',"enableActingMaster":true' : ',"enableActingMaster":false';
  }
  if (bd.zoneName !== undefined) out += `,"zoneName":${writeString(bd.zoneName, flavour)}`;
  return out + '}';
}
