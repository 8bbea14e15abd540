/**
 * The watchers of the route-watch benchmark, in their own process: `connections` raw TCP
 * connections, each holding one WATCH_TOPIC_ROUTE of `topicsPerWatch` topics, driven by the
 * orchestrator over IPC (structured clone):
 *
 *   → {type:'start', config}       open, answer-at-once watch, then hold; ← {type:'ready', affected}
 *   → {type:'arm', expectMover}    the next change will remove (false) or add (true) the mover
 *                                  broker; ← {type:'armed'}
 *   (the orchestrator changes the route)
 *   ← {type:'woken', times, errors} once every affected connection got its answer; `times` are
 *                                  wall-clock ms (performance.timeOrigin + now) of each receipt
 *   → {type:'resubscribe'}         woken connections hold again; ← {type:'ready', affected}
 *   → {type:'stop'}
 *
 * Every answer is checked: an affected connection must get exactly the mover's topics it watches,
 * each route with (or without) the mover broker; an unaffected one must not be woken.
 */
import * as net from 'node:net';
import {
  createRequest,
  decodeFrame,
  decodeWatchTopicRouteResponseBody,
  encodeCommand,
  encodeWatchTopicRouteRequestBody,
  encodeWatchTopicRouteRequestHeader,
  FrameDecoder,
  RequestCode,
  ResponseCode,
  Version,
} from '../lib/ns.js';
import type { RemotingCommand } from '../lib/ns.js';

export interface WatchChildConfig {
  port: number;
  connections: number;
  topicsPerWatch: number;
  topics: string[];
  /** topics[0 .. moverTopics) are hosted by the mover broker (as well as the keeper). */
  moverTopics: number;
  moverBroker: string;
  holdMillis: number;
}

export type ToWatchChild =
  | { type: 'start'; config: WatchChildConfig }
  | { type: 'arm'; expectMover: boolean }
  | { type: 'resubscribe' }
  | { type: 'status' }
  | { type: 'stop' };

export type FromWatchChild =
  | { type: 'ready'; affected: number }
  | { type: 'armed' }
  | { type: 'woken'; times: number[]; errors: string[]; cpuMs: number }
  | { type: 'status'; text: string }
  | { type: 'fatal'; message: string };

const now = (): number => performance.timeOrigin + performance.now();
const send = (m: FromWatchChild): void => {
  process.send?.(m);
};

interface Conn {
  readonly socket: net.Socket;
  readonly decoder: FrameDecoder;
  readonly topics: string[];
  /** The mover's topics among `topics`, sorted. */
  readonly moverTopics: string[];
  readonly versions: Map<string, number>;
  epoch: string | undefined;
  /** Opaque of the watch whose answer is awaited (held or immediate). */
  watchOpaque: number;
  pingOpaque: number;
  isWoken: boolean;
}

let cfg: WatchChildConfig;
const conns: Conn[] = [];
let opaque = 1;
let phase: 'setup' | 'holding' | 'armed' = 'setup';
let expectMover = true;
let awaiting = 0;
let onAllAnswered: (() => void) | undefined;
let times: number[] = [];
let errors: string[] = [];
let affected = 0;
/** Answers with topics that came while no wave was armed, over the whole run (see 'status'). */
const outsideWave: string[] = [];
/** This process's CPU when the wave was armed: receiving and checking answers costs too. */
let armedCpu = process.cpuUsage();

/** A small deterministic PRNG: the same topic choice every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function watchFrame(c: Conn, holdMillis: number): Buffer {
  c.watchOpaque = opaque++;
  return encodeCommand(
    createRequest({
      code: RequestCode.WATCH_TOPIC_ROUTE,
      opaque: c.watchOpaque,
      version: Version.V4_9_7,
      extFields: encodeWatchTopicRouteRequestHeader({
        holdMillis,
        ...(c.epoch === undefined ? {} : { epoch: c.epoch }),
      }),
      body: encodeWatchTopicRouteRequestBody({
        topics: new Map(c.topics.map((t) => [t, c.versions.get(t) ?? 0])),
      }),
    }),
  );
}

/** A cheap request answered after the watch before it was processed: proves it is held. */
function pingFrame(c: Conn): Buffer {
  c.pingOpaque = opaque++;
  return encodeCommand(
    createRequest({
      code: RequestCode.GET_ROUTEINFO_BY_TOPIC,
      opaque: c.pingOpaque,
      version: Version.V4_9_7,
      extFields: { topic: c.topics[0]! },
    }),
  );
}

function error(message: string): void {
  if (errors.length < 20) errors.push(message);
  else errors[19] = `${message} (and more)`;
}

