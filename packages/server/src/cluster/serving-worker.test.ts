/**
 * The hand-over deadline (HANDOVER_TIMEOUT_MILLIS): a connection the worker never takes in — a
 * worker at its open-files limit cannot, and Node's channel drops the message silently — is closed
 * by the owner, reported closed once, counted and logged; a confirmation after the deadline makes
 * the worker close it; a timely one keeps it. The workers here are small stand-ins (plain
 * scripts), not worker-main.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { NamesrvConfig } from '../config/index.js';
import type { Logger } from '../logging.js';
import type { RegistryOwner } from '../registry/registry-owner.js';
import { HANDOVER_TIMEOUT_MILLIS, ServingWorker } from './serving-worker.js';
import { steadyClock } from '../steady-clock.js';

const DEADLINE_MILLIS = 100;

/** Answers pings; `onConn` is the body run for each handed-over socket (`socket`, `id`). */
function script(onConn: string): string {
  return `
const held = new Map();
process.on('message', (msg, socket) => {
  if (msg.t === 'ping') process.send({ t: 'pong' });
  else if (msg.t === 'metrics') process.send({ t: 'metrics', rid: msg.rid, metrics: null });
  else if (msg.t === 'conn') { const id = msg.id; ${onConn} }
  else if (msg.t === 'close-conn') {
    const s = held.get(msg.id);
    if (s !== undefined) { held.delete(msg.id); s.destroy(); process.send({ t: 'conn-closed', id: msg.id }); }
  } else if (msg.t === 'shutdown') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
`;
}

