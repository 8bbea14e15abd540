/**
 * Topic search and pagination for the console (`GET /topics?q=&offset=&limit=`) and the sorted
 * list of `GET /topics`. A node can hold 100,000 topics; neither the page nor the event loop may
 * receive them all at once.
 *
 * The sorted list (and its lower-cased twin for the case-insensitive search) is kept between
 * requests and brought up to date only when a request needs it: a route change names the topics
 * it touched, and the next request checks just those against the route table — one merge pass
 * over the list when topics came or went, nothing when a re-registration changed only queues or
 * permissions. A change too large to name ('all', or thousands of topics such as a new broker's
 * table) rebuilds the list. All of it is sliced work (slice-queue.ts): sorting 80,000 names takes
 * 30–60 ms, lower-casing them 6–14 ms and one search 2–4 ms, none of which may hold the loop that
 * answers route lookups.
 */
import type { SlicedJob } from '../slices/slice-queue.js';
import { sortInSteps } from '../slices/sort-in-steps.js';

export interface TopicPage {
  /** Topics on the node. */
  readonly total: number;
  /** Topics matching `q`. */
  readonly matched: number;
  readonly offset: number;
  readonly limit: number;
  readonly topics: readonly string[];
}

export const MAX_PAGE_LIMIT = 500;
export const DEFAULT_PAGE_LIMIT = 100;

/** What the search reads of the route table. */
export interface TopicSource {
  /** Every topic, any order. */
  topics(): Iterable<string>;
  hasTopic(topic: string): boolean;
  /** RouteInfoManager#onRouteChanged fits. */
  onRouteChanged(listener: (topics: ReadonlySet<string> | 'all') => void): () => void;
}

/** Past this many named topics since the last request, the list is rebuilt instead of patched. */
export const REBUILD_THRESHOLD = 4096;
/** Names handled between two yields (sorting runs, merging, lower-casing, searching). */
const STEP = 2048;

/**
 * The list as of the running job. Jobs run one at a time, each to its end (slice-queue.ts), so
 * patching it in place between two jobs is safe.
 */
interface Snapshot {
  /** Code-unit order (as /topics always was). */
  readonly sorted: string[];
  /** `sorted[i].toLowerCase()`. */
  readonly lowered: string[];
  /** Changes whenever the list does (cache key of encoded bodies). */
  version: number;
}

/** Up to this many topics added or removed, the list is spliced; past it, merged in one pass. */
const SPLICE_LIMIT = 64;

export class TopicSearch {
  private readonly source: TopicSource;
  private readonly unsubscribe: () => void;
  private snapshot: Snapshot | null = null;
  /** Topics named by route changes since `snapshot` was made; 'all': rebuild. */
  private dirty: Set<string> | 'all' = 'all';
  private versions = 0;

  constructor(source: TopicSource) {
    this.source = source;
    this.unsubscribe = source.onRouteChanged((topics) => {
      this.noteChange(topics);
    });
  }

  close(): void {
    this.unsubscribe();
  }

  /**
   * A job that brings the list up to date and answers it: every topic, sorted, with a version
   * that changes whenever the list does.
   */
  *all(): SlicedJob<{ readonly topics: readonly string[]; readonly version: number }> {
    // The list may be patched in place by a later job: the caller uses it within this job.
    const snap = yield* this.refresh();
    return { topics: snap.sorted, version: snap.version };
  }

  /**
   * A job answering one page of a case-insensitive substring search; an empty `q` matches
   * everything. `offset` and `limit` are clamped to the result.
   */
  *page(q: string, offset: number, limit: number): SlicedJob<TopicPage> {
    const snap = yield* this.refresh();
    const all = snap.sorted;
    const size = Math.min(Math.max(1, limit), MAX_PAGE_LIMIT);
    const needle = q.toLowerCase();
    if (needle === '') {
      const start = Math.min(Math.max(0, offset), all.length);
      return page(all.length, all.length, start, size, all.slice(start, start + size));
    }
    const from = Math.max(0, offset);
    const lowered = snap.lowered;
    const topics: string[] = [];
    let matched = 0;
    for (let i = 0; i < lowered.length; i++) {
      if (lowered[i]!.includes(needle)) {
        if (matched >= from && topics.length < size) topics.push(all[i]!);
        matched++;
      }
      if (i % STEP === STEP - 1) yield;
    }
    return page(all.length, matched, Math.min(from, matched), size, topics);
  }

