/**
 * Cuts a byte stream into frames. Push any chunk split; get whole frames back (the bytes after
 * each 4-byte length prefix, ready for decodeFrame).
 *
 * The announced length is validated before anything is buffered for it, so a hostile prefix
 * cannot make us allocate 16 MiB (Java's LengthFieldBasedFrameDecoder fails the same way: as
 * soon as the prefix is read). Frames that arrive whole inside one chunk are returned as
 * zero-copy views of that chunk.
 */
import { DEFAULT_MAX_FRAME_LENGTH } from './constants.js';
import { FrameError } from './errors.js';

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
  private failed: FrameError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
    if (!Number.isInteger(max) || max < 8 || max > 0x7fffffff) {
      throw new RangeError(`maxFrameLength: expected an integer 8..2147483647, got ${max}`);
    }
    this.maxFrameLength = max;
  }

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.chunksLength;
  }

  /** Separate buffers those bytes sit in (each costs its own bookkeeping besides its bytes). */
  get bufferedChunks(): number {
    return this.chunksLength === 0 ? 0 : this.chunks.length;
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
    if (this.failed !== null) throw this.failed;
    let data = chunk;
    if (this.chunksLength > 0) {
      this.chunks.push(chunk);
      this.chunksLength += chunk.length;
      // Accumulate without copying until the frame is complete: a large frame arriving in
      // many small chunks costs one copy, not one per chunk.
      if (this.chunksLength < this.needed) return [];
      data = Buffer.concat(this.chunks, this.chunksLength);
      this.chunks = [];
      this.chunksLength = 0;
    }
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
    if (o < data.length) {
      // Copy the tail (at most one chunk) so it never pins a whole earlier buffer.
      const tail = Buffer.from(data.subarray(o));
      this.chunks = [tail];
      this.chunksLength = tail.length;
      this.needed = tail.length >= 4 ? 4 + tail.readInt32BE(0) : 4;
    }
    return frames;
  }
}
