/**
 * A live model of the iteration order of a Java `HashMap` or `ConcurrentHashMap` (JDK 8 … 17) under
 * puts and removes, for tables whose order depends on their history.
 *
 * Both keep buckets of `capacity` (a power of two), a key in bucket `spread(hashCode) & (capacity
 * - 1)`, and iterate bucket by bucket, each chain from head to tail; a new key is appended at the
 * tail of its chain and a removed one unlinked. They differ in when and how they grow:
 *
 * - `HashMap` doubles when a put makes `size > 0.75 · capacity`, and `resize()` splits each chain
 *   into a low and a high chain that keep their relative order. The order is then a function of
 *   (capacity, insertion order) alone, which `javaHashOrderBy` computes without this model.
 * - `ConcurrentHashMap` doubles when a put makes `size ≥ 0.75 · capacity` (its `sizeCtl`), and
 *   `transfer()` does not keep the order: it finds the longest tail of the chain whose nodes all
 *   go to the same half ("lastRun"), keeps that tail as it is, and pushes every node before it,
 *   head first, onto the front of its new chain — so those come out reversed. Two keys of one
 *   bucket can therefore swap places at every growth, and the order depends on which keys were
 *   present at each one. This is why a 5.x NameServer (ConcurrentHashMap tables, TopicList backed
 *   by `ConcurrentHashMap.newKeySet()`) lists topics in another order than 4.9 (HashMap, HashSet).
 *
 * Growth here is spread over the edits that follow it (as Redis spreads its rehash): doubling a
 * table of 100,000 topics in one go held the registry's event loop for 10–20 ms. The table is
 * the grown one from the moment Java's would be; the chains of the old table are moved one bin
 * at a time (each split exactly as Java splits it, and a bin's split does not depend on any other
 * bin), a bin before any edit that touches it, and a few more with every edit, so the move is
 * over long before the next growth is due. Reads look in whichever table holds the bin; `keys()`
 * finishes the move first.
 *
 * Neither table ever shrinks. Not modelled: treeified bins (a chain of 8 keys with equal low hash
 * bits; `ConcurrentHashMap` grows instead while its table is under 64 buckets) — they need
 * adversarial names.
 */
import { javaHashSpread, tableSizeFor } from './java-hash-order.js';

export type JavaHashTableKind = 'HashMap' | 'ConcurrentHashMap';

const MAXIMUM_CAPACITY = 1 << 30;

/**
 * Table size of `new ConcurrentHashMap<>(initialCapacity)` on JDK 17 (the JVM of the 5.3.3
 * reference): `tableSizeFor((long) (1.0 + initialCapacity / 0.75f))`; 1024 → 2048, 128 → 256,
 * 32 → 64. (JDK 8's `tableSizeFor(c + c/2 + 1)` gives the same sizes for these.)
 */
export function javaConcurrentHashMapTableSize(initialCapacity: number): number {
  return tableSizeFor(Math.floor(1 + initialCapacity / 0.75));
}

/**
 * Table size of a `ConcurrentHashMap` after `putAll` of `count` entries into a fresh one (JDK 17):
 * `tryPresize(count)` wants `tableSizeFor(1.5·count + 1)` buckets and doubles the first table until
 * that is at most its resize threshold — so `new ConcurrentHashMap<>(13)` + `putAll` of 13 entries
 * ends with 64 buckets, not 32. No growth happens during the puts that follow. `initialCapacity`:
 * the constructor argument, undefined for the default constructor.
 */
export function javaConcurrentHashMapPutAllTableSize(
  count: number,
  initialCapacity?: number,
): number {
  const wanted =
    count >= MAXIMUM_CAPACITY >>> 1 ? MAXIMUM_CAPACITY : tableSizeFor(count + (count >>> 1) + 1);
  let n = Math.max(
    initialCapacity === undefined ? 0 : javaConcurrentHashMapTableSize(initialCapacity),
    wanted,
  );
  while (wanted > n - (n >>> 2) && n < MAXIMUM_CAPACITY) n *= 2;
  return n;
}

const NONE = -1;
/** An old bin whose chain was moved to the grown table. */
const MOVED = -2;
/** Old bins moved with each edit during a growth, besides the edit's own. */
const MOVES_PER_EDIT = 2;

/**
 * The table is kept as parallel arrays (slot → key, spread hash, next slot; bucket → first slot)
 * rather than one object per key: the route manager keeps one of these beside a topic table of
 * tens of thousands of topics, so a key costs about 16 bytes plus its share of the buckets.
 */
