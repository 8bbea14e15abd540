/**
 * Cuts a byte stream into frames. Push any chunk split; get whole frames back (the bytes after
 * each 4-byte length prefix, ready for decodeFrame).
 *
 * The announced length is validated before anything is buffered for it, so a hostile prefix
 * cannot make us allocate 16 MiB (Java's LengthFieldBasedFrameDecoder fails the same way: as
 * soon as the prefix is read). Frames that arrive whole inside one chunk are returned as
 * zero-copy views of that chunk (`push`), or copied out of it when the caller reuses its read
 * buffer (`pushTransient`).
 *
 * A large frame is assembled in place: once an eighth of it has arrived, one buffer of exactly
 * its size is allocated and every later chunk is copied into it as it comes. Copying 8 MiB at the
 * end in one go (the simple way) blocks the event loop for milliseconds at the moment the frame
 * completes; in place, the copying is spread over the reads, and the finished frame owns its
 * buffer (so a consumer can move it to another thread without copying it). Allocating only after
 * an eighth keeps what a half-sent frame can make us hold at 8 × what its sender sent; `heldBytes`
 * says what is held, so limits charge the allocation, not just the bytes received. A caller that
 * chooses where its socket reads land can read the rest of such a frame straight into it
 * (`readTarget` / `landedInPlace`): no copy at all.
 */
import { DEFAULT_MAX_FRAME_LENGTH } from './constants.js';
import { FrameError } from './errors.js';

/** Frames shorter than this (length field included) are never assembled in place. */
export const ASSEMBLE_MIN_FRAME_BYTES = 256 * 1024;
/** A frame is assembled in place once 1 / this of it has arrived. */
export const ASSEMBLE_AFTER_FRACTION = 8;
/**
 * Chunks of one incomplete frame kept as read; past this many, its bytes move into one staging
 * buffer that grows by doubling. A peer sending a frame a byte per packet made the node keep
 * 230,000 one-byte buffers for a frame of 256 KiB, charged 116 MB of bookkeeping against the
 * partial-frame budget, and join them in one 6–12 ms `Buffer.concat` when it completed (review).
 */
export const MAX_KEPT_CHUNKS = 32;
/** The staging buffer's first size (it grows by doubling, never past the frame). */
const STAGING_MIN_BYTES = 16 * 1024;

export interface FrameDecoderOptions {
  /** Maximum frame size counting the 4-byte length field, like Java's frameMaxLength. */
  maxFrameLength?: number;
}

