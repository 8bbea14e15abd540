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

interface Node<K> {
  readonly key: K;
  /** `spread(hashCode)`, as both tables store it. */
  readonly hash: number;
}

export class JavaHashTable<K> {
  private bins: (Node<K>[] | undefined)[];
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
    this.bins = new Array<Node<K>[] | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.bins.length;
  }

  has(key: K): boolean {
    return this.indexIn(this.binOf(key), key) >= 0;
  }

  /** `put`/`add`: appends a new key at the tail of its chain, then grows as Java would. */
  add(key: K): void {
    const hash = javaHashSpread(this.hashCode(key));
    const i = hash & (this.bins.length - 1);
    let bin = this.bins[i];
    if (bin === undefined) this.bins[i] = bin = [];
    else if (this.indexIn(bin, key) >= 0) return;
    bin.push({ key, hash });
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
    const bin = this.binOf(key);
    const at = this.indexIn(bin, key);
    if (at < 0) return false;
    bin!.splice(at, 1);
    this.count--;
    return true;
  }

  /** Keys in Java iteration order. */
  keys(): K[] {
    const out: K[] = [];
    for (const bin of this.bins) if (bin !== undefined) for (const n of bin) out.push(n.key);
    return out;
  }

  private binOf(key: K): Node<K>[] | undefined {
    return this.bins[javaHashSpread(this.hashCode(key)) & (this.bins.length - 1)];
  }

  private indexIn(bin: Node<K>[] | undefined, key: K): number {
    if (bin === undefined) return -1;
    for (let i = 0; i < bin.length; i++) if (bin[i]!.key === key) return i;
    return -1;
  }

  /** Doubles the table; false at the maximum size. */
  private grow(): boolean {
    const n = this.bins.length;
    if (n >= MAXIMUM_CAPACITY) return false;
    const next = new Array<Node<K>[] | undefined>(n * 2);
    for (let i = 0; i < n; i++) {
      const bin = this.bins[i];
      if (bin === undefined || bin.length === 0) continue;
      const [low, high] = this.kind === 'HashMap' ? splitKeepingOrder(bin, n) : transfer(bin, n);
      if (low.length > 0) next[i] = low;
      if (high.length > 0) next[i + n] = high;
    }
    this.bins = next;
    return true;
  }
}

/** `HashMap.resize()`: low and high chains in their original relative order. */
function splitKeepingOrder<K>(bin: readonly Node<K>[], n: number): [Node<K>[], Node<K>[]] {
  const low: Node<K>[] = [];
  const high: Node<K>[] = [];
  for (const node of bin) ((node.hash & n) === 0 ? low : high).push(node);
  return [low, high];
}

/**
 * `ConcurrentHashMap.transfer()` for one linked bin: the tail run whose nodes share their new
 * half stays as it is; each node before it is pushed onto the front of its half's chain.
 */
function transfer<K>(bin: readonly Node<K>[], n: number): [Node<K>[], Node<K>[]] {
  let runBit = bin[0]!.hash & n;
  let lastRun = 0;
  for (let j = 1; j < bin.length; j++) {
    const b = bin[j]!.hash & n;
    if (b !== runBit) {
      runBit = b;
      lastRun = j;
    }
  }
  const tail = bin.slice(lastRun);
  const low: Node<K>[] = runBit === 0 ? tail : [];
  const high: Node<K>[] = runBit === 0 ? [] : tail;
  for (let j = 0; j < lastRun; j++) {
    const node = bin[j]!;
    ((node.hash & n) === 0 ? low : high).unshift(node);
  }
  return [low, high];
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