const dir = mkdtempSync(join(tmpdir(), 'ns-handover-'));
function entry(name: string, onConn: string): URL {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, script(onConn));
  return pathToFileURL(path);
}
/** The socket never arrives (as when the worker's descriptor table is full): no answer. */
const DROPS = entry('drops', 'socket.destroy();');
/** Takes the socket in and confirms at once. */
const PROMPT = entry('prompt', "held.set(id, socket); process.send({ t: 'adopted', id });");
/** Takes the socket in but confirms only well after the deadline. */
const LATE = entry(
  'late',
  `held.set(id, socket); setTimeout(() => process.send({ t: 'adopted', id }), ${DEADLINE_MILLIS * 3});`,
);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Rig {
  worker: ServingWorker;
  closed: number[];
  ownerClosed: number[];
  limits: string[];
  warn: ReturnType<typeof vi.fn>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A worker on `entryUrl`, once its process is up (it answered). */
async function rig(entryUrl: URL): Promise<Rig> {
  const closed: number[] = [];
  const ownerClosed: number[] = [];
  const limits: string[] = [];
  const warn = vi.fn();
  const noop = (): void => undefined;
  const logger = { debug: noop, info: noop, warn, error: noop, fatal: noop } as unknown as Logger;
  const owner = {
    connectionClosed: (id: number) => {
      ownerClosed.push(id);
      return Promise.resolve();
    },
  } as unknown as RegistryOwner;
  const worker = new ServingWorker({
    workerId: 1,
    owner,
    config: { servingWorkerAckTimeoutMillis: 10_000 } as NamesrvConfig,
    selfSigned: null,
    servingProcesses: 2,
    nodeStartedAt: Date.now(),
    clockAnchor: steadyClock().anchor,
    securityFiles: null,
    logger,
    entry: entryUrl,
    handOverTimeoutMillis: DEADLINE_MILLIS,
    metrics: { limitEnforced: (limit) => limits.push(limit) },
    onConnectionClosed: (id) => closed.push(id),
    onExit: noop,
    onHandOverFailed: noop,
  });
  cleanups.push(() => worker.shutdown(500));
  // Its process takes a while to start: the deadline is about the worker, not its boot.
  await worker.metrics(10_000);
  return { worker, closed, ownerClosed, limits, warn };
}

/** A listener whose accepted sockets (paused, as the acceptor's) go to `onSocket`. */
async function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server: Server = createServer({ pauseOnConnect: true }, onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** A client connection and a promise of its end (the peer closed, or an error). */
async function client(port: number): Promise<{ socket: Socket; ended: Promise<number> }> {
  const socket = createConnection({ port, host: '127.0.0.1' });
  cleanups.push(() => {
    socket.destroy();
  });
  const started = Date.now();
  const ended = new Promise<number>((resolve) => {
    socket.on('close', () => resolve(Date.now() - started));
    socket.on('error', () => undefined);
  });
  socket.resume();
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, ended };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('hand-over deadline', () => {
  it('defaults to 5 s', () => {
    expect(HANDOVER_TIMEOUT_MILLIS).toBe(5_000);
  });

  it('closes a connection the worker never takes in, and reports it closed once', async () => {
    const r = await rig(DROPS);
    const owned: Socket[] = [];
    const port = await listen((s) => {
      owned.push(s);
      r.worker.adopt(s, 7);
    });
    const c = await client(port);
    await vi.waitFor(() => expect(owned).toHaveLength(1));
    expect(r.worker.connections.has(7)).toBe(true);

    // Without the deadline the owner's copy stayed open for ever: the client never saw its end.
    const endedAfter = await Promise.race([c.ended, sleep(3_000).then(() => -1)]);
    expect(endedAfter).toBeGreaterThanOrEqual(DEADLINE_MILLIS - 20);
    expect(endedAfter).toBeLessThan(2_000);
    expect(owned[0]!.destroyed).toBe(true);
    expect(r.worker.connections.size).toBe(0);
    expect(r.closed).toEqual([7]);
    expect(r.ownerClosed).toEqual([7]);
    expect(r.limits).toEqual(['handover_timeout']);
    expect(r.warn).toHaveBeenCalledTimes(1);
    expect(String(r.warn.mock.calls[0]![1])).toContain('ulimit -n');

    // A second one within the log interval is counted but not logged again.
    const c2 = await client(port);
    await vi.waitFor(() => expect(owned).toHaveLength(2));
    await c2.ended;
    await vi.waitFor(() => expect(r.closed).toHaveLength(2));
    expect(r.limits).toHaveLength(2);
    expect(r.warn).toHaveBeenCalledTimes(1);
  });

  it('has a worker that confirms after the deadline close its copy, without a second report', async () => {
    const r = await rig(LATE);
    const port = await listen((s) => r.worker.adopt(s, 9));
    const c = await client(port);
    // The owner gave up at the deadline; the client sees its end only once the worker, which
    // took the socket in after all, is told to close it on its late confirmation.
    const endedAfter = await Promise.race([c.ended, sleep(3_000).then(() => -1)]);
    expect(endedAfter).toBeGreaterThanOrEqual(DEADLINE_MILLIS * 3 - 20);
    expect(r.closed).toEqual([9]);
    // The worker's 'conn-closed' for it comes after: the acceptor, which released it when it was
    // given up, does not hear it again; the registry does (whatever the worker read from it
    // meanwhile, a registration, must be undone by its close).
    await vi.waitFor(() => expect(r.ownerClosed).toEqual([9, 9]));
    expect(r.closed).toEqual([9]);
    expect(r.worker.connections.size).toBe(0);
    expect(r.worker.lateAdopted.size).toBe(0);
  });

  it('leaves a connection the worker confirmed in time alone', async () => {
    const r = await rig(PROMPT);
    const owned: Socket[] = [];
    const port = await listen((s) => {
      owned.push(s);
      r.worker.adopt(s, 3);
    });
    const c = await client(port);
    await vi.waitFor(() => expect(owned[0]?.destroyed).toBe(true)); // our copy, once confirmed
    await sleep(DEADLINE_MILLIS * 3);
    expect(c.socket.destroyed).toBe(false);
    expect(r.worker.connections.has(3)).toBe(true);
    expect(r.closed).toEqual([]);
    expect(r.limits).toEqual([]);
    expect(r.warn).not.toHaveBeenCalled();
  });
});
