/**
 * Reads of a plain TCP connection landing in memory we choose, instead of a new buffer per read.
 *
 * Why: Node gives every socket read its own ArrayBuffer, and V8 counts the external memory
 * allocated since the last full collection against the old generation's allocation limit
 * (`Heap::OldGenerationSpaceAvailable`). Brokers re-registering 1.6 MiB bodies back to back
 * allocate ~200 MB/s that way; young buffers are only freed by the next scavenge, so tens of MiB
 * are outstanding at any time. Once a node's old-generation limit sits close to its live size
 * (any node that has run a while: here after the route bench, 46 MiB live, 24 MiB of slack) that
 * alone started incremental marking every ~100 ms: ten mark-compacts a second, and lookup p99
 * during churn 7–9 × the idle p99 where a fresh node showed 2 × (issue 11, bench `churn`).
 *
 * Node supports this for sockets it creates with the `onread` option; an accepted socket (from
 * our listener, or handed over by the owner process) gets none, so we take its handle, before
 * or after reading has started, and wrap it in a socket that has one. That uses the socket's
 * `_handle`, which Node does not document: when anything is not as expected (a TLS socket, no
 * handle, a handle without `useUserBuffer`, a stream that already saw its end), nothing is
 * changed and the caller reads through 'data' events as before.
 */
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface DirectReadSink {
  /** Where the next read lands (asked after every read). */
  target(): Uint8Array;
  /** `bytes` were read into the start of `into` (the last target); false pauses reading. */
  landed(bytes: number, into: Uint8Array): boolean;
}

export interface TakenOver {
  /** The socket to use from now on (the old object must not be used again). */
  readonly socket: Socket;
  /** What the old socket had read but nobody consumed yet: hand it on before any new read. */
  readonly unread: Buffer[];
}

/** The parts of Node's TCP handle this relies on (all present since Node 12). */
interface StreamHandle {
  reading?: boolean;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

interface SocketInternals {
  _handle: StreamHandle | null;
  _readableState?: { ended?: boolean };
  server?: unknown;
  _server?: unknown;
  allowHalfOpen?: boolean;
}

function handleOf(socket: Socket): StreamHandle | null {
  const handle = (socket as unknown as SocketInternals)._handle;
  if (handle === null || typeof handle !== 'object') return null;
  return typeof handle.readStop === 'function' && typeof handle.useUserBuffer === 'function'
    ? handle
    : null;
}

/**
 * Moves `socket`'s connection to a new Socket whose reads land where `sink` says. The new socket
 * does not read until resume() is called. Null when it cannot be done; `socket` is then untouched.
 */
export function takeOverReads(socket: Socket, sink: DirectReadSink): TakenOver | null {
  if (socket instanceof TLSSocket || socket.destroyed || socket.connecting) return null;
  const internals = socket as unknown as SocketInternals;
  const handle = handleOf(socket);
  if (handle === null || internals._readableState?.ended === true) return null;
  // What the old socket buffered (a sniffed first chunk put back, or what a socket handed over by
  // another process read before we got it). read() may start the handle reading again; nothing
  // is read before the loop's next poll, and readStop below comes first.
  const unread: Buffer[] = [];
  const readBuffered = (): Buffer | null => socket.read() as Buffer | null;
  for (let chunk = readBuffered(); chunk !== null; chunk = readBuffered()) unread.push(chunk);
  handle.reading = false;
  handle.readStop();
  // The old object forgets the handle, so nothing done to it can touch the connection.
  internals._handle = null;
  socket.removeAllListeners();
  const next = new Socket({
    handle,
    readable: true,
    writable: true,
    // Not reading until the caller resumes it.
    pauseOnCreate: true,
    allowHalfOpen: internals.allowHalfOpen === true,
    onread: {
      buffer: () => sink.target(),
      callback: (bytes: number, into: Uint8Array) => sink.landed(bytes, into),
    },
  } as ConstructorParameters<typeof Socket>[0]);
  // net.Server counts its connections through these (close() waits for them to end).
  const nextInternals = next as unknown as SocketInternals;
  nextInternals.server = internals.server;
  nextInternals._server = internals._server;
  // ...and only through the new socket: destroying the old one must not count a second close.
  internals.server = null;
  internals._server = null;
  return { socket: next, unread };
}
