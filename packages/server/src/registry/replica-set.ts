/**
 * The serving workers' copies of the registry, as the owner sees them: each write's edits go out
 * as one numbered batch, each worker acknowledges the highest batch it has applied, and a write's
 * response waits (`whenAcked`) until every worker reflects it — so whichever worker a client
 * asks next, it reads what it wrote. A worker that goes away stops counting.
 *
 * A write worked through in slices (a registration of tens of thousands of topics) sends its edits
 * ahead of its batch number (`stream`), slice by slice, so the workers replay them while the owner
 * is still working instead of starting once it is done; `publish` then sends the rest as the
 * batch's final part, and only that part carries the number a worker acknowledges.
 *
 * A peer joins in two steps: it gets every batch from the snapshot it was sent on (`join`), but
 * writes wait for it only once it is up and `admit`ted: a replacement worker used to be counted
 * from its fork, so every write waited for a Node.js process to boot and load the snapshot
 * (0.4 s on an empty registry, over 1 s at 500,000 queue entries; review finding). It is handed
 * connections only once it has caught up with every batch published when it was admitted, so
 * whoever it serves reads what was written before.
 *
 * A counted peer that has not acknowledged a batch `lateAfterMillis` after a write began to wait
 * for it is reported once (`onLate`): the owner then ends that worker, whose exit removes it, and
 * the writes go on. Otherwise a stopped or wedged worker held every write of the node, for ever.
 */
export interface ReplicaPeer {
  /** For logs. */
  readonly name: string;
  /**
   * False once the peer is gone (its process exited): it is then never added, since nothing
   * would ever acknowledge for it and every write would wait on it. Absent: always alive.
   */
  readonly alive?: boolean;
  /**
   * Sends (part of) batch `seq`, encoded once for all peers by the set's `encode` (e.g. cut into
   * parts and serialized). `final`: the batch ends with these ops, and the peer acknowledges `seq`
   * once it has applied them (via `ReplicaSet.ack`); otherwise more of the batch follows.
   */
  sendOps(seq: number, encoded: unknown, final: boolean): void;
  /**
   * Ends the peer (its process): it did not acknowledge a batch in time (see ReplicaSetOptions).
   * Its exit then removes it. Absent: nothing is done but the report.
   */
  terminate?(reason: string): void;
}

export interface ReplicaSetOptions {
  /** Turns a batch into what peers send (once per batch, not once per peer). */
  encode?: (ops: readonly unknown[]) => unknown;
  /** How long a write waits for a counted peer before that peer is reported late. */
  lateAfterMillis?: number;
  /** A counted peer is late (reported once per peer). Absent: nothing is reported. */
  onLate?: (peer: ReplicaPeer, seq: number) => void;
  now?: () => number;
}

/** A counted peer's acknowledgement may take this long before it is reported (see onLate). */
export const DEFAULT_LATE_AFTER_MILLIS = 10_000;

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  /** When the write began to wait (`now()`). */
  readonly since: number;
}

interface PeerState {
  /** The last batch the peer applied (its snapshot's number before any). */
  acked: number;
  /** Whether writes wait for it (admitted), or it only receives the batches (joining). */
  counted: boolean;
  /** Resolves `admit` once `acked` reaches `seq`, or with false when the peer is removed. */
  catchUp: { readonly seq: number; readonly resolve: (caughtUp: boolean) => void } | null;
}

export class ReplicaSet {
  private readonly encode: (ops: readonly unknown[]) => unknown;
  private readonly lateAfterMillis: number;
  private readonly onLate: ((peer: ReplicaPeer, seq: number) => void) | null;
  private readonly now: () => number;
  private seq = 0;
  private readonly peers = new Map<ReplicaPeer, PeerState>();
  private waiters: Waiter[] = [];
  private readonly reportedLate = new Set<ReplicaPeer>();
  private lateTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * `options` may be the encoder alone (as before). `encode` turns a batch into what peers send
   * (done once per batch, not once per peer).
   */
  constructor(options: ReplicaSetOptions | ((ops: readonly unknown[]) => unknown) = {}) {
    const o = typeof options === 'function' ? { encode: options } : options;
    this.encode = o.encode ?? ((ops) => ops);
    this.lateAfterMillis = o.lateAfterMillis ?? DEFAULT_LATE_AFTER_MILLIS;
    this.onLate = o.onLate ?? null;
    this.now = o.now ?? (() => performance.now());
  }

