/**
 * Per-topic route versions of one route watch (one node process, or one serving worker).
 *
 * A version is a number from one counter of this table: every change of a topic's route takes the
 * next value, so versions only grow, per topic and overall. They mean something only together with
 * the table's `epoch`, a random id drawn when the table is created: a restarted process (or
 * another worker) has another epoch, and versions a client got under an old epoch are ignored
 * (treated as "holds nothing"), so the client simply gets fresh routes.
 *
 * Every topic starts at version 1 (0 is what a client sends when it holds nothing), including
 * topics that do not exist: a client watching a missing topic learns "gone at 1" and is told when
 * the topic appears. `bumpAll` (a change of every route: the orderMessageEnable flip) raises a
 * floor instead of touching every topic: O(1) whatever the table size.
 *
 * Only topics changed since the floor was last raised have an entry, and a topic that disappears
 * keeps its entry (its "gone" has a version too), so under topic-name churn the entries would grow
 * without end. `bump` therefore raises the floor once they exceed ROUTE_VERSIONS_MAX_ENTRIES.
 */
import { randomBytes } from 'node:crypto';

/**
 * Most per-topic entries before `bump` raises the floor (and drops them all).
 *
 * A fixed number, because it is all this class can know cheaply: it sees only the topics that
 * changed, not how many are live (that is the route table's, in the owner, or the replica's, in a
 * serving worker, outside the watch's dependencies). The value weighs two costs:
 * - memory: an entry whose topic is gone holds its name alone: about 80 bytes with a 25-character
 *   name, 175 with the 127-character maximum (measured on Node 20, map slot included), so 250,000
 *   entries hold 19 to 42 MiB, where 1,000,000 would hold 75 to 166 MiB, up to a sixth of the
 *   1 GiB limit of our Kubernetes resources;
 * - resets: each gives every watch its topics once more (see `bump`), as an orderMessageEnable flip
 *   does. 250,000 is five times the largest route table we measure (50,000 topics, `pnpm bench`),
 *   so the changes of live topics alone do not reach it; only churn through names does, and then
 *   once per 250,000 names at most.
 */
export const ROUTE_VERSIONS_MAX_ENTRIES = 250_000;

/**
 * A change of at least this many topics raises the floor (`bumpAll`) instead of giving each its
 * own entry: a broker name of 50,000 topics changing its addresses names them all at once, and
 * 50,000 map entries held the event loop for 10-16 ms. Same cost as any floor raise: one
 * re-send of every watch's topics. A registration's slice names a few thousand topics at most.
 */
export const BUMP_ALL_FROM_TOPICS = 16_384;

export class RouteVersions {
  readonly epoch: string;
  /** The last value handed out. */
  private seq = 1;
  /** Every topic's version is at least this. */
  private floor = 1;
  /** Topics changed since the floor was last raised; entries below the floor are dropped. */
  private readonly byTopic = new Map<string, number>();
  private readonly maxEntries: number;

  /** `maxEntries`: ROUTE_VERSIONS_MAX_ENTRIES unless a test wants a small one. */
  constructor(
    epoch: string = randomBytes(8).toString('hex'),
    maxEntries: number = ROUTE_VERSIONS_MAX_ENTRIES,
  ) {
    this.epoch = epoch;
    this.maxEntries = maxEntries;
  }

  version(topic: string): number {
    const v = this.byTopic.get(topic);
    return v === undefined ? this.floor : v;
  }

  /**
   * Gives every topic in `topics` the next version (one value for the whole change), and returns
   * it. When that leaves more than `maxEntries` entries, it raises the floor instead (`bumpAll`)
   * and returns the floor: every topic, changed or not, is then at a version above any handed out.
   *
   * Safe for the watch protocol: versions still only grow (the floor is the next value of the one
   * counter) and the epoch stays, so a client keeps what it holds and loses no change. The cost is
   * one re-send: every version a client holds is now below the floor, so each watch gets its
   * topics' current routes (unchanged, for those that did not change) on its next answer, and asks
   * again with the new versions. The held watches are not woken for it: nothing changed for them
   * but the number, so they get their topics when their hold ends (answered "nothing changed", they
   * ask again and are answered at once), which spreads the re-send over the hold time.
   */
  bump(topics: Iterable<string>): number {
    const v = ++this.seq;
    for (const topic of topics) this.byTopic.set(topic, v);
    if (this.byTopic.size > this.maxEntries) return this.bumpAll();
    return v;
  }

  /** Every topic changed: raise the floor above every version handed out so far. */
  bumpAll(): number {
    this.floor = ++this.seq;
    this.byTopic.clear();
    return this.floor;
  }

  /** Topics with their own entry (the rest are at the floor); for tests and the admin views. */
  get size(): number {
    return this.byTopic.size;
  }
}
