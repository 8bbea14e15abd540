/**
 * Issue 16 over TCP, against a whole node in this process (servingWorkers = 1):
 *  1. a peer registers 40,000 broker names, each in its own cluster, without bodies, on one
 *     connection, then closes it (or lets them expire): route lookups on another connection go on
 *     being answered while the node removes them;
 *  3. a zlib bomb (254 KiB inflating to 255 MiB) sent 3 times as REGISTER_BROKER: each is refused
 *     at maxInflatedRegisterBodyBytes (64 MiB) without being inflated whole, while lookups on
 *     another connection go on being answered;
 *  5. an UNREGISTER_BROKER received before a registration the owner applied first is ignored
 *     (apache/rocketmq#11043): the transport's arrival time reaches the guard;
 *  6. a flood of undecodable bodies and bad headers: every one is answered, the connection stays
 *     up, and the node logs no error line and no stack (a client must not be able to flood the
 *     log, nor fill it with stack traces).
 * The node's own work for 1 is bounded in hostile-registry.test.ts (CPU time per slice).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createDeflate, deflateSync } from 'node:zlib';
import {
  bodyCrc32,
  createRequest,
  encodeCommand,
  RequestCode,
  ResponseCode,
  Version,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { loadConfig } from '../src/config/index.js';
import { createLogger, createSilentLogger } from '../src/logging.js';
import type { Logger } from '../src/logging.js';
import { NameServer } from '../src/name-server.js';
import { registerRequest } from './handlers-harness.js';
import { bodylessRegisterFrame, brokerIdentity, SettableClock } from './hostile-helpers.js';
import { sumSeries } from './security/secure-node.js';
import { RawClient, waitFor } from './transport-helpers.js';

let dir = '';
let server: NameServer | null = null;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
  server = null;
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = '';
});

async function startNode(
  argv: string[],
  options: { logger?: Logger; clock?: SettableClock } = {},
): Promise<number> {
  dir = mkdtempSync(join(tmpdir(), 'ns-hostile-'));
  const config = loadConfig({
    argv: [
      '--bindAddress=127.0.0.1',
      '--listenPort=0',
      '--httpPort=-1',
      '--servingWorkers=1',
      ...argv,
    ],
    env: {},
    readFile: (p) => readFileSync(p, 'utf8'),
    homeDir: dir,
  }).config;
  server = new NameServer({
    config,
    defaultMetrics: false,
    logger: options.logger ?? createSilentLogger(),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const { port } = await server.start();
  return port;
}

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

let opaque = 1;

function routeQuery(topic: string): RemotingCommand {
  return createRequest({
    code: RequestCode.GET_ROUTEINFO_BY_TOPIC,
    opaque: opaque++,
    extFields: { topic },
  });
}

// ---------------------------------------------------------------------------------------------
// Attack 1

const BROKER_NAMES = 40_000;
const KEEPER_TOPIC = 'hostile-keeper-topic';
/**
 * What a client may wait for one lookup while the node removes 40,000 broker names: the Java
 * client's default call timeout (3 s). Idle it is milliseconds; removing them in one go held the
 * loop 17.7 s. (1 s was once the bound: one stall of the test process on a loaded 2-core CI
 * machine, or a major GC of its 40,000-broker heap, could pass it.)
 */
const LOOKUP_BOUND_MS = 3000;

