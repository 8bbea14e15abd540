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
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

export class ReplicaSet {
  private readonly encode: (ops: readonly unknown[]) => unknown;
  private seq = 0;
  private readonly acked = new Map<ReplicaPeer, number>();
  private waiters: Waiter[] = [];

  /** `encode` turns a batch into what peers send (done once per batch, not once per peer). */
  constructor(encode: (ops: readonly unknown[]) => unknown = (ops) => ops) {
    this.encode = encode;
  }

  /** Number of the last batch published. */
  get lastSeq(): number {
    return this.seq;
  }

  get size(): number {
    return this.acked.size;
  }

  /**
   * Numbers and sends a batch to every peer (the rest of it, when part of it was streamed); returns
   * its number. `ops` may be empty (everything was streamed): the peers still get the final part.
   */
  publish(ops: readonly unknown[]): number {
    const seq = ++this.seq;
    if (this.acked.size === 0) return seq;
    const encoded = this.encode(ops);
    for (const peer of this.acked.keys()) peer.sendOps(seq, encoded, true);
    return seq;
  }

  /**
   * Sends `ops` to every peer as the first (or next) part of the batch the next `publish` numbers.
   * The peers apply them on arrival: like the owner's own tables between two slices of a write,
   * their reads may see the write partly done, never its answer before all of it.
   */
  stream(ops: readonly unknown[]): void {
    if (this.acked.size === 0 || ops.length === 0) return;
    const encoded = this.encode(ops);
    for (const peer of this.acked.keys()) peer.sendOps(this.seq + 1, encoded, false);
  }

  /** A peer that holds a snapshot taken at `lastSeq` (batches after it will follow). */
  add(peer: ReplicaPeer): void {
    this.acked.set(peer, this.seq);
  }

  remove(peer: ReplicaPeer): void {
    if (this.acked.delete(peer)) this.release();
  }

  ack(peer: ReplicaPeer, seq: number): void {
    const current = this.acked.get(peer);
    if (current === undefined || seq <= current) return;
    this.acked.set(peer, seq);
    this.release();
  }

  /** Resolves once every current peer has applied batch `seq` (at once without peers). */
  whenAcked(seq: number): Promise<void> {
    if (this.minAcked() >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ seq, resolve });
    });
  }

  private minAcked(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const seq of this.acked.values()) if (seq < min) min = seq;
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
  }
}
