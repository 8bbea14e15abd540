/**
 * The Java KV file (`kvConfigPath`, default `~/namesrv/kvConfig.json`):
 *
 *   {"configTable":{"<namespace>":{"<key>":"<value>",…},…}}
 *
 * fastjson legacy JSON: compact, one top-level key, null values omitted. Maps are written in our
 * insertion order (Java writes hash order; readers do not care). Parsing accepts what Java writes
 * and fails with a KVConfigCorruptError naming the problem for anything else; an empty document
 * or an object without `configTable` loads as empty (Java leaves the table empty then).
 */
import { fastjsonString } from '@ns/protocol';
import { KVConfigCorruptError } from './kv-config-errors.js';

/** namespace → key → value; null values are kept in memory but never written. */
export type KVConfigTable = ReadonlyMap<string, ReadonlyMap<string, string | null>>;

export function serializeKVConfigFile(table: KVConfigTable): string {
  let out = '{"configTable":{';
  let firstNs = true;
  for (const [namespace, entries] of table) {
    if (!firstNs) out += ',';
    firstNs = false;
    out += fastjsonString(namespace) + ':{';
    let first = true;
    for (const [key, value] of entries) {
      if (value === null) continue; // fastjson omits null map values
      if (!first) out += ',';
      first = false;
      out += fastjsonString(key) + ':' + fastjsonString(value);
    }
    out += '}';
  }
  return out + '}}';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses the file text into fresh Maps (never plain objects: `__proto__` is a legal key).
 * `path` only labels the error. Numbers/booleans as values are read as their text, as fastjson
 * does when filling a `HashMap<String,String>`; nulls are dropped.
 */
export function parseKVConfigFile(
  source: string,
  path: string | null = null,
): Map<string, Map<string, string>> {
  // A byte order mark (a file saved by a Windows editor): fastjson skips it, so a file Java
  // loads would stop this node from starting.
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  // Java: fastjson parses an empty document to null and the table stays empty. Such a file holds
  // nothing to lose (5.x overwrites in place, so a crash can leave one behind).
  if (text.trim() === '') return new Map();
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new KVConfigCorruptError(path, `invalid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (!isPlainObject(root))
    throw new KVConfigCorruptError(path, 'the document is not a JSON object');
  const table = new Map<string, Map<string, string>>();
  const configTable = root['configTable'];
  if (configTable === undefined) {
    // {} is an empty table (as Java); an object holding other keys is not a KV file (a wrong
    // path, a hand edit's typo): loaded as empty, the next write destroyed it.
    const others = Object.keys(root);
    if (others.length === 0) return table;
    throw new KVConfigCorruptError(
      path,
      `it has no "configTable" key but ${others
        .slice(0, 5)
        .map((k) => JSON.stringify(k))
        .join(', ')}: not a KV config file?`,
    );
  }
  if (configTable === null) return table;
  if (!isPlainObject(configTable)) {
    throw new KVConfigCorruptError(path, '"configTable" is not an object');
  }
  for (const [namespace, entries] of Object.entries(configTable)) {
    if (entries === null) continue;
    if (!isPlainObject(entries)) {
      throw new KVConfigCorruptError(
        path,
        `namespace ${JSON.stringify(namespace)} is not an object`,
      );
    }
    const map = new Map<string, string>();
    for (const [key, value] of Object.entries(entries)) {
      if (value === null) continue;
      if (typeof value === 'string') map.set(key, value);
      else if (typeof value === 'number' || typeof value === 'boolean') map.set(key, String(value));
      else {
        throw new KVConfigCorruptError(
          path,
          `value of ${JSON.stringify(namespace)}/${JSON.stringify(key)} is not a string`,
        );
      }
    }
    table.set(namespace, map);
  }
  return table;
}
