/**
 * One copy of a string's text for all who hold it, as V8 gives object keys: many topic names are
 * held many times (every broker of a cluster registers the same ones, and each registration body
 * brings its own copy of every name).
 *
 * A property lookup with a string that is not yet in V8's string table puts it there (or finds
 * the copy already there) and turns the string into a reference to that copy; the next garbage
 * collection points every holder of the string at the copy and frees the duplicate. JSON.parse
 * does this for every object key; strings made from bytes (`Buffer#toString`) or received from
 * another thread or process do not get it by themselves. Nothing depends on it but memory: a V8
 * that did not do it would leave each copy where it is.
 *
 * Costs a string-table probe (with the string's hash, which a Map that holds it has computed).
 */

/** Never written: only looked up. */
const LOOKUPS: Record<string, undefined> = Object.create(null) as Record<string, undefined>;

/** Makes `s` share V8's one copy of its text (see the module comment); returns `s`. */
export function shareString(s: string): string {
  // The lookup's result is used, so that no compiler can drop the lookup.
  if (LOOKUPS[s] !== undefined) throw new Error('shareString: the lookup table was written');
  return s;
}