function onFrame(c: Conn, cmd: RemotingCommand): void {
  if (cmd.opaque === c.pingOpaque) {
    c.pingOpaque = -1;
    if (--awaiting === 0) onAllAnswered?.();
    return;
  }
  if (cmd.opaque !== c.watchOpaque) return;
  if (cmd.code !== ResponseCode.SUCCESS || cmd.body === null) {
    error(`watch answered code ${cmd.code}: ${cmd.remark ?? ''}`);
    return;
  }
  const body = decodeWatchTopicRouteResponseBody(cmd.body);
  c.epoch = cmd.extFields?.['epoch'] ?? c.epoch;
  for (const r of body.routes) c.versions.set(r.topic, r.version);
  for (const g of body.gone) c.versions.set(g.topic, g.version);
  const answered = body.routes.length + body.gone.length;
  if (phase === 'setup') {
    if (answered !== c.topics.length || body.gone.length > 0) {
      error(`first answer carried ${answered} routes and ${body.gone.length} gone`);
    }
    if (--awaiting === 0) onAllAnswered?.();
    return;
  }
  if (answered === 0) {
    // The hold ran out (or was replaced): hold again.
    c.socket.write(watchFrame(c, cfg.holdMillis));
    return;
  }
  if (phase !== 'armed' || c.isWoken) {
    const what = `answer with ${answered} topics (${body.routes.map((r) => r.topic).join(',')}; ${body.gone.length} gone) in phase ${phase}${c.isWoken ? ', already woken' : ''}`;
    error(what);
    if (outsideWave.length < 10) outsideWave.push(what);
    // Between waves nothing holds this watcher any more: hold again (its versions are updated
    // above), or the next wave could never wake it and would wait for its deadline.
    if (phase !== 'armed') c.socket.write(watchFrame(c, cfg.holdMillis));
    return;
  }
  const at = now();
  c.isWoken = true;
  if (c.moverTopics.length === 0) error('an unaffected watch was woken');
  const topics = body.routes.map((r) => r.topic).sort();
  if (body.gone.length > 0 || topics.join() !== c.moverTopics.join()) {
    error(
      `woken with ${topics.join(',')} (+${body.gone.length} gone), expected ${c.moverTopics.join(',')}`,
    );
  }
  for (const r of body.routes) {
    const hasMover = r.route.brokerDatas.some((b) => b.brokerName === cfg.moverBroker);
    if (hasMover !== expectMover) error(`${r.topic}: mover ${hasMover ? 'present' : 'absent'}`);
  }
  times.push(at);
  if (times.length === affected) {
    phase = 'holding';
    const cpu = process.cpuUsage(armedCpu);
    send({ type: 'woken', times, errors, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
}

function connect(c: Omit<Conn, 'socket' | 'decoder'>): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: cfg.port, noDelay: true });
    const conn: Conn = { ...c, socket, decoder: new FrameDecoder() };
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      for (const f of conn.decoder.push(chunk)) onFrame(conn, decodeFrame(f));
    });
  });
}

/** Waits until `count` answers were counted down by onFrame. */
function answers(count: number, write: () => void): Promise<void> {
  return new Promise((resolve) => {
    awaiting = count;
    onAllAnswered = resolve;
    write();
    if (count === 0) resolve();
  });
}

async function start(config: WatchChildConfig): Promise<void> {
  cfg = config;
  const rnd = lcg(20261123);
  const moverSet = new Set(cfg.topics.slice(0, cfg.moverTopics));
  const specs: Omit<Conn, 'socket' | 'decoder'>[] = [];
  for (let i = 0; i < cfg.connections; i++) {
    const chosen = new Set<string>();
    while (chosen.size < cfg.topicsPerWatch) {
      chosen.add(cfg.topics[Math.floor(rnd() * cfg.topics.length)]!);
    }
    const topics = [...chosen].sort();
    specs.push({
      topics,
      moverTopics: topics.filter((t) => moverSet.has(t)),
      versions: new Map(),
      epoch: undefined,
      watchOpaque: -1,
      pingOpaque: -1,
      isWoken: false,
    });
  }
  // In batches: the listen backlog is finite.
  for (let i = 0; i < specs.length; i += 200) {
    conns.push(...(await Promise.all(specs.slice(i, i + 200).map(connect))));
  }
  affected = conns.filter((c) => c.moverTopics.length > 0).length;
  await answers(conns.length, () => {
    for (const c of conns) c.socket.write(watchFrame(c, 0));
  });
  phase = 'holding';
  await hold(conns);
}

function hold(list: Conn[]): Promise<void> {
  return answers(list.length, () => {
    for (const c of list) {
      c.isWoken = false;
      c.socket.write(Buffer.concat([watchFrame(c, cfg.holdMillis), pingFrame(c)]));
    }
  });
}

process.on('message', (m: ToWatchChild) => {
  const run = async (): Promise<void> => {
    switch (m.type) {
      case 'start':
        await start(m.config);
        send({ type: 'ready', affected });
        return;
      case 'arm':
        expectMover = m.expectMover;
        times = [];
        errors = [];
        phase = 'armed';
        armedCpu = process.cpuUsage();
        send({ type: 'armed' });
        return;
      case 'resubscribe':
        await hold(conns.filter((c) => c.isWoken));
        send({ type: 'ready', affected });
        return;
      case 'status': {
        // What the harness reports when a wave never completes.
        const notWoken = conns.filter((c) => c.moverTopics.length > 0 && !c.isWoken);
        send({
          type: 'status',
          text:
            `phase ${phase}, ${times.length} of ${affected} woken; ${notWoken.length} affected not woken ` +
            `(first: topics ${notWoken[0]?.moverTopics.join(',') ?? '-'}, watch opaque ${notWoken[0]?.watchOpaque ?? '-'}); ` +
            `errors this wave: ${errors.join(' | ') || 'none'}; answers outside a wave this run: ${outsideWave.join(' | ') || 'none'}`,
        });
        return;
      }
      case 'stop':
        for (const c of conns) c.socket.destroy();
        process.disconnect();
        return;
    }
  };
  run().catch((err: unknown) => {
    send({
      type: 'fatal',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  });
});
