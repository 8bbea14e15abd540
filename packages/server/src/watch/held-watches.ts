/**
 * The watches being held, indexed two ways: by connection (at most one per connection: a newer
 * watch replaces the held one) and by topic (a route change finds exactly the watches of the
 * changed topics, never scanning the others).
 */
import type { WatchRequestRef } from './watch-response-builder.js';

export interface HeldWatch {
  readonly ref: WatchRequestRef;
  /** topic → the version the client holds (0 under another epoch); sorted by topic. */
  readonly topics: ReadonlyMap<string, number>;
  /** When it was held (monotonic ms). */
  readonly heldAt: number;
  timer: NodeJS.Timeout | undefined;
}

export class HeldWatches {
  private readonly byConnection = new Map<number, HeldWatch>();
  private readonly byTopic = new Map<string, Set<HeldWatch>>();

  get size(): number {
    return this.byConnection.size;
  }

  ofConnection(connectionId: number): HeldWatch | undefined {
    return this.byConnection.get(connectionId);
  }

  /** The held watches of `topic` (live view: copy before removing while iterating). */
  ofTopic(topic: string): ReadonlySet<HeldWatch> | undefined {
    return this.byTopic.get(topic);
  }

  all(): IterableIterator<HeldWatch> {
    return this.byConnection.values();
  }

  /** Holds `watch`; its connection must not hold another (remove that one first). */
  add(watch: HeldWatch): void {
    const id = watch.ref.connectionId;
    if (this.byConnection.has(id)) throw new Error(`connection ${id} already holds a watch`);
    this.byConnection.set(id, watch);
    for (const topic of watch.topics.keys()) {
      let set = this.byTopic.get(topic);
      if (set === undefined) {
        set = new Set();
        this.byTopic.set(topic, set);
      }
      set.add(watch);
    }
  }

  /** Removes `watch` if it is still held; false when it was not. */
  remove(watch: HeldWatch): boolean {
    const id = watch.ref.connectionId;
    if (this.byConnection.get(id) !== watch) return false;
    this.byConnection.delete(id);
    for (const topic of watch.topics.keys()) {
      const set = this.byTopic.get(topic);
      if (set === undefined) continue;
      set.delete(watch);
      if (set.size === 0) this.byTopic.delete(topic);
    }
    return true;
  }

  /** Topics with at least one held watch; for tests and the admin views. */
  get topicCount(): number {
    return this.byTopic.size;
  }
}
