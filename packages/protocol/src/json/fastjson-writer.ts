/**
 * Building blocks for writing JSON byte-compatible with fastjson 1.2.69 (§3.1).
 *
 * The per-type body encoders concatenate strings by hand (sorted property names spelled out in the
 * encoder, nulls skipped); these helpers cover the parts that differ between the two flavours:
 *
 * - legacy (fastjson defaults): maps in the Java map's iteration order, non-String keys bare
 *   (`{0:"a"}`), `/` and non-ASCII raw;
 * - standard (`WriteNonStringKeyAsString`, `MapSortField`, `BrowserCompatible`; only the route body
 *   for new clients, §3.4): keys quoted, maps sorted by key, browser-compatible escaping.
 */
import { BodyDecodeError } from '../errors.js';
import { fastjsonString } from './fastjson-string.js';
import { MAX_JSON_DEPTH } from './lenient-parse.js';
import {
  javaHashMapCapacity,
  javaLongHashCode,
  javaLongHashOrder,
  javaStringHashCode,
  javaStringHashOrder,
} from './java-hash-order.js';
import { javaHashTableOrder } from './java-hash-table.js';

export interface JsonFlavour {
  /** Standard JSON (quoted numeric keys, sorted maps, browser-compatible escaping). */
  standard: boolean;
}

export const LEGACY: JsonFlavour = Object.freeze({ standard: false });
export const STANDARD: JsonFlavour = Object.freeze({ standard: true });

/** How the Java side's map was created, to reproduce its legacy iteration order. */
export interface JavaMapShape {
  /** `new HashMap<>(n)` initial capacity (default 16). */
  initialCapacity?: number;
  /**
   * Set when the map is a `ConcurrentHashMap`: the size of its first table (16 for the default
   * constructor, `javaConcurrentHashMapTableSize(n)` for `new ConcurrentHashMap<>(n)`); it then
   * grows the ConcurrentHashMap way (see java-hash-table.ts). `initialCapacity` is ignored.
   */
  concurrentTableSize?: number;
  /**
   * The map was filled by iterating another map of this shape (whose keys were inserted in the
   * order given), so its own insertion order is that map's iteration order.
   */
  filledFrom?: JavaMapShape;
}

/** A JSON string literal in the given flavour. */
export function writeString(s: string, flavour: JsonFlavour): string {
  return fastjsonString(s, flavour.standard);
}

/** Keys of a String-keyed map in output order. */
export function stringKeyOrder(
  keys: readonly string[],
  flavour: JsonFlavour,
  shape: JavaMapShape = {},
): string[] {
  if (flavour.standard) return keys.slice().sort();
  const inserted =
    shape.filledFrom === undefined ? keys : stringKeyOrder(keys, flavour, shape.filledFrom);
  if (shape.concurrentTableSize !== undefined) {
    return javaHashTableOrder(
      'ConcurrentHashMap',
      inserted,
      javaStringHashCode,
      shape.concurrentTableSize,
    );
  }
  return javaStringHashOrder(inserted, {
    capacity: javaHashMapCapacity(keys.length, shape.initialCapacity ?? 16),
  });
}

/** Keys of a Long-keyed map in output order. */
export function longKeyOrder(
  keys: readonly number[],
  flavour: JsonFlavour,
  shape: JavaMapShape = {},
): number[] {
  if (flavour.standard) return keys.slice().sort((a, b) => a - b);
  const inserted =
    shape.filledFrom === undefined ? keys : longKeyOrder(keys, flavour, shape.filledFrom);
  if (shape.concurrentTableSize !== undefined) {
    return javaHashTableOrder(
      'ConcurrentHashMap',
      inserted,
      javaLongHashCode,
      shape.concurrentTableSize,
    );
  }
  return javaLongHashOrder(inserted, {
    capacity: javaHashMapCapacity(keys.length, shape.initialCapacity ?? 16),
  });
}

/** Writes `map`'s entries in the order of `keys`; null/undefined values are omitted, as fastjson does. */
function writeMapEntries<K, V>(
  map: ReadonlyMap<K, V>,
  keys: readonly K[],
  writeKey: (k: K) => string,
  writeValue: (v: V, k: K) => string,
): string {
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = map.get(k);
    if (v === null || v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += writeKey(k) + ':' + writeValue(v, k);
  }
  return out + '}';
}

/** `{"k":v,…}` for a `Map<String, V>`, keys in Java HashMap order (legacy) or sorted (standard). */
export function writeStringKeyedMap<V>(
  map: ReadonlyMap<string, V>,
  writeValue: (v: V, key: string) => string,
  flavour: JsonFlavour,
  shape: JavaMapShape = {},
): string {
  if (map.size === 0) return '{}';
  const keys = map.size === 1 ? [...map.keys()] : stringKeyOrder([...map.keys()], flavour, shape);
  return writeMapEntries(map, keys, (k) => writeString(k, flavour), writeValue);
}

/** `{0:v,…}` (legacy) or `{"0":v,…}` (standard) for a `Map<Long|Integer, V>`. */
export function writeLongKeyedMap<V>(
  map: ReadonlyMap<number, V>,
  writeValue: (v: V) => string,
  flavour: JsonFlavour,
  shape: JavaMapShape = {},
): string {
  if (map.size === 0) return '{}';
  const keys = map.size === 1 ? [...map.keys()] : longKeyOrder([...map.keys()], flavour, shape);
  const writeKey = flavour.standard ? (k: number) => `"${String(k)}"` : (k: number) => String(k);
  return writeMapEntries(map, keys, writeKey, writeValue);
}

/** `["a","b"]`, elements in the given order. */
export function writeStringArray(list: readonly string[], flavour: JsonFlavour): string {
  if (list.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += ',';
    out += writeString(list[i]!, flavour);
  }
  return out + ']';
}

/**
 * Any parsed JSON value (pass-through structures such as 5.x mapping details): objects keep their
 * key order (sorted in standard flavour), null members are omitted like fastjson does.
 */
export function writeJsonValue(value: unknown, flavour: JsonFlavour, depth = 0): string {
  if (value === null || value === undefined) return 'null';
  // Pass-through values parsed by V8's JSON.parse may nest arbitrarily deep: never overflow the stack.
  if (depth > MAX_JSON_DEPTH)
    throw new BodyDecodeError(`JSON value nests deeper than ${MAX_JSON_DEPTH}`);
  switch (typeof value) {
    case 'string':
      return writeString(value, flavour);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) {
        return '[' + value.map((v) => writeJsonValue(v, flavour, depth + 1)).join(',') + ']';
      }
      if (value instanceof Map) {
        const m = value as Map<unknown, unknown>;
        const obj = Object.create(null) as Record<string, unknown>;
        for (const [k, v] of m) obj[String(k)] = v;
        return writeJsonValue(obj, flavour, depth);
      }
      const rec = value as Record<string, unknown>;
      let keys = Object.keys(rec);
      if (flavour.standard) keys = keys.sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = rec[k];
        if (v === null || v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += writeString(k, flavour) + ':' + writeJsonValue(v, flavour, depth + 1);
      }
      return out + '}';
    }
    case 'bigint':
      return String(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      return 'null';
  }
  return 'null';
}
