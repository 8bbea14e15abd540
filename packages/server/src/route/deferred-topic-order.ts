/**
 * The model of the Java topic table's iteration order (JavaHashTable), kept up to date later
 * rather than during the write that adds or removes topics.
 *
 * Why: the order is read only by the topic lists (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, topics by
 * cluster, the system and unit topic lists) and a replica's snapshot, yet every new topic paid
 * for it inside its registration: a Java hash of the name and a chain walk in a table of tens of
 * thousands of keys, 1.5–3 ms of the registry owner's loop for a new broker of 10,000 topics (the
 * round trip the broker waits for), and as much again on every serving worker replaying it.
 *
 * Edits are logged in order (a name, and whether it was a removal) and replayed into the table
 * exactly as they came, so the table ends as it would have: same keys, same growths at the same
 * sizes, same chain order (a ConcurrentHashMap's order depends on which keys were present at each
 * growth, so nothing in the log is folded or cancelled). A reader settles the whole log first;
 * the holder's `schedule` runs `settleSome` between turns of its event loop until the log is
 * empty, so a node nobody asks for a topic list does not keep it growing.
 *
 * The cost: a topic list asked for while the upkeep is behind (within ~50 ms of a large
 * registration, see slices/upkeep-runner.ts) replays what is left in one go before it is built —
 * up to 10–15 ms after a new broker of 50,000 topics on the 2-core VM, the same work the
 * registration used to do in its own steps, and about as long as building that list.
 *
 * Without `schedule` (tests, tools), edits go straight to the table as before.
 */
import type { JavaHashTable } from '@ns/protocol';

/**
 * Most log entries replayed by one `settleSome` call, which also stops when its caller's time is
 * up: an entry costs 0.2–0.5 µs, but a step that reaches a table growth moves chains with each
 * entry, and one of 2,048 entries held the owner's loop 7 ms in a profiled run (2-core VM).
 */
export const SETTLE_PER_TURN = 2048;
/** Entries replayed between two looks at the caller's clock. */
const CLOCK_EVERY = 64;
/** Replayed entries kept at the front of a log that never drains before they are dropped. */
const COMPACT_AFTER = 4 * SETTLE_PER_TURN;

/**
 * Runs `settleSome` later, again each time it returns true (more left), until it returns false;
 * `timeUp` (asked every few entries) ends a step early. Called when the log goes from empty to
 * not empty; never again while a run is pending.
 */
export type TopicOrderScheduler = (settleSome: (timeUp?: () => boolean) => boolean) => void;

export class DeferredTopicOrder {
  /** Logged names, in edit order, from `next` on (the part before is replayed). */
  private names: string[] = [];
  /** Per logged name: 1 for a removal, 0 for an addition. */
  private removals: number[] = [];
  private next = 0;
  private scheduled = false;

  constructor(
    private table: JavaHashTable<string>,
    private readonly schedule: TopicOrderScheduler | null = null,
  ) {}

  /** Log entries not replayed yet. */
  get pending(): number {
    return this.names.length - this.next;
  }

  /** A topic entered the topic table. */
  add(topic: string): void {
    if (this.schedule === null) this.table.add(topic);
    else this.log(topic, 0);
  }

  /** A topic left the topic table. */
  delete(topic: string): void {
    if (this.schedule === null) this.table.delete(topic);
    else this.log(topic, 1);
  }

  /** Bucket count of the Java table (after every logged edit). */
  get capacity(): number {
    this.settleAll();
    return this.table.capacity;
  }

  /** Topics in the Java table's iteration order (after every logged edit). */
  keys(): string[] {
    this.settleAll();
    return this.table.keys();
  }

  /** Replaces the table (a replica loading the owner's snapshot); drops the log. */
  reset(table: JavaHashTable<string>): void {
    this.table = table;
    this.names = [];
    this.removals = [];
    this.next = 0;
  }

  /** Replays up to `budget` logged edits, fewer once `timeUp()`; true when some are left. */
  settle(budget: number, timeUp: () => boolean = () => false): boolean {
    const { names, removals, table } = this;
    let end = Math.min(names.length, this.next + budget);
    // `next` moves with each edit replayed: were one to throw, the ones before it are not
    // replayed a second time.
    let sinceClock = 0;
    while (this.next < end) {
      const i = this.next++;
      if (removals[i] === 1) table.delete(names[i]!);
      else table.add(names[i]!);
      if (++sinceClock === CLOCK_EVERY) {
        sinceClock = 0;
        if (timeUp()) end = this.next;
      }
    }
    if (end < names.length) {
      // Edits arriving as fast as they are replayed never drain the log: drop the replayed part
      // now and then, or the arrays would only grow.
      if (end >= COMPACT_AFTER && end * 2 >= names.length) {
        names.splice(0, end);
        removals.splice(0, end);
        this.next = 0;
      }
      return true;
    }
    // Drained: start the log over.
    this.names = [];
    this.removals = [];
    this.next = 0;
    return false;
  }

  private settleAll(): void {
    if (this.pending > 0) this.settle(Infinity);
  }

  private log(topic: string, removal: number): void {
    this.names.push(topic);
    this.removals.push(removal);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule!(this.settleSome);
  }

  private readonly settleSome = (timeUp?: () => boolean): boolean => {
    let more = false;
    try {
      more = this.settle(SETTLE_PER_TURN, timeUp);
    } finally {
      // A reader may have settled everything meanwhile: the run ends either way once empty. A
      // step that threw ends it too (the next edit starts another; readers settle regardless).
      if (!more) this.scheduled = false;
    }
    return more;
  };
}