/** Registers the keeper (a real broker with a topic) and 40,000 bodyless names on `attacker`. */
async function setUpFlood(
  port: number,
  attacker: RawClient,
  heartbeatTimeoutMillis?: number,
): Promise<void> {
  const keeper = await connect(port);
  const res = await keeper.request(
    registerRequest({
      cluster: 'KeeperCluster',
      brokerName: 'keeper',
      brokerAddr: '10.200.0.1:10911',
      topics: [{ name: KEEPER_TOPIC }, { name: `${KEEPER_TOPIC}-2` }],
      extraExt: { heartbeatTimeoutMillis: '600000' },
    }),
  );
  expect(res.code).toBe(ResponseCode.SUCCESS);
  // All frames in one go, as an attacker would: the node reads them at its own pace.
  const frames: Buffer[] = [];
  for (let i = 0; i < BROKER_NAMES; i++) {
    frames.push(bodylessRegisterFrame('flood', i, 1_000_000 + i, heartbeatTimeoutMillis));
  }
  attacker.send(Buffer.concat(frames));
  // 6 s here idle, 2 min on an overloaded CI machine: what would show a hang is the answers
  // stopping, not how long they take.
  let answered = 0;
  let progressAt = Date.now();
  while (attacker.received.length < BROKER_NAMES) {
    if (attacker.received.length > answered) {
      answered = attacker.received.length;
      progressAt = Date.now();
    } else if (Date.now() - progressAt > 30_000) {
      throw new Error(`registrations answered: ${answered} of ${BROKER_NAMES}, none for 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(attacker.received.every((r) => r.code === ResponseCode.SUCCESS)).toBe(true);
  expect(server!.routeInfoManager.getCounts()).toMatchObject({
    clusters: BROKER_NAMES + 1,
    brokerNames: BROKER_NAMES + 1,
    brokers: BROKER_NAMES + 1,
  });
}

interface LookupLog {
  /** Latency of every lookup, ms. */
  latencies: number[];
  /** Lookups answered while the node held some but not all of the flood's brokers. */
  duringRemoval: number;
}

/**
 * Looks the keeper's route up back to back on `reader` until `done()` holds (checked after each
 * answer), then `extra` more times. Every answer must be the route with the keeper in it.
 */
async function lookUpUntil(reader: RawClient, done: () => boolean, extra = 3): Promise<LookupLog> {
  const log: LookupLog = { latencies: [], duringRemoval: 0 };
  let after = 0;
  while (after < extra) {
    const t0 = performance.now();
    const res = await reader.request(routeQuery(KEEPER_TOPIC), 120_000);
    log.latencies.push(performance.now() - t0);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.body?.toString('utf8')).toContain('"brokerName":"keeper"');
    const brokers = server!.routeInfoManager.getCounts().brokers;
    if (brokers > 1 && brokers < BROKER_NAMES + 1) log.duringRemoval++;
    if (done()) after++;
  }
  return log;
}

describe('attack 1 over TCP: 40,000 bodyless broker names on one connection', () => {
  it(
    'the connection closes: lookups on another connection are answered all along the removal',
    { timeout: 240_000 },
    async () => {
      // At info, as a node runs: the removal must not write a line per broker.
      let lines = 0;
      const logger = createLogger({
        level: 'info',
        destination: {
          write() {
            lines++;
          },
        },
      });
      const port = await startNode([], { logger });
      const attacker = await connect(port);
      // Registering 40,000 brokers can take past the default 120 s expiry on a loaded machine;
      // what this test removes them by is the connection close, never the clock.
      await setUpFlood(port, attacker, 600_000);
      const reader = await connect(port);
      // Warm: the route is cached and the reader's first answer is in.
      await reader.request(routeQuery(KEEPER_TOPIC));

      const linesBefore = lines;
      const lookups = lookUpUntil(reader, () => server!.routeInfoManager.getCounts().brokers === 1);
      attacker.destroy();
      const log = await lookups;
      const removalLines = lines - linesBefore;

      expect(server!.routeInfoManager.getCounts()).toMatchObject({
        clusters: 1,
        brokerNames: 1,
        brokers: 1,
      });
      // Reads interleave with the removal (it runs in slices), and none waits long.
      expect(log.duringRemoval).toBeGreaterThanOrEqual(3);
      expect(Math.max(...log.latencies)).toBeLessThanOrEqual(LOOKUP_BOUND_MS);
      // A few lines per slice, not three per broker (120,000 lines and most of the work).
      expect(removalLines).toBeGreaterThan(0);
      expect(removalLines).toBeLessThan(BROKER_NAMES / 20);
    },
  );

  it(
    'the 40,000 expire: lookups are answered all along, and the node then closes the emptied connection',
    { timeout: 240_000 },
    async () => {
      const clock = new SettableClock(Date.now());
      const port = await startNode(['--scanNotActiveBrokerInterval=100'], { clock });
      const attacker = await connect(port);
      await setUpFlood(port, attacker, 30_000);
      const reader = await connect(port);
      await reader.request(routeQuery(KEEPER_TOPIC));

      const lookups = lookUpUntil(reader, () => server!.routeInfoManager.getCounts().brokers === 1);
      clock.t += 60_000;
      const log = await lookups;

      expect(server!.routeInfoManager.getCounts()).toMatchObject({ brokerNames: 1, brokers: 1 });
      expect(log.duringRemoval).toBeGreaterThanOrEqual(3);
      expect(Math.max(...log.latencies)).toBeLessThanOrEqual(LOOKUP_BOUND_MS);
      // Java closes an expired broker's channel; the flood's connection carries nothing now.
      await attacker.closed;
      expect(reader.isClosed).toBe(false);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Attack 3

/** The bomb: 255 MiB of zeros, deflated (about 254 KiB on the wire). */
const BOMB_INFLATED_BYTES = 255 * 2 ** 20;
const BOMBS = 3;
/**
 * The longest event-loop gap while the bombs are refused; wide for 2 shared CI cores (another
 * process may keep one busy). Measured on such a machine (load ~13): 10–140 ms. With the inflate
 * limit lifted (each bomb inflated whole, in the decode thread): 830 ms.
 */
const BOMB_LOOP_GAP_BOUND_MS = 500;
/**
 * The test process's RSS growth (the node and its decode thread live in it). Measured: 70–140
 * MiB; with the limit lifted, 535 MiB (one bomb inflated whole is 255 MiB).
 */
const BOMB_RSS_BOUND = 512 * 2 ** 20;

/**
 * `inflated` zero bytes, deflated at level 9, fed 1 MiB at a time so that building the bomb does
 * not itself raise this process's RSS (which the test bounds).
 */
async function zeroBomb(inflated: number): Promise<Buffer> {
  const zeros = Buffer.alloc(2 ** 20);
  const parts: Buffer[] = [];
  await pipeline(
    (function* () {
      for (let n = 0; n < inflated; n += zeros.length) yield zeros;
    })(),
    createDeflate({ level: 9 }),
    async (deflated: AsyncIterable<Buffer>) => {
      for await (const part of deflated) parts.push(part);
    },
  );
  return Buffer.concat(parts);
}

describe('attack 3 over TCP: a zlib bomb inflating to 255 MiB, sent 3 times', () => {
  it(
    'each is refused at maxInflatedRegisterBodyBytes, and lookups are answered meanwhile',
    { timeout: 60_000 },
    async () => {
      const port = await startNode([]);
      const keeper = await connect(port);
      const res = await keeper.request(
        registerRequest({
          cluster: 'KeeperCluster',
          brokerName: 'keeper',
          brokerAddr: '10.200.0.1:10911',
          topics: [{ name: KEEPER_TOPIC }, { name: `${KEEPER_TOPIC}-2` }],
        }),
      );
      expect(res.code).toBe(ResponseCode.SUCCESS);
      const reader = await connect(port);
      await reader.request(routeQuery(KEEPER_TOPIC));

      const bomb = await zeroBomb(BOMB_INFLATED_BYTES);
      expect(bomb.length).toBeLessThan(300 * 1024);
      const crc = String(bodyCrc32(bomb));
      const attacker = await connect(port);

      /** Sends the bombs one after another while looking up; what the node did meanwhile. */
      const bombRound = async (): Promise<{ longestGap: number; rssGrowth: number }> => {
        // The node runs in this process (servingWorkers = 1, its decode thread included), so
        // this process's RSS and event loop are the node's.
        const rss0 = process.memoryUsage().rss;
        let rssPeak = rss0;
        const sampler = setInterval(() => {
          rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        }, 5);
        let last = performance.now();
        let longestGap = 0;
        let ticking = true;
        const tick = (): void => {
          if (!ticking) return;
          const t = performance.now();
          longestGap = Math.max(longestGap, t - last);
          last = t;
          setImmediate(tick);
        };
        setImmediate(tick);

        let bombsDone = false;
        let lookups = 0;
        const reads = (async () => {
          while (!bombsDone) {
            const r = await reader.request(routeQuery(KEEPER_TOPIC), 10_000);
            expect(r.code).toBe(ResponseCode.SUCCESS);
            expect(r.body?.toString('utf8')).toContain('"brokerName":"keeper"');
            lookups++;
          }
        })();
        const answers: RemotingCommand[] = [];
        try {
          for (let i = 0; i < BOMBS; i++) {
            answers.push(
              await attacker.request(
                createRequest({
                  code: RequestCode.REGISTER_BROKER,
                  opaque: opaque++,
                  version: Version.V5_0_0,
                  extFields: {
                    ...brokerIdentity('bomb', i),
                    haServerAddr: '',
                    brokerId: '0',
                    compressed: 'true',
                    bodyCrc32: crc,
                  },
                  body: bomb,
                }),
                30_000,
              ),
            );
          }
        } finally {
          bombsDone = true;
          await reads;
          ticking = false;
          clearInterval(sampler);
        }
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

        for (const answer of answers) {
          expect(answer.code).toBe(ResponseCode.SYSTEM_ERROR);
          expect(answer.remark).toBe(
            'InflatedBodyTooLargeError: compressed register body inflates to more than 67108864 bytes (maxInflatedRegisterBodyBytes)',
          );
        }
        expect(attacker.isClosed).toBe(false);
        expect(server!.routeInfoManager.getCounts().brokers).toBe(1);
        // Lookups went on while the bombs were refused.
        expect(lookups).toBeGreaterThanOrEqual(BOMBS);
        return { longestGap, rssGrowth: rssPeak - rss0 };
      };

      // The loop never stalled: the gap is wall time, so one descheduling of this process on a
      // shared machine can pass the bound: a second round, and the better one counts (lifting
      // the limit stalls every round).
      const rounds = [await bombRound()];
      if (rounds[0]!.longestGap >= BOMB_LOOP_GAP_BOUND_MS) rounds.push(await bombRound());
      const gaps = rounds.map((r) => r.longestGap.toFixed(0));
      expect(
        Math.min(...rounds.map((r) => r.longestGap)),
        `gaps ${gaps.join(', ')} ms`,
      ).toBeLessThan(BOMB_LOOP_GAP_BOUND_MS);
      for (const round of rounds) expect(round.rssGrowth).toBeLessThan(BOMB_RSS_BOUND);
      expect(
        sumSeries((await server!.scrapeMetrics()).body, 'namesrv_limit_enforced_total', {
          limit: 'inflated_register_body',
        }),
      ).toBe(BOMBS * rounds.length);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Attack 5

describe('attack 5 over TCP: a stale UNREGISTER_BROKER (apache/rocketmq#11043)', () => {
  function unregister(): RemotingCommand {
    const id = brokerIdentity('stale', 1);
    return createRequest({
      code: RequestCode.UNREGISTER_BROKER,
      opaque: opaque++,
      extFields: { ...id, brokerId: '0' },
    });
  }

  it('received before the registration the owner applied first: ignored; received after it: applied', async () => {
    // Same connection throughout (the guard that compares connections cannot help here). One
    // connection's requests reach the owner in order, so the race is set up with the clock that
    // both the transport (arrival time) and the owner (registration time) read: the unregister
    // arrives at t = 1,000, the registration is applied at t = 2,000, then the unregister is
    // processed — exactly what a write queued behind the registration experiences.
    const clock = new SettableClock(2_000);
    const port = await startNode([], { clock });
    const broker = await connect(port);
    const id = brokerIdentity('stale', 1);
    const reg = await broker.request(
      registerRequest({
        cluster: id.clusterName,
        brokerName: id.brokerName,
        brokerAddr: id.brokerAddr,
        topics: [{ name: 'stale-topic' }, { name: 'stale-topic-2' }],
      }),
    );
    expect(reg.code).toBe(ResponseCode.SUCCESS);

    clock.t = 1_000;
    const stale = await broker.request(unregister());
    // Java 4.9 answers SUCCESS either way; the broker stays.
    expect(stale.code).toBe(ResponseCode.SUCCESS);
    expect(server!.routeInfoManager.getCounts().brokers).toBe(1);
    const reader = await connect(port);
    expect((await reader.request(routeQuery('stale-topic'))).code).toBe(ResponseCode.SUCCESS);

    clock.t = 3_000;
    expect((await broker.request(unregister())).code).toBe(ResponseCode.SUCCESS);
    expect(server!.routeInfoManager.getCounts().brokers).toBe(0);
    expect((await reader.request(routeQuery('stale-topic'))).code).toBe(
      ResponseCode.TOPIC_NOT_EXIST,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Attack 6

interface LogLine {
  level: number;
  msg?: string;
  err?: unknown;
  stack?: unknown;
  [key: string]: unknown;
}

/** A debug-level logger whose lines are kept (parsed), so the test sees what `info` would hide. */
function capture(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  });
  return { logger, lines };
}

function garbage(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Request `i` of the flood: an undecodable body or a bad header, for every code that has one. */
function badRequest(i: number): RemotingCommand {
  const id = brokerIdentity('bad', i);
  const broker = {
    ...id,
    haServerAddr: '',
    brokerId: '0',
  };
  const junk = garbage(64 + (i % 200), i + 1);
  const json = Buffer.from(`{"topicConfigSerializeWrapper":{"topicConfigTable":{"t":${i}`);
  const register = (body: Buffer, compressed: boolean, version: number): RemotingCommand =>
    createRequest({
      code: RequestCode.REGISTER_BROKER,
      opaque: opaque++,
      version,
      extFields: {
        ...broker,
        compressed: String(compressed),
        bodyCrc32: String(bodyCrc32(body)),
      },
      body,
    });
  switch (i % 9) {
    case 0:
      return register(junk, false, Version.V4_9_7);
    case 1:
      return register(json, false, Version.V4_9_7);
    case 2:
      return register(junk, true, Version.V4_9_7); // not a zlib stream
    case 3:
      return register(deflateSync(junk), true, Version.V5_0_0); // inflates to garbage
    case 4:
      return register(json, false, 20); // pre-3.0.11: a bare wrapper
    case 5:
      return createRequest({
        code: RequestCode.QUERY_DATA_VERSION,
        opaque: opaque++,
        extFields: broker,
        body: json,
      });
    case 6:
      return createRequest({
        code: RequestCode.REGISTER_TOPIC_IN_NAMESRV,
        opaque: opaque++,
        extFields: { topic: `bad-topic-${i}` },
        body: junk,
      });
    case 7:
      // A required header field missing.
      return createRequest({
        code: RequestCode.REGISTER_BROKER,
        opaque: opaque++,
        extFields: { brokerName: id.brokerName },
      });
    default:
      // QUERY_DATA_VERSION without its clusterName (an UNREGISTER_BROKER missing fields is
      // answered SUCCESS on the 5.x line, as Java 5.3.3 only queues it).
      return createRequest({
        code: RequestCode.QUERY_DATA_VERSION,
        opaque: opaque++,
        extFields: { brokerName: id.brokerName, brokerAddr: id.brokerAddr, brokerId: 'x' },
        body: json,
      });
  }
}

const FLOOD = 3_000;

describe('attack 6 over TCP: a flood of undecodable bodies and bad headers', () => {
  it('every request is answered SYSTEM_ERROR without a stack, the connection stays, and nothing is logged above debug', async () => {
    const { logger, lines } = capture();
    const port = await startNode([], { logger });
    const flooder = await connect(port);
    await waitFor('startup logged', () => lines.some((l) => /boot success/.test(l.msg ?? '')));
    // The self-signed certificate is made in the background and announced (at info) when ready,
    // which on a loaded machine can come after "boot success": not part of the flood's noise.
    await waitFor('TLS certificate announced', () =>
      lines.some((l) => /TLS certificate in use/.test(l.msg ?? '')),
    );
    const before = lines.length;

    const frames: Buffer[] = [];
    for (let i = 0; i < FLOOD; i++) frames.push(encodeCommand(badRequest(i)));
    flooder.send(Buffer.concat(frames));
    await waitFor(
      'every bad request answered',
      () => flooder.received.length === FLOOD,
      60_000,
      10,
    );

    expect(flooder.isClosed).toBe(false);
    for (const res of flooder.received) {
      expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(res.remark ?? '').not.toMatch(/\n\s+at /);
    }
    // Nothing the flood changed: no broker, no topic.
    expect(server!.routeInfoManager.getCounts()).toMatchObject({ brokers: 0, topics: 0 });

    // The audit trail (one line per admin write, by design: README "Security") is not noise; the
    // transport says once per connection that it stopped reading a pipeline this deep.
    const flood = lines.slice(before).filter((l) => l['component'] !== 'namesrv.audit');
    const inFlightNotices = flood.filter((l) => /maxInFlightPerConnection/.test(l.msg ?? ''));
    expect(inFlightNotices.length).toBeLessThanOrEqual(1);
    const loud = flood.filter((l) => l.level > 20 && !inFlightNotices.includes(l));
    expect(loud, JSON.stringify(loud.slice(0, 3))).toEqual([]);
    const withStack = flood.filter((l) => JSON.stringify(l).includes('"stack"'));
    expect(withStack, JSON.stringify(withStack.slice(0, 1))).toEqual([]);
    // At most one (debug) line per bad request; the transport may add its own debug lines about
    // pausing a connection that pipelines this much.
    const handlerLines = flood.filter((l) => l['component'] === 'handlers');
    expect(handlerLines.length).toBeGreaterThan(0);
    expect(handlerLines.length).toBeLessThanOrEqual(FLOOD);
  });
});
