/**
 * A topic table as rows of numbers and bytes instead of TopicConfig objects: what the
 * registration path hands between threads and processes (typed arrays copy as one memcpy), and
 * what a new broker's body decodes to without a string made for any of its names (issue 11: the
 * names are made where they are used, in the slices the registry owner works in).
 *
 * Only what a NameServer keeps of a topic config is in a row: its name, read and write queue
 * numbers, perm and topicSysFlag (topicFilterType, order and attributes never reach a route).
 *
 * Pure: no I/O.
 */

/**
 * Row i's name is `nameBytes[nameEnds[i - 1] .. nameEnds[i])` (from 0 for row 0), UTF-8; its read
 * and write queue numbers, perm and topicSysFlag are `nums[4i .. 4i + 3]`.
 */
export interface TopicConfigRows {
  readonly count: number;
  readonly nameBytes: Uint8Array;
  readonly nameEnds: Int32Array;
  readonly nums: Int32Array;
}

/** Appends rows; `finish` gives them with every array exactly its size. */
export class TopicConfigRowsBuilder {
  private count = 0;
  private bytes = 0;
  private nameBytes: Uint8Array;
  private nameEnds: Int32Array;
  private nums: Int32Array;

  /** Room for `rows` rows and `nameBytes` bytes of names to start with (both grow). */
  constructor(rows: number, nameBytes: number) {
    const r = Math.max(16, rows);
    this.nameEnds = new Int32Array(r);
    this.nums = new Int32Array(4 * r);
    this.nameBytes = new Uint8Array(Math.max(256, nameBytes));
  }

  get length(): number {
    return this.count;
  }

  /** A row named by the UTF-8 bytes `src[start .. end)`. */
  push(
    src: Uint8Array,
    start: number,
    end: number,
    readQueueNums: number,
    writeQueueNums: number,
    perm: number,
    topicSysFlag: number,
  ): void {
    const i = this.count;
    if (i === this.nameEnds.length) this.growRows();
    const len = end - start;
    if (this.bytes + len > this.nameBytes.length) this.growBytes(len);
    // Names are short (tens of bytes): a loop beats a native copy's call and subarray.
    const names = this.nameBytes;
    let at = this.bytes;
    for (let k = start; k < end; k++) names[at++] = src[k]!;
    this.bytes = at;
    this.nameEnds[i] = at;
    const nums = this.nums;
    nums[4 * i] = readQueueNums;
    nums[4 * i + 1] = writeQueueNums;
    nums[4 * i + 2] = perm;
    nums[4 * i + 3] = topicSysFlag;
    this.count = i + 1;
  }

  /**
   * The rows. Each array is a copy of exactly its size with memory of its own, so a thread can
   * move it to another without the spare room (or anything else) going along.
   */
  finish(): TopicConfigRows {
    const n = this.count;
    return {
      count: n,
      nameBytes: this.nameBytes.slice(0, this.bytes),
      nameEnds: this.nameEnds.slice(0, n),
      nums: this.nums.slice(0, 4 * n),
    };
  }

  private growRows(): void {
    const r = this.nameEnds.length * 2;
    const ends = new Int32Array(r);
    ends.set(this.nameEnds);
    this.nameEnds = ends;
    const nums = new Int32Array(4 * r);
    nums.set(this.nums);
    this.nums = nums;
  }

  private growBytes(more: number): void {
    const b = new Uint8Array(Math.max(this.nameBytes.length * 2, this.bytes + more));
    b.set(this.nameBytes.subarray(0, this.bytes));
    this.nameBytes = b;
  }
}
