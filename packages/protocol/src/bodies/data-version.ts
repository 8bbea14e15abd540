/**
 * `DataVersion` JSON: `{"counter":3,"timestamp":1700000000000}` (4.9) or with `stateVersion`
 * (5.x, between the two in sorted order).
 */
import type { DataVersion } from './types.js';
import { asRecord, parseJsonBody, readLong, type JsonRecord } from '../json/read-fields.js';

/**
 * The JSON text of a DataVersion; `stateVersion` only when present (4.9 writes none), no
 * `timestamp` when it was read without one (so it reads back the same).
 */
export function writeDataVersion(v: DataVersion): string {
  const stamp = v.unstamped === true ? '' : `,"timestamp":${v.timestamp}`;
  if (v.stateVersion === undefined) return `{"counter":${v.counter}${stamp}}`;
  return `{"counter":${v.counter},"stateVersion":${v.stateVersion}${stamp}}`;
}

export function encodeDataVersion(v: DataVersion): Buffer {
  return Buffer.from(writeDataVersion(v), 'latin1');
}

/**
 * Reads a parsed DataVersion object; an absent counter or stateVersion is 0, as Java's defaults.
 * An absent timestamp is Java's creation time: marked `unstamped` (see DataVersion).
 */
export function readDataVersion(v: unknown, where: string): DataVersion {
  const rec: JsonRecord = asRecord(v, where);
  const out: DataVersion = {
    counter: readLong(rec, 'counter', where, 0),
    timestamp: readLong(rec, 'timestamp', where, 0),
  };
  if (rec['stateVersion'] !== undefined && rec['stateVersion'] !== null) {
    out.stateVersion = readLong(rec, 'stateVersion', where, 0);
  }
  if (rec['timestamp'] === undefined || rec['timestamp'] === null) out.unstamped = true;
  return out;
}

/**
 * The DataVersion of a body that has none: Java's `new DataVersion()`, counter 0 and the
 * receiver's clock (marked, see DataVersion). Not the no-body case: that one is {0, 0}.
 */
export function unstampedDataVersion(): DataVersion {
  return { counter: 0, timestamp: 0, unstamped: true };
}

export function decodeDataVersion(body: Buffer): DataVersion {
  return readDataVersion(parseJsonBody(body, 'DataVersion'), 'dataVersion');
}

/**
 * `DataVersion.equals`. Java: 4.9 compares timestamp and counter; 5.x also stateVersion (a 4.9 body
 * read by 5.x has stateVersion 0).
 */
export function dataVersionEquals(a: DataVersion, b: DataVersion, line: '4.9' | '5.x'): boolean {
  if (a.timestamp !== b.timestamp || a.counter !== b.counter) return false;
  if (line === '4.9') return true;
  return (a.stateVersion ?? 0) === (b.stateVersion ?? 0);
}
