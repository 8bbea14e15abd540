/**
 * The first value Java's `HashMap<String, V>` would iterate, for the unit-topic lists (§2.2
 * codes 311–313 look at a topic's *first* QueueData). 4.9.7 keeps a topic's QueueData in a
 * default `new HashMap<>()` (capacity 16, doubled whenever size exceeds 0.75 × capacity);
 * iteration walks buckets in index order, each bucket in insertion order. `capacity`: the table's
 * buckets when it once held more entries than now (QueueDataMap.javaTableCapacity).
 */
import { javaHashMapCapacity, javaStringHashCode } from '@ns/protocol';

export function javaHashMapFirstValue<V>(
  map: ReadonlyMap<string, V>,
  capacity = javaHashMapCapacity(map.size),
): V | undefined {
  if (map.size <= 1) return map.values().next().value;
  const mask = capacity - 1;
  let best: V | undefined;
  let bestBucket = capacity;
  for (const [key, value] of map) {
    const h = javaStringHashCode(key);
    const bucket = (h ^ (h >>> 16)) & mask;
    // Strictly smaller: within one bucket the earlier insertion comes first.
    if (bucket < bestBucket) {
      bestBucket = bucket;
      best = value;
    }
  }
  return best;
}
