/**
 * The periodic KV log line (`kvConfigDumpIntervalMillis`; Java logs every entry every 10 minutes)
 * at info: the entry count and the size of each namespace. A table of many namespaces gets its
 * totals and its largest namespaces only, and says so: listing 200,000 namespaces made a 4 MB
 * line and held the serving loop for 270-370 ms every interval (review finding).
 */
import type { KVConfigTable } from './kv-config-file-format.js';

/** Up to this many namespaces, every one is listed. */
export const KV_DUMP_ALL_NAMESPACES_UP_TO = 100;
/** Above that, this many of the largest are. */
export const KV_DUMP_LARGEST_NAMESPACES = 20;

export interface KVTableSummary {
  /** Entries in all namespaces (null values included: they are in the table). */
  entries: number;
  /** How many namespaces there are. */
  namespaceCount: number;
  /** Namespace → entries: all of them, or the largest (see `namespacesListed`). */
  namespaces: Record<string, number>;
  /** Only when not every namespace is listed: which ones are, e.g. `the 20 largest of 200000`. */
  namespacesListed?: string;
}

export function kvTableSummary(
  table: KVConfigTable,
  allUpTo = KV_DUMP_ALL_NAMESPACES_UP_TO,
  largest = KV_DUMP_LARGEST_NAMESPACES,
): KVTableSummary {
  let entries = 0;
  for (const map of table.values()) entries += map.size;
  const namespaceCount = table.size;
  // A null-prototype object: a namespace may be called `__proto__`.
  const namespaces = Object.create(null) as Record<string, number>;
  if (namespaceCount <= allUpTo) {
    for (const [ns, map] of table) namespaces[ns] = map.size;
    return { entries, namespaceCount, namespaces };
  }
  // The largest, by size descending, table order among equals: kept sorted, at most `largest`
  // long, so the usual namespace (not larger than the smallest kept) costs one comparison.
  const top: [string, number][] = [];
  for (const [ns, map] of table) {
    const size = map.size;
    if (top.length === largest && (largest === 0 || size <= top[largest - 1]![1])) continue;
    let at = top.length;
    while (at > 0 && top[at - 1]![1] < size) at--;
    top.splice(at, 0, [ns, size]);
    if (top.length > largest) top.pop();
  }
  for (const [ns, size] of top) namespaces[ns] = size;
  return {
    entries,
    namespaceCount,
    namespaces,
    namespacesListed: `the ${top.length} largest of ${namespaceCount}`,
  };
}
