/**
 * Sorting large arrays as sliced work (slice-queue.ts): sorting 80,000 names natively holds the
 * event loop 30–60 ms on the 2-core machine. Runs of RUN items are sorted natively, then merged
 * pairwise; the generator yields after each run and every RUN items moved.
 */
import type { SlicedJob } from './slice-queue.js';

/** Items sorted natively at once, and moved between two yields while merging. */
const RUN = 2048;

/**
 * `items` sorted by `cmp` (stable), or in code-unit order for strings without `cmp` (Array#sort's
 * default). Sorts `items` in place or returns another array: use the result.
 */
export function sortInSteps(items: string[]): SlicedJob<string[]>;
export function sortInSteps<T>(items: T[], cmp: (a: T, b: T) => number): SlicedJob<T[]>;
export function* sortInSteps<T>(items: T[], cmp?: (a: T, b: T) => number): SlicedJob<T[]> {
  const n = items.length;
  let src = items;
  for (let start = 0; start < n; start += RUN) {
    const run = src.slice(start, start + RUN);
    if (cmp === undefined) run.sort();
    else run.sort(cmp);
    for (let i = 0; i < run.length; i++) src[start + i] = run[i]!;
    yield;
  }
  // Without `cmp`, items are strings (the overload): `<` is code-unit order, as Array#sort's.
  const before = cmp ?? ((a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0));
  let dst = new Array<T>(n);
  let moved = 0;
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        // Stable: an item of the right run goes first only when strictly smaller.
        dst[k++] = before(src[j]!, src[i]!) < 0 ? src[j++]! : src[i++]!;
        if (++moved % RUN === 0) yield;
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    [src, dst] = [dst, src];
    yield;
  }
  return src;
}
