/**
 * The /kv and /kv/:namespace bodies, built in steps on the admin port's slice queue.
 *
 * Built in one go, a namespace of 100,000 keys held the event loop that answers route lookups for
 * 70 ms (/kv/:namespace) and 66 ms (/kv): copying the keys, sorting them, building an object and
 * JSON.stringify. Here every part yields every STEP entries (sortInSteps for the sort), and the
 * body is assembled from Buffers encoded chunk by chunk.
 *
 * The bytes are exactly what `toJson` of the former objects wrote: keys in code-unit order, null
 * values left out, and, as a JavaScript object orders them, keys that are array indices
 * ("0", "17", …, up to 2^32 - 2) first, in numeric order.
 *
 * A table written to while a body is built (between two steps) gives a body that holds, for each
 * key written meanwhile, its value before or after the write; the server keeps such a body only
 * for the version it started from, so the next request builds it again.
 */
import { concatInSteps, STEP_CHARS } from '../handlers/list-bodies-in-steps.js';
import type { SlicedJob } from '../slices/slice-queue.js';
import { sortInSteps } from '../slices/sort-in-steps.js';

/**
 * Entries handled between two yields, or fewer: a step also ends after STEP_CHARS characters of
 * JSON (2,000 values of 30 KB were one step of 1.2 s), and the body's parts are joined in steps.
 */
const STEP = 2048;

type Namespace = ReadonlyMap<string, string | null>;

/** Whether JavaScript orders `key` as an array index (canonical, at most 2^32 - 2). */
function isArrayIndex(key: string): boolean {
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(key)) return false;
  return key.length < 10 || Number(key) <= 4294967294;
}

/**
 * `keys` (whose order is overwritten) in the order JSON.stringify writes an object's own keys
 * defined in code-unit order: array indices first by value (for canonical digit strings, by
 * length then code units, so a stable split by length of the sorted list gives it), then the
 * others.
 */
function* objectKeyOrder(keys: string[]): SlicedJob<string[]> {
  const sorted = yield* sortInSteps(keys);
  const byLength: string[][] = [];
  const rest: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const key = sorted[i]!;
    if (isArrayIndex(key)) (byLength[key.length] ??= []).push(key);
    else rest.push(key);
    if (i % STEP === STEP - 1) yield;
  }
  if (rest.length === sorted.length) return rest;
  const out: string[] = [];
  for (const group of byLength) if (group !== undefined) for (const k of group) out.push(k);
  for (const k of rest) out.push(k);
  return out;
}

function* keysInSteps(map: ReadonlyMap<string, unknown>): SlicedJob<string[]> {
  const keys: string[] = [];
  for (const key of map.keys()) {
    keys.push(key);
    if (keys.length % STEP === 0) yield;
  }
  return keys;
}

/** `{"k":"v",…}` of the namespace, appended to `parts` chunk by chunk. */
function* namespaceJson(entries: Namespace, parts: Buffer[]): SlicedJob<void> {
  const keys = yield* objectKeyOrder(yield* keysInSteps(entries));
  let chunk = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    // Read now, not when the keys were copied: a key deleted since is left out.
    const value = entries.get(key);
    if (value !== null && value !== undefined) {
      chunk += `${first ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(value)}`;
      first = false;
    }
    if (i % STEP === STEP - 1 || chunk.length >= STEP_CHARS) {
      parts.push(Buffer.from(chunk, 'utf8'));
      chunk = '';
      yield;
    }
  }
  parts.push(Buffer.from(chunk + '}', 'utf8'));
}

/** `{"namespace":…,"table":{…}}`: GET /kv/:namespace. */
export function* kvNamespaceBody(namespace: string, entries: Namespace): SlicedJob<Buffer> {
  const parts = [Buffer.from(`{"namespace":${JSON.stringify(namespace)},"table":`, 'utf8')];
  yield* namespaceJson(entries, parts);
  parts.push(Buffer.from('}', 'utf8'));
  return yield* concatInSteps(parts);
}

/** `{"configTable":{"<namespace>":{…},…}}`: GET /kv. */
export function* kvTableBody(table: ReadonlyMap<string, Namespace>): SlicedJob<Buffer> {
  const namespaces = yield* objectKeyOrder(yield* keysInSteps(table));
  const parts = [Buffer.from('{"configTable":{', 'utf8')];
  let first = true;
  for (let i = 0; i < namespaces.length; i++) {
    const namespace = namespaces[i]!;
    // Many small namespaces yield here; a large one also within namespaceJson.
    if (i % 256 === 255) yield;
    const entries = table.get(namespace);
    if (entries === undefined) continue; // dropped since the names were copied
    parts.push(Buffer.from(`${first ? '' : ','}${JSON.stringify(namespace)}:`, 'utf8'));
    first = false;
    yield* namespaceJson(entries, parts);
  }
  parts.push(Buffer.from('}}', 'utf8'));
  return yield* concatInSteps(parts);
}