  /** Number of the last batch published. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Peers receiving the batches, joining ones included. */
  get size(): number {
    return this.peers.size;
  }

  /**
   * Numbers and sends a batch to every peer (the rest of it, when part of it was streamed); returns
   * its number. `ops` may be empty (everything was streamed): the peers still get the final part.
   */
  publish(ops: readonly unknown[]): number {
    const seq = ++this.seq;
    if (this.peers.size === 0) return seq;
    const encoded = this.encode(ops);
    for (const peer of this.peers.keys()) peer.sendOps(seq, encoded, true);
    return seq;
  }

  /**
   * Sends `ops` to every peer as the first (or next) part of the batch the next `publish` numbers.
   * The peers apply them on arrival: like the owner's own tables between two slices of a write,
   * their reads may see the write partly done, never its answer before all of it.
   */
  stream(ops: readonly unknown[]): void {
    if (this.peers.size === 0 || ops.length === 0) return;
    const encoded = this.encode(ops);
    for (const peer of this.peers.keys()) peer.sendOps(this.seq + 1, encoded, false);
  }

  /** A peer that holds a snapshot taken at `lastSeq`, counted at once (batches after it follow). */
  add(peer: ReplicaPeer): void {
    this.peers.set(peer, { acked: this.seq, counted: true, catchUp: null });
  }

  /**
   * A peer that was just sent a snapshot taken at `lastSeq`: it gets every later batch, but no
   * write waits for it until it is `admit`ted.
   */
  join(peer: ReplicaPeer): void {
    this.peers.set(peer, { acked: this.seq, counted: false, catchUp: null });
  }

  /**
   * Counts a joined peer from now on; resolves true once it has applied every batch published so
   * far (from then on it reflects every write answered), false if it is removed first.
   */
  admit(peer: ReplicaPeer): Promise<boolean> {
    const state = this.peers.get(peer);
    if (state === undefined) return Promise.resolve(false);
    state.counted = true;
    if (state.acked >= this.seq) return Promise.resolve(true);
    const seq = this.seq;
    return new Promise((resolve) => {
      state.catchUp = { seq, resolve };
    });
  }

  remove(peer: ReplicaPeer): void {
    const state = this.peers.get(peer);
    if (state === undefined) return;
    this.peers.delete(peer);
    this.reportedLate.delete(peer);
    state.catchUp?.resolve(false);
    this.release();
  }

  ack(peer: ReplicaPeer, seq: number): void {
    const state = this.peers.get(peer);
    if (state === undefined || seq <= state.acked) return;
    state.acked = seq;
    if (state.catchUp !== null && seq >= state.catchUp.seq) {
      state.catchUp.resolve(true);
      state.catchUp = null;
    }
    this.release();
  }

  /** Resolves once every counted peer has applied batch `seq` (at once without such peers). */
  whenAcked(seq: number): Promise<void> {
    if (this.minAcked() >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ seq, resolve, since: this.now() });
      this.armLateCheck();
    });
  }

  private minAcked(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const state of this.peers.values()) {
      if (state.counted && state.acked < min) min = state.acked;
    }
    return min;
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const min = this.minAcked();
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= min) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
    if (still.length === 0 && this.lateTimer !== null) {
      clearTimeout(this.lateTimer);
      this.lateTimer = null;
    }
  }

  /** One timer while writes wait: due when the oldest waiting write has waited lateAfterMillis. */
  private armLateCheck(): void {
    if (this.onLate === null || this.lateTimer !== null || this.waiters.length === 0) return;
    const due = this.waiters[0]!.since + this.lateAfterMillis - this.now();
    // Once the oldest is overdue (its late peers reported, their exit not seen yet), check again
    // a period later rather than at once.
    this.lateTimer = setTimeout(
      () => {
        this.lateTimer = null;
        this.reportLate();
        this.armLateCheck();
      },
      due > 0 ? due : this.lateAfterMillis,
    );
    // The writes waiting keep the process busy anyway; this timer alone must not.
    this.lateTimer.unref?.();
  }

  private reportLate(): void {
    const now = this.now();
    for (const w of this.waiters) {
      if (now - w.since < this.lateAfterMillis) break;
      for (const [peer, state] of this.peers) {
        if (!state.counted || state.acked >= w.seq || this.reportedLate.has(peer)) continue;
        this.reportedLate.add(peer);
        this.onLate!(peer, w.seq);
      }
    }
  }
}
