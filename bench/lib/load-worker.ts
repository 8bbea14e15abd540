/**
 * A load-generator process: N connections to one target, K requests in flight each, every
 * response checked (code SUCCESS, opaque matches a request in flight, body equals the expected
 * bytes). Runs a warm-up, then a fixed window, then drains; stops by itself on time or count.
 *
 * Runs in its own process (forked by the orchestrator) so that it never shares an event loop
 * with the server under test.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameDecoder } from './ns.js';
import { Histogram } from './histogram.js';
import {
  OPAQUE_BASE,
  OPAQUE_SPAN,
  opaqueDigitsOffset,
  patchOpaque,
  readHeaderInt,
} from './workload.js';
import type { FromWorker, LoadConfig, LoadResult, ToWorker } from './load-protocol.js';

const CODE_KEY = Buffer.from('"code":', 'latin1');
const OPAQUE_KEY = Buffer.from('"opaque":', 'latin1');

interface Slot {
  opaque: number;
  sentAt: number;
  reqIndex: number;
  busy: boolean;
  buf: Buffer;
}

function send(msg: FromWorker): void {
  process.send?.(msg);
}

function run(cfg: LoadConfig, waitForGo: Promise<void>): Promise<LoadResult> {
  const requests = cfg.requests.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength));
  const expected = cfg.expectedBodies.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength));
  const opaqueOffsets = requests.map((r) => opaqueDigitsOffset(r));
  const hist = new Histogram();
  const errors: Record<string, number> = {};
  const errorSamples: string[] = [];
  const fail = (kind: string, detail: string): void => {
    errors[kind] = (errors[kind] ?? 0) + 1;
    if (errorSamples.length < 10) errorSamples.push(`${kind}: ${detail}`);
  };

  let sent = 0;
  let completed = 0;
  let opaqueSeq = 0;
  let phase: 'connecting' | 'warmup' | 'measure' | 'drain' | 'done' = 'connecting';
  let measureStart = 0;
  let measureEnd = 0;
  let cpuStart = process.cpuUsage();
  let eluStart = performance.eventLoopUtilization();
  let cpuDelta = { user: 0, system: 0 };
  let elu = 0;
  let inFlight = 0;
  const sockets: net.Socket[] = [];

  return new Promise<LoadResult>((resolve, reject) => {
    let finishDrain: (() => void) | null = null;

    const conns = Array.from({ length: cfg.connections }, (_, c) => {
      const slots: Slot[] = Array.from({ length: cfg.inflight }, () => ({
        opaque: 0,
        sentAt: 0,
        reqIndex: 0,
        busy: false,
        buf: Buffer.alloc(0),
      }));
      let next = (cfg.startOffset + c * 7919) % requests.length;
      const socket = net.connect({ host: cfg.host, port: cfg.port });
      socket.setNoDelay(true);
      sockets.push(socket);
      const decoder = new FrameDecoder();

      const fire = (slot: Slot): void => {
        if (phase !== 'warmup' && phase !== 'measure') return;
        if (sent >= cfg.maxRequests) return;
        const reqIndex = next;
        next = next + 1 === requests.length ? 0 : next + 1;
        const template = requests[reqIndex]!;
        // A slot re-sends only after its previous response arrived, so its buffer is no longer
        // queued in the socket and can be overwritten.
        if (slot.buf.length !== template.length) slot.buf = Buffer.allocUnsafe(template.length);
        template.copy(slot.buf);
        const opaque = OPAQUE_BASE + (opaqueSeq++ % OPAQUE_SPAN);
        patchOpaque(slot.buf, opaqueOffsets[reqIndex]!, opaque);
        slot.opaque = opaque;
        slot.reqIndex = reqIndex;
        slot.busy = true;
        slot.sentAt = performance.now();
        sent++;
        inFlight++;
        socket.write(slot.buf);
      };

      const onFrame = (f: Buffer): void => {
        const now = performance.now();
        if (f.length < 4 || f[0] !== 0) {
          fail('bad-frame', `serialize type ${f[0]}`);
          return;
        }
        const hl = f.readUInt32BE(0) & 0xffffff;
        const opaque = readHeaderInt(f, OPAQUE_KEY, 4, 4 + hl);
        let slot: Slot | undefined;
        for (const s of slots) {
          if (s.busy && s.opaque === opaque) {
            slot = s;
            break;
          }
        }
        if (slot === undefined) {
          fail('unknown-opaque', `opaque ${opaque} on connection ${c}`);
          return;
        }
        slot.busy = false;
        inFlight--;
        const code = readHeaderInt(f, CODE_KEY, 4, 4 + hl);
        if (code !== 0) {
          fail('bad-code', `code ${code}: ${f.toString('utf8', 4, 4 + hl).slice(0, 200)}`);
        } else {
          const exp = expected.length === 1 ? expected[0]! : expected[slot.reqIndex]!;
          const body = f.subarray(4 + hl);
          if (!body.equals(exp)) {
            fail(
              'body-mismatch',
              `request ${slot.reqIndex}: got ${body.length} bytes, expected ${exp.length}`,
            );
          } else if (phase === 'measure' && slot.sentAt >= measureStart) {
            completed++;
            hist.record((now - slot.sentAt) * 1000);
          } else if (phase === 'drain' && cfg.recordDrain === true && slot.sentAt >= measureStart) {
            hist.record((now - slot.sentAt) * 1000);
          }
        }
        if (phase === 'drain' && inFlight === 0) finishDrain?.();
        fire(slot);
      };

      socket.on('data', (chunk: Buffer) => {
        let frames: Buffer[];
        try {
          frames = decoder.push(chunk);
        } catch (err) {
          fail('decode-error', String(err));
          socket.destroy();
          return;
        }
        for (const f of frames) onFrame(f);
      });
      socket.on('error', (err) => {
        fail('socket-error', err.message);
      });
      socket.on('close', () => {
        if (phase !== 'done') {
          fail('socket-closed', `connection ${c} closed during ${phase}`);
          for (const s of slots) {
            if (s.busy) {
              s.busy = false;
              inFlight--;
            }
          }
          if (phase === 'drain' && inFlight === 0) finishDrain?.();
        }
      });
      const connected = new Promise<void>((res, rej) => {
        socket.once('connect', res);
        socket.once('error', rej);
      });
      return { slots, fire, connected };
    });

    Promise.all(conns.map((c) => c.connected))
      .then(async () => {
        send({ type: 'ready' });
        await waitForGo;
        phase = 'warmup';
        for (const c of conns) for (const s of c.slots) c.fire(s);
        await new Promise((r) => setTimeout(r, cfg.warmupMs));
        phase = 'measure';
        measureStart = performance.now();
        cpuStart = process.cpuUsage();
        eluStart = performance.eventLoopUtilization();
        await new Promise((r) => setTimeout(r, cfg.durationMs));
        measureEnd = performance.now();
        cpuDelta = process.cpuUsage(cpuStart);
        elu = performance.eventLoopUtilization(eluStart).utilization;
        phase = 'drain';
        if (inFlight > 0) {
          await new Promise<void>((r) => {
            finishDrain = r;
            setTimeout(r, cfg.drainMs).unref();
          });
        }
        if (inFlight > 0) {
          fail('timeout', `${inFlight} requests unanswered ${cfg.drainMs} ms after the window`);
          errors['timeout'] = (errors['timeout'] ?? 0) + inFlight - 1;
        }
        phase = 'done';
        for (const s of sockets) s.destroy();
        resolve({
          completed,
          sent,
          windowMs: measureEnd - measureStart,
          histogram: hist.snapshot(),
          errors,
          errorSamples,
          cpuUserUs: cpuDelta.user,
          cpuSystemUs: cpuDelta.system,
          elu,
        });
      })
      .catch(reject);
  });
}

// One process serves many runs (levels) in turn: forking a TypeScript child costs about a
// second on a busy 2-core box, and a reused generator is already JIT-warm.
let goResolve: () => void = () => {};
let watchdog: NodeJS.Timeout | undefined;

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'go') {
    goResolve();
    return;
  }
  const cfg = msg.config;
  const go = new Promise<void>((r) => (goResolve = r));
  // However the orchestrator behaves, a run ends: the process exits if it overruns.
  clearTimeout(watchdog);
  watchdog = setTimeout(
    () => process.exit(3),
    cfg.warmupMs + cfg.durationMs + cfg.drainMs + 30_000,
  );
  watchdog.unref();
  run(cfg, go)
    .then((result) => {
      clearTimeout(watchdog);
      send({ type: 'result', result });
    })
    .catch((err: unknown) => {
      send({
        type: 'fatal',
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      process.disconnect?.();
    });
});
// Never outlive the orchestrator.
process.on('disconnect', () => process.exit(0));
