/**
 * `DataVersion` JSON: `{"counter":3,"timestamp":1700000000000}` (4.9) or with `stateVersion`
 * (5.x, between the two in sorted order).
 */
import type { DataVersion } from './types.js';
import { asRecord, parseJsonBody, readLong, type JsonRecord } from '../json/read-fields.js';

/** The JSON text of a DataVersion; `stateVersion` only when present (4.9 writes none). */
export function writeDataVersion(v: DataVersion): string {
  if (v.stateVersion === undefined) return `{"counter":${v.counter},"timestamp":${v.timestamp}}`;
  return `{"counter":${v.counter},"stateVersion":${v.stateVersion},"timestamp":${v.timestamp}}`;
}

export function encodeDataVersion(v: DataVersion): Buffer {
  return Buffer.from(writeDataVersion(v), 'latin1');
}

/** Reads a parsed DataVersion object; absent fields are 0, as Java's defaults. */
export function readDataVersion(v: unknown, where: string): DataVersion {
  const rec: JsonRecord = asRecord(v, where);
  const out: DataVersion = {
    counter: readLong(rec, 'counter', where, 0),
    timestamp: readLong(rec, 'timestamp', where, 0),
  };
  if (rec['stateVersion'] !== undefined && rec['stateVersion'] !== null) {
    out.stateVersion = readLong(rec, 'stateVersion', where, 0);
  }
  return out;
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
