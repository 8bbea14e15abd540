/**
 * The serving side's REGISTER_BROKER body decoder: hands bodies to the decode thread
 * (register-decode-thread.ts) and resolves with what changed since the broker's previous body.
 * The event loop only copies the body to the thread and receives a compact answer.
 *
 * If the thread dies, pending decodes fail (the registration answers SYSTEM_ERROR and the broker
 * retries in its next round) and a new thread is started, without bases: its first decodes are
 * full ones, which the registry owner takes as such.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { builtModuleUrl } from '../../cluster/built-module.js';
import type { Logger } from '../../logging.js';
import type { DecodedRegistration } from './decoded-registration.js';
import type { DecodeJob, ThreadAnswer, ThreadMessage } from './register-decode-thread.js';

/**
 * How much nicer than its process the decode thread runs (on Linux, which keeps a nice value per
 * thread): where cores are fewer than runnable threads (the 2-core machine with load generators
 * on it), the event loop answering lookups gets the CPU before a body is decoded. CFS weighs
 * nice 0 against nice 10 as 1024 to 110, so a decode is delayed then, never starved: on a
 * machine with cores to spare nothing changes. On the 2-core machine, with brokers
 * re-registering 10,000-topic bodies as fast as they were answered, lookups went up 20-32 % and
 * their p99 down 19-25 % (unchanged bodies); registrations per second went down 16-39 %.
 */
export const DECODE_THREAD_NICE = 10;

export interface DecodeRequest {
  key: string;
  connectionId: number;
  body: Buffer | null;
  compressed: boolean;
  version: number;
  crc: number;
  maxInflatedBytes: number;
}

interface Pending {
  readonly resolve: (answer: ThreadAnswer) => void;
  readonly reject: (err: Error) => void;
}

export class RegisterBodyDecoder {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private generation = 0;
  private closed = false;
  private readonly entry: URL;

  /**
   * Base numbers are prefixed with `name`, a random part (a restarted serving process must never
   * reuse the numbers of the one before) and the thread's start count.
   */
  private readonly decoderId: string;

  /**
   * @param onDecoded told of every decode the thread answers, with the thread's time for it
   *   (metrics).
   */
  constructor(
    name: string,
    private readonly logger: Logger,
    private readonly onDecoded: (result: DecodedRegistration, seconds: number) => void = () =>
      undefined,
  ) {
    this.decoderId = `${name}-${randomBytes(4).toString('hex')}`;
    this.entry = builtModuleUrl('./register-decode-thread.js', import.meta.url);
  }

  /**
   * Hands the body to the thread. A large body that owns its memory (see `movable`) is moved
   * there, not copied: after this call `req.body` is empty, and a registration the owner sends
   * back ('resend') is decoded again from the thread's copy (`decodeBaseInFull`).
   */
  decode(req: DecodeRequest): Promise<DecodedRegistration> {
    if (this.closed) return Promise.reject(new Error('body decoder closed'));
    const worker = this.thread();
    const id = this.nextId++;
    const moved = req.body === null ? null : movable(req.body);
    // Otherwise one copy of the body, moved (not copied again) to the thread.
    const body = req.body === null ? null : (moved ?? new Uint8Array(req.body));
    const job: DecodeJob = {
      t: 'decode',
      id,
      key: req.key,
      connectionId: req.connectionId,
      body,
      compressed: req.compressed,
      version: req.version,
      crc: req.crc,
      maxInflatedBytes: req.maxInflatedBytes,
    };
    return this.askForDecode(worker, id, job, body === null ? [] : [body.buffer as ArrayBuffer]);
  }

  /**
   * The body that base `base` of broker `key` came from, decoded in full by the thread that holds
   * it (the answer to the owner's 'resend'); `undecodable` when the thread decoded another body
   * of that broker since.
   */
  decodeBaseInFull(key: string, base: string): Promise<DecodedRegistration> {
    if (this.closed) return Promise.reject(new Error('body decoder closed'));
    const id = this.nextId++;
    return this.askForDecode(this.thread(), id, { t: 'full-of-base', id, key, base });
  }

  /** Sends `msg` (numbered `id`) to the thread; settles with the decode it answers. */
  private askForDecode(
    worker: Worker,
    id: number,
    msg: ThreadMessage,
    transfer: ArrayBuffer[] = [],
  ): Promise<DecodedRegistration> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (answer) => {
          if (!('result' in answer)) {
            reject(new Error('register body decode thread answered a decode with a count'));
            return;
          }
          this.onDecoded(answer.result, answer.seconds);
          resolve(answer.result);
        },
        reject,
      });
      worker.postMessage(msg, transfer);
    });
  }

  /**
   * How many broker bases the thread keeps, once it has handled every message sent before this
   * call (for tests: what a connection leaves behind). 0 when no thread runs.
   */
  baseCount(): Promise<number> {
    const worker = this.worker;
    if (worker === null) return Promise.resolve(0);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (answer) => {
          if ('bases' in answer) resolve(answer.bases);
          else reject(new Error('register body decode thread answered a count with a decode'));
        },
        reject,
      });
      worker.postMessage({ t: 'count-bases', id } satisfies ThreadMessage);
    });
  }

  /** The next body of broker `key` is decoded in full (the owner lost step with this base). */
  forget(key: string): void {
    this.worker?.postMessage({ t: 'forget', key } satisfies ThreadMessage);
  }

  /** A connection closed: its brokers' bases are of no more use. */
  connectionClosed(connectionId: number): void {
    this.worker?.postMessage({ t: 'connection-closed', connectionId } satisfies ThreadMessage);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failPending(new Error('body decoder closed'));
    await worker?.terminate();
  }

  private thread(): Worker {
    if (this.worker !== null) return this.worker;
    const generation = ++this.generation;
    const worker = new Worker(this.entry, {
      workerData: { decoderId: `${this.decoderId}.${generation}`, nice: DECODE_THREAD_NICE },
    });
    worker.on('message', (answer: ThreadAnswer) => {
      const p = this.pending.get(answer.id);
      if (p === undefined) return;
      this.pending.delete(answer.id);
      p.resolve(answer);
    });
    worker.on('error', (err) => {
      this.logger.error({ err }, 'register body decode thread failed; starting a new one');
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failPending(new Error(`register body decode thread exited (code ${code})`));
    });
    // A decode in flight keeps the process alive; an idle thread does not.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** Bodies at least this large are moved to the thread when they can be (see `movable`). */
export const MOVE_MIN_BYTES = 256 * 1024;
/** Room for a frame's length field and header before its body (a header is a few hundred bytes). */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * A view of `body` that can be moved to the thread (its memory transferred, nothing copied), or
 * null when the body shares its memory with anything else. A body of this size was assembled by
 * the frame decoder in a buffer of its own (a socket read is at most 64 KiB): a buffer of exactly
 * the frame's size (FrameDecoder assembles large frames in place), or one its chunks were joined
 * into, which starts with this frame. When the body also ends that buffer, nothing but this
 * frame's own length field and header shares it.
 */
export function movable(body: Buffer): Uint8Array | null {
  const buffer = body.buffer;
  if (
    body.length < MOVE_MIN_BYTES ||
    !(buffer instanceof ArrayBuffer) ||
    body.byteOffset > MAX_HEADER_BYTES ||
    body.byteOffset + body.length !== buffer.byteLength
  ) {
    return null;
  }
  return new Uint8Array(buffer, body.byteOffset, body.length);
}