  private noteChange(topics: ReadonlySet<string> | 'all'): void {
    // Nobody asked yet, or a rebuild is due anyway: nothing to remember.
    if (this.dirty === 'all') return;
    if (topics === 'all' || this.dirty.size + topics.size > REBUILD_THRESHOLD) {
      this.dirty = 'all';
      return;
    }
    for (const topic of topics) this.dirty.add(topic);
  }

  private *refresh(): SlicedJob<Snapshot> {
    const dirty = this.dirty;
    const current = this.snapshot;
    if (current !== null && dirty !== 'all' && dirty.size === 0) return current;
    // Changes made while this job runs are noted for the next one.
    this.dirty = new Set();
    let next: Snapshot | undefined;
    try {
      next =
        current === null || dirty === 'all'
          ? yield* this.rebuild()
          : yield* this.patch(current, dirty);
    } finally {
      // Ended early (its client left, slice-queue.ts): the changes it took are not in any
      // snapshot, so the next search starts over.
      if (next === undefined) this.dirty = 'all';
    }
    this.snapshot = next;
    return next;
  }

  private *rebuild(): SlicedJob<Snapshot> {
    const sorted = yield* sortInSteps([...this.source.topics()]);
    const lowered = yield* lowerInSteps(sorted, 0, sorted.length);
    return { sorted, lowered, version: ++this.versions };
  }

  /**
   * The named topics checked against the route table; the few that came or went spliced in or
   * out (a native move of the array's tail each), more of them merged in one pass.
   */
  private *patch(current: Snapshot, named: ReadonlySet<string>): SlicedJob<Snapshot> {
    const { sorted, lowered } = current;
    const added: string[] = [];
    const removed = new Set<string>();
    let n = 0;
    for (const topic of named) {
      const at = lowerBound(sorted, topic);
      const listed = at < sorted.length && sorted[at] === topic;
      const present = this.source.hasTopic(topic);
      if (present && !listed) added.push(topic);
      else if (!present && listed) removed.add(topic);
      if (++n % STEP === 0) yield;
    }
    if (added.length === 0 && removed.size === 0) return current;
    if (added.length + removed.size <= SPLICE_LIMIT) {
      for (const topic of removed) {
        const at = lowerBound(sorted, topic);
        sorted.splice(at, 1);
        lowered.splice(at, 1);
      }
      for (const topic of added) {
        const at = lowerBound(sorted, topic);
        sorted.splice(at, 0, topic);
        lowered.splice(at, 0, topic.toLowerCase());
      }
      current.version = ++this.versions;
      return current;
    }
    added.sort();
    const addedLowered = yield* lowerInSteps(added, 0, added.length);
    const outSorted: string[] = [];
    const outLowered: string[] = [];
    let a = 0;
    for (let i = 0; i < sorted.length; i++) {
      const topic = sorted[i]!;
      while (a < added.length && added[a]! < topic) {
        outSorted.push(added[a]!);
        outLowered.push(addedLowered[a]!);
        a++;
      }
      if (!removed.has(topic)) {
        outSorted.push(topic);
        outLowered.push(lowered[i]!);
      }
      if (i % STEP === STEP - 1) yield;
    }
    for (; a < added.length; a++) {
      outSorted.push(added[a]!);
      outLowered.push(addedLowered[a]!);
    }
    return { sorted: outSorted, lowered: outLowered, version: ++this.versions };
  }
}

function page(
  total: number,
  matched: number,
  offset: number,
  limit: number,
  topics: readonly string[],
): TopicPage {
  return { total, matched, offset, limit, topics };
}

/** First index whose name is not below `topic` (code-unit order). */
function lowerBound(sorted: readonly string[], topic: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < topic) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function* lowerInSteps(names: readonly string[], from: number, to: number): SlicedJob<string[]> {
  const out = new Array<string>(to - from);
  for (let i = from; i < to; i++) {
    out[i - from] = names[i]!.toLowerCase();
    if (i % STEP === STEP - 1) yield;
  }
  return out;
}
