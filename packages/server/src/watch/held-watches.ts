/**
 * The watches being held, indexed two ways: by connection (at most one per connection: a newer
 * watch replaces the held one) and by topic (a route change finds exactly the watches of the
 * changed topics, never scanning the others).
 *
 * The topic index drops removed watches lazily: removing a watch of 20 topics is 20 counter
 * decrements instead of 20 hash-set deletions (a wave of thousands of answers removes thousands
 * of watches at once, and set deletions showed up in its profile). Each topic's list is compacted
 * when more than half of it is stale, so it stays within twice its live size.
 */
import type { WatchRequestRef } from './watch-response-builder.js';

export interface HeldWatch {
  readonly ref: WatchRequestRef;
  /** topic → the version the client holds (0 under another epoch); sorted by topic. */
  readonly topics: ReadonlyMap<string, number>;
  /** When it was held (monotonic ms). */
  readonly heldAt: number;
  timer: NodeJS.Timeout | undefined;
  /** False once removed; topic lists may still mention it until compacted. */
  isHeld: boolean;
}

interface TopicWatches {
  /** Held watches of the topic, plus removed ones not yet compacted away. */
  list: HeldWatch[];
  live: number;
}

const COMPACT_SLACK = 16;

export class HeldWatches {
  private readonly byConnection = new Map<number, HeldWatch>();
  private readonly byTopic = new Map<string, TopicWatches>();
  private watchedEntries = 0;

  get size(): number {
    return this.byConnection.size;
  }

  /** Topics over all held watches, a topic counted once per watch following it. */
  get topicsHeld(): number {
    return this.watchedEntries;
  }

  ofConnection(connectionId: number): HeldWatch | undefined {
    return this.byConnection.get(connectionId);
  }

  /** Whether any held watch follows `topic`. */
  hasTopic(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  /** The held watches of `topic` (a fresh array: safe to remove watches while iterating it). */
  ofTopic(topic: string): HeldWatch[] {
    const entry = this.byTopic.get(topic);
    if (entry === undefined) return [];
    const out: HeldWatch[] = [];
    for (const w of entry.list) if (w.isHeld) out.push(w);
    return out;
  }

  all(): IterableIterator<HeldWatch> {
    return this.byConnection.values();
  }

  /** Holds `watch`; its connection must not hold another (remove that one first). */
  add(watch: HeldWatch): void {
    const id = watch.ref.connectionId;
    if (this.byConnection.has(id)) throw new Error(`connection ${id} already holds a watch`);
    this.byConnection.set(id, watch);
    watch.isHeld = true;
    this.watchedEntries += watch.topics.size;
    for (const topic of watch.topics.keys()) {
      const entry = this.byTopic.get(topic);
      if (entry === undefined) {
        this.byTopic.set(topic, { list: [watch], live: 1 });
      } else {
        entry.list.push(watch);
        entry.live++;
      }
    }
  }

  /** Removes `watch` if it is still held; false when it was not. */
  remove(watch: HeldWatch): boolean {
    const id = watch.ref.connectionId;
    if (this.byConnection.get(id) !== watch) return false;
    this.byConnection.delete(id);
    watch.isHeld = false;
    this.watchedEntries -= watch.topics.size;
    for (const topic of watch.topics.keys()) {
      const entry = this.byTopic.get(topic);
      if (entry === undefined) continue;
      entry.live--;
      if (entry.live === 0) this.byTopic.delete(topic);
      else if (entry.list.length > 2 * entry.live + COMPACT_SLACK) {
        entry.list = entry.list.filter((w) => w.isHeld);
      }
    }
    return true;
  }

  /** The topics with at least one held watch. */
  watchedTopics(): IterableIterator<string> {
    return this.byTopic.keys();
  }

  /** Topics with at least one held watch. */
  get topicCount(): number {
    return this.byTopic.size;
  }

  /** Entries in the topic lists, stale ones included; for tests (the compaction bound). */
  get topicEntries(): number {
    let n = 0;
    for (const entry of this.byTopic.values()) n += entry.list.length;
    return n;
  }
}
