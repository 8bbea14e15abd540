/**
 * Typed field readers for parsed JSON bodies. Each throws a `BodyDecodeError` naming the field path
 * (`topicConfigSerializeWrapper.topicConfigTable["T"].perm`) and what was expected. Messages are
 * only built on failure: these run once per field of a 10,000-topic registration.
 *
 * Conversions follow what fastjson accepts for Java fields: numbers for int/long, numeric strings for
 * int/long too, `true`/`false` (or their string forms) for booleans, numbers for String fields.
 */
import { BodyDecodeError } from '../errors.js';
import { parseJsonLenient } from './lenient-parse.js';
import type { KeptMembers } from './json-skim.js';

export type JsonRecord = Record<string, unknown>;

function path(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string')
    return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    return `${typeof v} ${String(v)}`;
  }
  return typeof v;
}

export function badField(where: string, expected: string, got: unknown): BodyDecodeError {
  return new BodyDecodeError(`body field ${where}: expected ${expected}, got ${describe(got)}`);
}

/** UTF-8 body → parsed JSON (JSON.parse fast path, fastjson-tolerant fallback). */
/** `keep`: see parseJsonLenient (the members of the object that are read). */
export function parseJsonBody(
  body: Buffer | Uint8Array,
  what: string,
  keep?: KeptMembers,
): unknown {
  let text: string;
  try {
    text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  } catch (err) {
    throw new BodyDecodeError(`${what}: body is not text`, { cause: err });
  }
  try {
    return parseJsonLenient(text, keep);
  } catch (err) {
    if (err instanceof BodyDecodeError) {
      throw new BodyDecodeError(`${what}: ${err.message}`, { cause: err });
    }
    throw new BodyDecodeError(`${what}: ${String(err)}`, { cause: err });
  }
}

export function asRecord(v: unknown, where: string): JsonRecord {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw badField(where, 'an object', v);
  return v as JsonRecord;
}

export function asArray(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw badField(where, 'an array', v);
  return v;
}

const INT_TEXT = /^[+-]?\d{1,19}$/;

function toInteger(v: unknown, where: string, min: number, max: number, what: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && INT_TEXT.test(v)) n = Number(v);
  else throw badField(where, what, v);
  if (!Number.isInteger(n) || n < min || n > max) throw badField(where, what, v);
  return n;
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** A Java int field; `dflt` when absent or null (Java primitive default or field initializer). */
export function readInt(obj: JsonRecord, key: string, parent: string, dflt: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number' && (v | 0) === v) return v;
  return toInteger(v, path(parent, key), INT_MIN, INT_MAX, 'a 32-bit integer');
}

/** A Java long field (kept as a JS number: must be a safe integer). */
export function readLong(obj: JsonRecord, key: string, parent: string, dflt: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  return toInteger(
    v,
    path(parent, key),
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
    'an integer within ±2^53',
  );
}

export function readBoolean(obj: JsonRecord, key: string, parent: string, dflt: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 1 || v === 0) return v === 1;
  throw badField(path(parent, key), 'a boolean', v);
}

export function readOptionalString(
  obj: JsonRecord,
  key: string,
  parent: string,
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  // Java: fastjson converts a number to a String field.
  if (typeof v === 'number') return String(v);
  throw badField(path(parent, key), 'a string', v);
}

export function readRequiredString(obj: JsonRecord, key: string, parent: string): string {
  const s = readOptionalString(obj, key, parent);
  if (s === undefined) throw badField(path(parent, key), 'a string', obj[key] ?? null);
  return s;
}

/** A `List<String>`; null/absent → `dflt`. */
export function readStringList(
  obj: JsonRecord,
  key: string,
  parent: string,
  dflt: string[] | null,
): string[] | null {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  return stringListValue(v, path(parent, key));
}

/** Object entries as a Map (keys as strings); `read` converts each value. Null values are skipped. */
export function readStringKeyedMap<V>(
  v: unknown,
  where: string,
  read: (value: unknown, where: string, key: string) => V,
): Map<string, V> {
  const rec = asRecord(v, where);
  const out = new Map<string, V>();
  for (const k of Object.keys(rec)) {
    const e = rec[k];
    if (e === null || e === undefined) continue;
    out.set(k, read(e, where, k));
  }
  return out;
}

const LONG_KEY = /^-?\d{1,16}$/;

/** An object with numeric keys (bare `{0:…}` or quoted `{"0":…}`) as a `Map<number, V>`. */
export function readLongKeyedMap<V>(
  v: unknown,
  where: string,
  read: (value: unknown, where: string, key: string) => V,
): Map<number, V> {
  const rec = asRecord(v, where);
  const out = new Map<number, V>();
  for (const k of Object.keys(rec)) {
    const e = rec[k];
    if (e === null || e === undefined) continue;
    const n = Number(k);
    if (!LONG_KEY.test(k) || !Number.isSafeInteger(n)) {
      throw new BodyDecodeError(`body field ${where}: key ${JSON.stringify(k)} is not an integer`);
    }
    out.set(n, read(e, where, k));
  }
  return out;
}

export function stringValue(v: unknown, where: string, key: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw badField(`${where}[${JSON.stringify(key)}]`, 'a string', v);
}

export function intValue(v: unknown, where: string, key: string): number {
  if (typeof v === 'number' && (v | 0) === v) return v;
  return toInteger(v, `${where}[${JSON.stringify(key)}]`, INT_MIN, INT_MAX, 'a 32-bit integer');
}

/** A JSON array of strings (numbers converted, as fastjson does for `List<String>`). */
export function stringListValue(v: unknown, where: string): string[] {
  const arr = asArray(v, where);
  const out = new Array<string>(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const e = arr[i];
    if (typeof e === 'string') out[i] = e;
    else if (typeof e === 'number') out[i] = String(e);
    else throw badField(`${where}[${i}]`, 'a string', e);
  }
  return out;
}
