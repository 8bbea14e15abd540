/**
 * The serving side's REGISTER_BROKER body decoder: hands bodies to the decode thread
 * (register-decode-thread.ts) and resolves with what changed since the broker's previous body.
 * The event loop only copies the body to the thread and receives a compact answer.
 *
 * One body at a time is on the thread; the others wait here, one queue per connection, and the
 * next one is the head of the connection that has used the thread least (start-time fair
 * queueing on the thread's seconds: a connection's tag grows by the time its decodes took, and a
 * connection that starts waiting starts at the tag of the decode in progress). The thread is one
 * per process: as a single FIFO, one connection sending costly bodies back to back (13 MiB each,
 * or several in flight on several connections) held an honest broker's registration for 8.8-38 s;
 * now a broker whose bodies cost little waits for about the body in progress, however many
 * costly ones other connections keep waiting.
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
import type {
  DecodeJob,
  FullOfBaseJob,
  ThreadAnswer,
  ThreadMessage,
} from './register-decode-thread.js';

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
  /** groupKey(cluster, brokerName): see DecodeInput.group. */
  group?: string;
}

interface Pending {
  readonly resolve: (answer: ThreadAnswer) => void;
  readonly reject: (err: Error) => void;
  /** A decode (counts against MAX_DECODES_IN_FLIGHT), not a count of bases. */
  readonly decode: boolean;
  /** Whose decode it is (charged its thread time). */
  readonly connectionId?: number;
}

/** What a decode is charged at least (seconds), so that cheap ones still take turns. */
const MIN_CHARGE_SECONDS = 1e-4;

/** How many decodes are on the thread at once; the rest wait in their connection's queue. */
export const MAX_DECODES_IN_FLIGHT = 1;

/** What waits in a connection's queue: a decode to send, or a message to pass on in its turn. */
type Queued =
  | {
      readonly msg: DecodeJob | FullOfBaseJob;
      readonly transfer: ArrayBuffer[];
      readonly settle: Pending;
    }
  | { readonly msg: ThreadMessage; readonly transfer?: undefined; readonly settle?: undefined };

