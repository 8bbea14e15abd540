/**
 * The baseline: the least work any RocketMQ-framed TCP server can do per request. It cuts
 * frames by their length prefix, copies the request's opaque into a pre-encoded response of the
 * same size as the NameServer's, and writes it. No header parsing beyond finding the opaque, no
 * routing, no allocation per request beyond the response copy.
 *
 * `pnpm bench` runs the same load against this and against ns-server, so the NameServer's
 * figures read as a fraction of what Node's TCP stack allows on this machine.
 *
 * Forked by the orchestrator; says `{type:'ready'}`, receives `{type:'start', responseFrame,
 * workers}`, answers `{type:'listening', port}`. Listens on 127.0.0.1, port 0.
 *
 * With `workers` W > 1 it takes the shape of a node with W serving workers: this process is a
 * node:cluster primary that accepts every connection and hands it to one of W worker processes
 * (round-robin scheduling, the primary passes the socket over IPC, as the node's owner does),
 * so the comparison is between equal numbers of processes doing the same socket hand-over.
 */
import cluster from 'node:cluster';
import * as net from 'node:net';

const OPAQUE_KEY = Buffer.from('"opaque":', 'latin1');

/**
 * Finds the opaque digits in the response's JSON header. The harness always sends 10-digit
 * opaques and builds the template with one, so the slot fits every request and the baseline's
 * response is byte-for-byte the size of the NameServer's; a shorter opaque is padded with JSON
 * whitespace.
 */
function opaqueSlot(frame: Buffer): { slotAt: number; slotLength: number } {
  const headerLength = frame.readUInt32BE(4) & 0xffffff;
  const at = frame.indexOf(OPAQUE_KEY, 8);
  if (at < 0 || at >= 8 + headerLength) throw new Error('response frame has no "opaque"');
  const slotAt = at + OPAQUE_KEY.length;
  let end = slotAt;
  while (end < frame.length && (frame[end] === 0x2d || (frame[end]! >= 48 && frame[end]! <= 57)))
    end++;
  return { slotAt, slotLength: end - slotAt };
}

function serve(responseFrame: Buffer): net.Server {
  const template = responseFrame;
  const { slotAt, slotLength } = opaqueSlot(template);
  return net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      let data = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      let o = 0;
      const out: Buffer[] = [];
      while (data.length - o >= 4) {
        const total = data.readInt32BE(o);
        if (total < 4 || total > 16_777_212) {
          socket.destroy();
          return;
        }
        if (data.length - o - 4 < total) break;
        const frameEnd = o + 4 + total;
        const headerEnd = o + 8 + (data.readUInt32BE(o + 4) & 0xffffff);
        const at = data.indexOf(OPAQUE_KEY, o + 8);
        const response = Buffer.from(template);
        if (at >= 0 && at < headerEnd) {
          let i = at + OPAQUE_KEY.length;
          let w = slotAt;
          while (i < headerEnd && w < slotAt + slotLength) {
            const c = data[i]!;
            if (c !== 0x2d && (c < 48 || c > 57)) break;
            response[w++] = c;
            i++;
          }
          while (w < slotAt + slotLength) response[w++] = 0x20;
        }
        out.push(response);
        o = frameEnd;
      }
      if (o < data.length) pending = Buffer.from(data.subarray(o));
      data = Buffer.alloc(0);
      // One write per chunk, as a server that batches its replies would.
      if (out.length === 1) socket.write(out[0]!);
      else if (out.length > 1) socket.write(Buffer.concat(out));
    });
    socket.on('error', () => socket.destroy());
  });
}

interface StartMessage {
  type?: string;
  responseFrame?: Uint8Array;
  workers?: number;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function listenHere(frame: Buffer, onListening: (port: number) => void): net.Server {
  const server = serve(frame);
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') onListening(addr.port);
  });
  return server;
}

if (cluster.isWorker) {
  // A cluster worker: its frame comes from the primary; port 0 is shared by every worker (the
  // primary holds the one listening socket).
  process.on('message', (msg: StartMessage) => {
    if (msg.type !== 'serve' || msg.responseFrame === undefined) return;
    listenHere(asBuffer(msg.responseFrame), (port) => {
      process.send?.({ type: 'worker-listening', port });
    });
  });
  process.send?.({ type: 'worker-ready' });
} else {
  process.on('message', (msg: StartMessage) => {
    if (msg.type !== 'start' || msg.responseFrame === undefined) return;
    const frame = asBuffer(msg.responseFrame);
    const workers = Math.max(1, msg.workers ?? 1);
    if (workers === 1) {
      const server = listenHere(frame, (port) => process.send?.({ type: 'listening', port }));
      process.once('SIGTERM', () => {
        server.close();
        process.exit(0);
      });
      return;
    }
    cluster.schedulingPolicy = cluster.SCHED_RR;
    cluster.setupPrimary({ serialization: 'advanced', silent: false });
    const ports: number[] = [];
    let stopping = false;
    for (let i = 0; i < workers; i++) {
      const w = cluster.fork();
      w.on('message', (m: { type?: string; port?: number }) => {
        if (m.type === 'worker-ready')
          w.send({ type: 'serve', responseFrame: new Uint8Array(frame) });
        if (m.type === 'worker-listening' && typeof m.port === 'number') {
          ports.push(m.port);
          if (ports.length === workers) process.send?.({ type: 'listening', port: ports[0] });
        }
      });
      // A worker that dies ends the baseline: its figures would be meaningless.
      w.on('exit', () => {
        if (!stopping) process.exit(1);
      });
    }
    process.once('SIGTERM', () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGKILL');
      process.exit(0);
    });
  });
  // Do not outlive the orchestrator. The probe unrefs the IPC channel (right for ns-server, which
  // its listening socket keeps alive); here the channel is what keeps us alive until 'start'.
  process.on('disconnect', () => process.exit(0));
  process.channel?.ref();
  // Messages that arrive before a listener exists are dropped (the probe's listener starts the
  // channel early), so the orchestrator sends 'start' only after this.
  process.send?.({ type: 'ready' });
}