export class JavaHashTable<K> {
  private bins: Int32Array;
  /** While a growth is being spread out: the table before it (moved bins hold MOVED). */
  private oldBins: Int32Array | null = null;
  /** Old bins before this one are all moved. */
  private moveCursor = 0;
  private keySlots: (K | undefined)[] = [];
  private hashes = new Int32Array(16);
  private nexts = new Int32Array(16);
  /** Head of the chain of freed slots (linked through `nexts`). */
  private free = NONE;
  private count = 0;

  /**
   * @param capacity the first table size (a power of two): `tableSizeFor(n)` for
   *   `new HashMap<>(n)`, `javaConcurrentHashMapTableSize(n)` for `new ConcurrentHashMap<>(n)`,
   *   16 for either's default constructor.
   */
  constructor(
    readonly kind: JavaHashTableKind,
    private readonly hashCode: (key: K) => number,
    capacity = 16,
  ) {
    if (capacity <= 0 || capacity > MAXIMUM_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`capacity must be a power of two, got ${capacity}`);
    }
    this.bins = new Int32Array(capacity).fill(NONE);
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.bins.length;
  }

  has(key: K): boolean {
    const hash = javaHashSpread(this.hashCode(key));
    // The bin's chain is in the old table until it is moved.
    const old = this.oldBins;
    let head = old === null ? MOVED : old[hash & (old.length - 1)]!;
    if (head === MOVED) head = this.bins[hash & (this.bins.length - 1)]!;
    for (let s = head; s !== NONE; s = this.nexts[s]!) {
      if (this.hashes[s] === hash && this.keySlots[s] === key) return true;
    }
    return false;
  }

  /** `put`/`add`: appends a new key at the tail of its chain, then grows as Java would. */
  add(key: K): void {
    const hash = javaHashSpread(this.hashCode(key));
    if (this.oldBins !== null) this.moveBinsFor(hash);
    const bin = hash & (this.bins.length - 1);
    let last = NONE;
    // The hash first, as Java does: it sits in a typed array, while comparing the key reads a
    // string from anywhere in the heap (a cache miss per chain entry on a table of 100,000 topics).
    for (let s = this.bins[bin]!; s !== NONE; s = this.nexts[s]!) {
      if (this.hashes[s] === hash && this.keySlots[s] === key) return;
      last = s;
    }
    const slot = this.allocate(key, hash);
    if (last === NONE) this.bins[bin] = slot;
    else this.nexts[last] = slot;
    this.count++;
    if (this.kind === 'HashMap') {
      if (this.count > this.bins.length * 0.75) this.grow();
    } else {
      while (this.count >= this.bins.length - (this.bins.length >>> 2)) {
        if (!this.grow()) break;
      }
    }
  }

  /** `remove`: unlinks the key; the table keeps its size. */
  delete(key: K): boolean {
    const hash = javaHashSpread(this.hashCode(key));
    if (this.oldBins !== null) this.moveBinsFor(hash);
    const bin = hash & (this.bins.length - 1);
    let prev = NONE;
    for (let s = this.bins[bin]!; s !== NONE; prev = s, s = this.nexts[s]!) {
      if (this.hashes[s] !== hash || this.keySlots[s] !== key) continue;
      if (prev === NONE) this.bins[bin] = this.nexts[s]!;
      else this.nexts[prev] = this.nexts[s]!;
      this.keySlots[s] = undefined;
      this.nexts[s] = this.free;
      this.free = s;
      this.count--;
      return true;
    }
    return false;
  }

  /** Keys in Java iteration order. */
  keys(): K[] {
    this.finishGrowth();
    const out = new Array<K>(this.count);
    let i = 0;
    for (let b = 0; b < this.bins.length; b++) {
      for (let s = this.bins[b]!; s !== NONE; s = this.nexts[s]!) out[i++] = this.keySlots[s]!;
    }
    return out;
  }

  private allocate(key: K, hash: number): number {
    let slot = this.free;
    if (slot !== NONE) {
      this.free = this.nexts[slot]!;
      this.keySlots[slot] = key;
    } else {
      slot = this.keySlots.length;
      this.keySlots.push(key);
      if (slot >= this.hashes.length) {
        const hashes = new Int32Array(this.hashes.length * 2);
        hashes.set(this.hashes);
        this.hashes = hashes;
        const nexts = new Int32Array(this.nexts.length * 2);
        nexts.set(this.nexts);
        this.nexts = nexts;
      }
    }
    this.hashes[slot] = hash;
    this.nexts[slot] = NONE;
    return slot;
  }

  /**
   * Doubles the table (false at the maximum size): from now on keys go to the grown table, and
   * the old one's chains move over bin by bin (see the file's comment). A growth still being
   * spread out is finished first.
   */
  private grow(): boolean {
    const n = this.bins.length;
    if (n >= MAXIMUM_CAPACITY) return false;
    this.finishGrowth();
    this.oldBins = this.bins;
    this.moveCursor = 0;
    this.bins = new Int32Array(n * 2).fill(NONE);
    return true;
  }

  /** Before an edit of the chain of `hash`: moves its old bin, and a few others. */
  private moveBinsFor(hash: number): void {
    const old = this.oldBins!;
    this.moveBin(old, hash & (old.length - 1));
    for (let k = 0; k < MOVES_PER_EDIT && this.oldBins !== null; k++) this.moveNextBin();
  }

  private finishGrowth(): void {
    while (this.oldBins !== null) this.moveNextBin();
  }

  /** Moves the first old bin not moved yet; the growth is over once none is left. */
  private moveNextBin(): void {
    const old = this.oldBins!;
    while (this.moveCursor < old.length && old[this.moveCursor] === MOVED) this.moveCursor++;
    if (this.moveCursor < old.length) this.moveBin(old, this.moveCursor++);
    while (this.moveCursor < old.length && old[this.moveCursor] === MOVED) this.moveCursor++;
    if (this.moveCursor === old.length) this.oldBins = null;
  }

  /**
   * Splits old bin `i` into bins `i` and `i + n` of the grown table, as Java's resize or transfer
   * does. Nothing else can have reached those two bins yet: every key they get comes from old
   * bin `i`, and an edit of either moves old bin `i` first.
   */
  private moveBin(old: Int32Array, i: number): void {
    const head = old[i]!;
    if (head === MOVED) return;
    old[i] = MOVED;
    if (head === NONE) return;
    const n = old.length;
    const hashes = this.hashes;
    const nexts = this.nexts;
    // Relinked in place through `nexts` (no arrays: a growth moves every key once).
    if (this.kind === 'HashMap') {
      // HashMap.resize(): low and high chains, each in the original relative order.
      let lowHead = NONE;
      let lowTail = NONE;
      let highHead = NONE;
      let highTail = NONE;
      for (let s = head; s !== NONE; s = nexts[s]!) {
        if ((hashes[s]! & n) === 0) {
          if (lowTail === NONE) lowHead = s;
          else nexts[lowTail] = s;
          lowTail = s;
        } else {
          if (highTail === NONE) highHead = s;
          else nexts[highTail] = s;
          highTail = s;
        }
      }
      if (lowTail !== NONE) nexts[lowTail] = NONE;
      if (highTail !== NONE) nexts[highTail] = NONE;
      this.bins[i] = lowHead;
      this.bins[i + n] = highHead;
      return;
    }
    // ConcurrentHashMap.transfer(): the tail run whose nodes share their new half stays as it
    // is (still linked to the end); each node before it is pushed onto the front of its half.
    let runBit = hashes[head]! & n;
    let lastRun = head;
    for (let s = nexts[head]!; s !== NONE; s = nexts[s]!) {
      const b = hashes[s]! & n;
      if (b !== runBit) {
        runBit = b;
        lastRun = s;
      }
    }
    let low = runBit === 0 ? lastRun : NONE;
    let high = runBit === 0 ? NONE : lastRun;
    for (let s = head; s !== lastRun;) {
      const next = nexts[s]!;
      if ((hashes[s]! & n) === 0) {
        nexts[s] = low;
        low = s;
      } else {
        nexts[s] = high;
        high = s;
      }
      s = next;
    }
    this.bins[i] = low;
    this.bins[i + n] = high;
  }
}

/**
 * Iteration order of a fresh table of `kind` and first size `capacity` after adding `keys` one by
 * one (duplicates are ignored, as a Set would). For a `HashMap`/`HashSet`, `javaHashOrderBy` gives
 * the same answer faster.
 */
export function javaHashTableOrder<K>(
  kind: JavaHashTableKind,
  keys: Iterable<K>,
  hashCode: (key: K) => number,
  capacity = 16,
): K[] {
  const table = new JavaHashTable(kind, hashCode, capacity);
  for (const k of keys) table.add(k);
  return table.keys();
}