export class RegisterBodyDecoder {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  /** Decodes on the thread now. */
  private inFlight = 0;
  /**
   * Per connection with anything waiting, in turn order: what it asked for, in its order (a
   * connection's messages reach the thread in the order they were made).
   */
  private readonly queues = new Map<number, Queued[]>();
  /**
   * Per connection waiting or decoding (or ahead of `virtualNow`): the thread seconds it has been
   * charged, on the scale of `virtualNow`. The least goes next.
   */
  private readonly tags = new Map<number, number>();
  /** The tag of the decode last sent. */
  private virtualNow = 0;
  /** Base counts asked for, sent once nothing waits or is in flight. */
  private readonly countWaiters: (() => void)[] = [];
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
      ...(req.group === undefined ? {} : { group: req.group }),
    };
    return this.askForDecode(
      req.connectionId,
      job,
      body === null ? [] : [body.buffer as ArrayBuffer],
    );
  }

  /**
   * The body that base `base` of broker `key` came from, decoded in full by the thread that holds
   * it (the answer to the owner's 'resend'); `undecodable` when the thread decoded another body
   * of that broker since. Queued behind the other waiting decodes of connection `connectionId`.
   */
  decodeBaseInFull(key: string, base: string, connectionId: number): Promise<DecodedRegistration> {
    if (this.closed) return Promise.reject(new Error('body decoder closed'));
    const id = this.nextId++;
    return this.askForDecode(connectionId, { t: 'full-of-base', id, key, base });
  }

  /** Queues decode `msg` for connection `connectionId`; settles with the decode it answers. */
  private askForDecode(
    connectionId: number,
    msg: DecodeJob | FullOfBaseJob,
    transfer: ArrayBuffer[] = [],
  ): Promise<DecodedRegistration> {
    return new Promise((resolve, reject) => {
      const settle: Pending = {
        resolve: (answer) => {
          if (!('result' in answer)) {
            reject(new Error('register body decode thread answered a decode with a count'));
            return;
          }
          this.onDecoded(answer.result, answer.seconds);
          resolve(answer.result);
        },
        reject,
        decode: true,
        connectionId,
      };
      this.enqueue(connectionId, { msg, transfer, settle });
    });
  }

  private enqueue(connectionId: number, item: Queued): void {
    const queue = this.queues.get(connectionId);
    if (queue !== undefined) {
      queue.push(item);
    } else if (item.settle === undefined) {
      // Nothing of the connection waits: its decodes so far are on the thread (or done).
      this.worker?.postMessage(item.msg);
      if (item.msg.t === 'connection-closed') this.dropTag(connectionId);
      return;
    } else {
      this.queues.set(connectionId, [item]);
      // Starts waiting: not behind the decode in progress, nor ahead of it on time it left unused.
      const tag = this.tags.get(connectionId);
      if (tag === undefined || tag < this.virtualNow) this.tags.set(connectionId, this.virtualNow);
    }
    this.pump();
  }

  /**
   * Sends what may go now: decodes up to MAX_DECODES_IN_FLIGHT, each the head of the waiting
   * connection with the least tag (the first to wait, of equals), and after each the messages
   * queued behind it up to the connection's next decode. A queue's head is always a decode.
   */
  private pump(): void {
    while (this.inFlight < MAX_DECODES_IN_FLIGHT && this.queues.size > 0 && !this.closed) {
      let next = -1;
      let least = Infinity;
      for (const id of this.queues.keys()) {
        const tag = this.tags.get(id) ?? this.virtualNow;
        if (tag < least) {
          least = tag;
          next = id;
        }
      }
      const queue = this.queues.get(next)!;
      this.virtualNow = least;
      const worker = this.thread();
      const item = queue.shift() as Extract<Queued, { settle: Pending }>;
      this.inFlight++;
      this.pending.set(item.msg.id, item.settle);
      worker.postMessage(item.msg, item.transfer);
      while (queue.length > 0 && queue[0]!.settle === undefined) {
        const msg = queue.shift()!.msg;
        worker.postMessage(msg);
        if (msg.t === 'connection-closed') this.dropTag(next);
      }
      if (queue.length === 0) this.queues.delete(next);
    }
    if (this.inFlight === 0 && this.queues.size === 0) {
      for (const send of this.countWaiters.splice(0)) send();
    }
  }

  /** A decode of connection `id` took `seconds` of the thread. */
  private charge(id: number, seconds: number): void {
    const tag = this.tags.get(id);
    if (tag === undefined) return;
    const charged = tag + Math.max(seconds, MIN_CHARGE_SECONDS);
    // Idle and not ahead: it would start again from virtualNow anyway.
    if (!this.queues.has(id) && charged <= this.virtualNow) this.tags.delete(id);
    else this.tags.set(id, charged);
  }

  private dropTag(id: number): void {
    this.tags.delete(id);
  }

  /**
   * How many broker bases the thread keeps, once it has handled every message asked for before
   * this call (and any after, until nothing waits: for tests, what a connection leaves behind).
   * 0 when no thread runs.
   */
  baseCount(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.countWaiters.push(() => {
        const worker = this.worker;
        if (worker === null) {
          resolve(0);
          return;
        }
        const id = this.nextId++;
        this.pending.set(id, {
          resolve: (answer) => {
            if ('bases' in answer) resolve(answer.bases);
            else reject(new Error('register body decode thread answered a count with a decode'));
          },
          reject,
          decode: false,
        });
        worker.postMessage({ t: 'count-bases', id } satisfies ThreadMessage);
      });
      this.pump();
    });
  }

  /**
   * The next body of broker `key` is decoded in full (the owner lost step with this base): after
   * the decodes connection `connectionId` asked for before, before those it asks for after.
   */
  forget(key: string, connectionId: number): void {
    if (this.worker === null && !this.queues.has(connectionId)) return;
    this.enqueue(connectionId, { msg: { t: 'forget', key } });
  }

  /** A connection closed: its brokers' bases are of no more use (once its decodes are done). */
  connectionClosed(connectionId: number): void {
    if (this.worker === null && !this.queues.has(connectionId)) return;
    this.enqueue(connectionId, { msg: { t: 'connection-closed', connectionId } });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    const err = new Error('body decoder closed');
    this.failPending(err);
    for (const queue of this.queues.values()) for (const item of queue) item.settle?.reject(err);
    this.queues.clear();
    this.tags.clear();
    for (const send of this.countWaiters.splice(0)) send();
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
      if (p.decode) {
        this.inFlight--;
        if (p.connectionId !== undefined && 'seconds' in answer) {
          this.charge(p.connectionId, answer.seconds);
        }
      }
      p.resolve(answer);
      this.pump();
    });
    worker.on('error', (err) => {
      this.logger.error({ err }, 'register body decode thread failed; starting a new one');
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failPending(new Error(`register body decode thread exited (code ${code})`));
      // What waits goes to a new thread.
      this.pump();
    });
    // A decode in flight keeps the process alive; an idle thread does not.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.inFlight = 0;
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
