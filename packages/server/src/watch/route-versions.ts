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
 */
import { randomBytes } from 'node:crypto';

export class RouteVersions {
  readonly epoch: string;
  /** The last value handed out. */
  private seq = 1;
  /** Every topic's version is at least this. */
  private floor = 1;
  /** Topics changed since the floor was last raised; entries below the floor are dropped. */
  private readonly byTopic = new Map<string, number>();

  constructor(epoch: string = randomBytes(8).toString('hex')) {
    this.epoch = epoch;
  }

  version(topic: string): number {
    const v = this.byTopic.get(topic);
    return v === undefined ? this.floor : v;
  }

  /** Gives every topic in `topics` the next version (one value for the whole change). */
  bump(topics: Iterable<string>): number {
    const v = ++this.seq;
    for (const topic of topics) this.byTopic.set(topic, v);
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
