/**
 * A set of keys given as byte ranges of one buffer: tells a body's repeated keys apart without
 * making a string of each (see register-broker-body-delta.ts). Open addressing over Int32Arrays;
 * the caller hashes a key while it scans it (`FNV_OFFSET`, `fnvStep`: 32-bit FNV-1a), since it
 * walks those bytes anyway.
 *
 * Pure: no I/O.
 */

export const FNV_OFFSET = 0x811c9dc5 | 0;

/** One byte more of a key's hash. */
export function fnvStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 0x01000193);
}

export class ByteKeySet {
  /** Entry index + 1 per slot; 0: empty. Its length is a power of two, at least twice the size. */
  private slots: Int32Array;
  private hashes: Int32Array;
  private starts: Int32Array;
  private ends: Int32Array;
  private size = 0;

  constructor(
    private readonly buf: Uint8Array,
    expected = 16,
  ) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.hashes = new Int32Array(cap >> 1);
    this.starts = new Int32Array(cap >> 1);
    this.ends = new Int32Array(cap >> 1);
  }

  /** Adds the key `buf[start .. end)` of hash `hash`; false when an equal key is there already. */
  add(start: number, end: number, hash: number): boolean {
    if (this.size * 2 >= this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    const buf = this.buf;
    const len = end - start;
    let s = hash & mask;
    for (let e = this.slots[s]!; e !== 0; e = this.slots[s]!) {
      const o = e - 1;
      if (this.hashes[o] === hash && this.ends[o]! - this.starts[o]! === len) {
        const os = this.starts[o]!;
        let k = 0;
        while (k < len && buf[os + k] === buf[start + k]) k++;
        if (k === len) return false;
      }
      s = (s + 1) & mask;
    }
    const i = this.size++;
    this.slots[s] = i + 1;
    this.hashes[i] = hash;
    this.starts[i] = start;
    this.ends[i] = end;
    return true;
  }

  /**
   * The table as it is (id = the order of `add`), for PlainKeyIndex.ofKeySet; the set must not be
   * added to afterwards.
   */
  table(): { slots: Int32Array; hashes: Int32Array; size: number } {
    return { slots: this.slots, hashes: this.hashes, size: this.size };
  }

  private grow(): void {
    const cap = this.slots.length * 2;
    const mask = cap - 1;
    const slots = new Int32Array(cap);
    for (let i = 0; i < this.size; i++) {
      let s = this.hashes[i]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = i + 1;
    }
    this.slots = slots;
    const widen = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap >> 1);
      b.set(a);
      return b;
    };
    this.hashes = widen(this.hashes);
    this.starts = widen(this.starts);
    this.ends = widen(this.ends);
  }
}