export class FrameDecoder {
  readonly maxFrameLength: number;
  /** Chunks of an incomplete frame (or length prefix), concatenated only once it is complete. */
  private chunks: Buffer[] = [];
  private chunksLength = 0;
  /** Bytes needed before the pending chunks can yield something: 4 for a prefix, or a frame. */
  private needed = 0;
  /**
   * The frame being assembled in place (length field included, `needed` bytes), of which the
   * first `chunksLength` are filled; `chunks` is empty meanwhile. Null: chunks are kept as read.
   */
  private assembly: Buffer | null = null;
  /**
   * Where the bytes of an incomplete frame go once it came in more than MAX_KEPT_CHUNKS chunks
   * (`chunks` is empty meanwhile): the first `chunksLength` bytes are filled. Null otherwise.
   */
  private staging: Buffer | null = null;
  private failed: FrameError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
    if (!Number.isInteger(max) || max < 8 || max > 0x7fffffff) {
      throw new RangeError(`maxFrameLength: expected an integer 8..2147483647, got ${max}`);
    }
    this.maxFrameLength = max;
  }

  /** Bytes received of an incomplete frame. */
  get bufferedBytes(): number {
    return this.chunksLength;
  }

  /**
   * Memory held for an incomplete frame: the bytes received, or the whole frame's buffer once it
   * is assembled in place (at most ASSEMBLE_AFTER_FRACTION × the bytes received).
   */
  get heldBytes(): number {
    return this.assembly?.length ?? this.staging?.length ?? this.chunksLength;
  }

  /** Separate buffers those bytes sit in (each costs its own bookkeeping besides its bytes). */
  get bufferedChunks(): number {
    if (this.chunksLength === 0) return 0;
    return this.assembly === null && this.staging === null ? this.chunks.length : 1;
  }

  /**
   * Length of the frame being assembled, length field included, once its length field arrived;
   * null while nothing or only part of a length field is held.
   */
  get pendingFrameLength(): number | null {
    return this.chunksLength === 0 || this.needed === 4 ? null : this.needed;
  }

  /**
   * Returns every frame completed by `chunk`. After a FrameError the stream is unusable (the
   * connection must be closed); further pushes throw the same error.
   */
  push(chunk: Buffer): Buffer[] {
    return this.take(chunk, false);
  }

  /**
   * `push` for a chunk that is only valid during this call (a read buffer the caller reuses):
   * whatever is kept, and every frame returned, is copied out of it. The frames of one chunk
   * share one copy.
   */
  pushTransient(chunk: Buffer): Buffer[] {
    return this.take(chunk, true);
  }

  /**
   * Where the next read can land directly, with no copy: the unfilled part of the frame being
   * assembled in place (at most `maxBytes` of it), or null when no frame is. Report what landed
   * there with `landedInPlace`.
   */
  readTarget(maxBytes: number): Buffer | null {
    const assembly = this.assembly;
    if (assembly === null || this.failed !== null) return null;
    return assembly.subarray(
      this.chunksLength,
      Math.min(this.needed, this.chunksLength + maxBytes),
    );
  }

  /** `bytes` were read into the last `readTarget`; returns the frame once it is complete. */
  landedInPlace(bytes: number): Buffer[] {
    if (this.failed !== null) throw this.failed;
    const assembly = this.assembly;
    if (assembly === null || bytes > this.needed - this.chunksLength) {
      throw new RangeError(`landedInPlace(${bytes}): no read target of that size is open`);
    }
    this.chunksLength += bytes;
    if (this.chunksLength < this.needed) return [];
    this.assembly = null;
    this.chunksLength = 0;
    return [assembly.subarray(4)];
  }

  private take(chunk: Buffer, transient: boolean): Buffer[] {
    if (this.failed !== null) throw this.failed;
    if (this.assembly !== null) return this.fill(chunk, transient);
    let data = chunk;
    if (this.staging !== null) return this.stage(chunk);
    if (this.chunksLength > 0) {
      if (this.chunks.length >= MAX_KEPT_CHUNKS && this.needed > 4) {
        this.startStaging();
        return this.stage(chunk);
      }
      this.chunksLength += chunk.length;
      // A transient chunk is copied only when it is kept; joined at once, it is copied anyway.
      this.chunks.push(transient && this.chunksLength < this.needed ? Buffer.from(chunk) : chunk);
      // Accumulate without copying until the frame is complete (or large enough to be
      // assembled in place): a frame arriving in many small chunks costs one copy, not one per
      // chunk.
      if (this.chunksLength < this.needed) {
        if (this.assembles(this.needed, this.chunksLength)) {
          const assembly = Buffer.allocUnsafeSlow(this.needed);
          let at = 0;
          for (const c of this.chunks) at += c.copy(assembly, at);
          this.assembly = assembly;
          this.chunks = [];
        }
        return [];
      }
      data = Buffer.concat(this.chunks, this.chunksLength);
      this.chunks = [];
      this.chunksLength = 0;
      // The joined copy is ours: its frames need no further copy.
      return this.cut(data, false);
    }
    return this.cut(data, transient);
  }

  /** Moves the chunks kept so far into a staging buffer (see `staging`). */
  private startStaging(): void {
    const staging = Buffer.allocUnsafe(
      Math.min(this.needed, Math.max(STAGING_MIN_BYTES, 2 * this.chunksLength)),
    );
    let at = 0;
    for (const c of this.chunks) at += c.copy(staging, at);
    this.chunks = [];
    this.staging = staging;
  }

  /** Adds `chunk` to the staged bytes; the frame and any after it once it is complete. */
  private stage(chunk: Buffer): Buffer[] {
    let staging = this.staging!;
    const filled = this.chunksLength;
    if (filled + chunk.length >= this.needed) {
      // Complete: one buffer of the frame and whatever followed it in this chunk.
      const data = Buffer.allocUnsafe(filled + chunk.length);
      staging.copy(data, 0, 0, filled);
      chunk.copy(data, filled);
      this.staging = null;
      this.chunksLength = 0;
      return this.cut(data, false);
    }
    if (filled + chunk.length > staging.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(this.needed, Math.max(2 * staging.length, filled + chunk.length)),
      );
      staging.copy(grown, 0, 0, filled);
      staging = grown;
      this.staging = grown;
    }
    chunk.copy(staging, filled);
    this.chunksLength = filled + chunk.length;
    if (this.assembles(this.needed, this.chunksLength)) {
      const assembly = Buffer.allocUnsafeSlow(this.needed);
      staging.copy(assembly, 0, 0, this.chunksLength);
      this.assembly = assembly;
      this.staging = null;
    }
    return [];
  }

  /** Copies `chunk` into the frame assembled in place; the frame and any after it once done. */
  private fill(chunk: Buffer, transient: boolean): Buffer[] {
    const assembly = this.assembly!;
    const taken = chunk.copy(assembly, this.chunksLength, 0, this.needed - this.chunksLength);
    this.chunksLength += taken;
    if (this.chunksLength < this.needed) return [];
    this.assembly = null;
    this.chunksLength = 0;
    const frame = assembly.subarray(4);
    if (taken === chunk.length) return [frame];
    const more = this.cut(chunk.subarray(taken), transient);
    more.unshift(frame);
    return more;
  }

  /** Whether a frame of `total` bytes (length field included), `received` here, goes in place. */
  private assembles(total: number, received: number): boolean {
    return total >= ASSEMBLE_MIN_FRAME_BYTES && received * ASSEMBLE_AFTER_FRACTION >= total;
  }

  /**
   * Cuts the frames out of `data` (nothing held before it) and holds what is left; `transient`:
   * the frames are copied out of `data` (one copy for all of them).
   */
  private cut(data: Buffer, transient: boolean): Buffer[] {
    const frames: Buffer[] = [];
    let o = 0;
    while (data.length - o >= 4) {
      const total = data.readInt32BE(o);
      // totalLength must leave room for the header word and fit the limit with its own 4 bytes.
      if (total < 4) {
        this.failed = new FrameError('NS_FRAME_TOO_SHORT', `frame length ${total} is below 4`);
        throw this.failed;
      }
      if (total > this.maxFrameLength - 4) {
        this.failed = new FrameError(
          'NS_FRAME_TOO_LONG',
          `frame length ${total + 4} exceeds the limit of ${this.maxFrameLength} bytes`,
        );
        throw this.failed;
      }
      if (data.length - o - 4 < total) break;
      frames.push(data.subarray(o + 4, o + 4 + total));
      o += 4 + total;
    }
    if (transient && frames.length > 0) copyOut(frames, data.subarray(0, o));
    if (o < data.length) {
      const rest = data.subarray(o);
      // The length field, if whole, was checked against the limit above.
      this.needed = rest.length >= 4 ? 4 + rest.readInt32BE(0) : 4;
      this.chunksLength = rest.length;
      if (this.assembles(this.needed, rest.length)) {
        this.assembly = Buffer.allocUnsafeSlow(this.needed);
        rest.copy(this.assembly);
      } else {
        // Copy the tail (at most one chunk) so it never pins a whole earlier buffer.
        this.chunks = [Buffer.from(rest)];
      }
    }
    return frames;
  }
}

/**
 * Replaces `frames` (views of `whole`, in order, covering it except for their length fields) with
 * views of one copy of `whole`.
 */
function copyOut(frames: Buffer[], whole: Buffer): void {
  const copy = Buffer.from(whole);
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const at = f.byteOffset - whole.byteOffset;
    frames[i] = copy.subarray(at, at + f.length);
  }
}
