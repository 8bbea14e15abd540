/**
 * Replays every request captured from the real RocketMQ 5.3.3 NameServer
 * (fixtures/rocketmq-5.3.3/recordings/*.jsonl at the repository root) through fresh nodes, one
 * per captured NameServer, and compares each of our responses with the one Java sent, byte
 * for byte. Runs under `compatibilityLine=5.x`, the default, in each shape of replay-shapes.ts:
 * a single process, and with serving workers (writes run by a RegistryOwner, reads answered from
 * a Replica of its tables).
 *
 * The capture used five NameServers (A … E), each started empty with its own configuration; the
 * recordings of one NameServer are merged by frame timestamp (an answered request at its
 * response's position: Java processes requests on a thread pool and writes the response when
 * processing ends), ties broken by file name and `seq`. A recorded `close` closes the connection,
 * as the transport does (RouteInfoManager.onConnectionClosed), and the expiry scan runs every
 * 5 s of recorded time, as Java's does. Connection ids: one per (recording, conn).
 *
 * Normalisations (the complete list):
 *  N1 machine paths: the NameServers ran with rocketmqHome, kvConfigPath and configStorePath
 *     under /opt/rocketmq (the capture rewrote its run folder to that, see the capture notes); the
 *     replay configures the same values, so GET_NAMESRV_CONFIG is compared byte for byte too.
 *  N2 opaque of NOTIFY_MIN_BROKER_ID_CHANGE: a request the NameServer sends carries the sender's
 *     own request counter (Java's was at 20 and 37); ours is compared with that field set to the
 *     recorded value. Everything else of the frame is compared byte for byte.
 *  N3 timestamps: the clock follows the recorded frame times; nothing in a response carries the
 *     NameServer's own time, so no response field is rewritten.
 *  N4 a REGISTER_BROKER body that does not parse (register-broker-compressed-5x: a 5.3.3 broker
 *     with compressedRegister=true deflates its body but sends compressed=false): both answer
 *     SYSTEM_ERROR, Java with the text of the NullPointerException it ran into, we with the
 *     decoder's message saying why. The expected frame is Java's with our remark substituted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeCommand, isOneway, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { FakeClock } from './handlers-harness.js';
import { REPLAY_SHAPES, startReplayNode } from './replay-shapes.js';
import type { ReplayShape } from './replay-shapes.js';

const RECORDINGS = fileURLToPath(
  new URL('../../../fixtures/rocketmq-5.3.3/recordings/', import.meta.url),
);

/** Java's expiry scan period (NamesrvConfig.scanNotActiveBrokerInterval default). */
const SCAN_INTERVAL_MS = 5000;

/** The paths every captured NameServer was configured with (N1). */
const PATHS = {
  rocketmqHome: '/opt/rocketmq',
  kvConfigPath: '/opt/rocketmq/store/kvConfig.json',
  configStorePath: '/opt/rocketmq/conf/namesrv.conf',
} as const;

interface NameServerRun {
  name: string;
  /** Recording files of this NameServer. */
  files: (file: string) => boolean;
  listenPort: number;
  supportActingMaster: boolean;
  notifyMinBrokerIdChanged: boolean;
}

/** The five captured NameServers and their `namesrv.conf` (capture notes, "How they were captured"). */
const RUNS: NameServerRun[] = [
  {
    name: 'A',
    files: (f) => /^s[145]-/.test(f),
    listenPort: 29486,
    supportActingMaster: false,
    notifyMinBrokerIdChanged: false,
  },
  {
    name: 'B',
    files: (f) => f.startsWith('s2-'),
    listenPort: 25995,
    supportActingMaster: true,
    notifyMinBrokerIdChanged: false,
  },
  {
    name: 'C',
    files: (f) => f.startsWith('s3-'),
    listenPort: 24035,
    supportActingMaster: false,
    notifyMinBrokerIdChanged: false,
  },
  {
    name: 'D',
    files: (f) => f.startsWith('s6-'),
    listenPort: 28885,
    supportActingMaster: false,
    notifyMinBrokerIdChanged: false,
  },
  {
    name: 'E',
    files: (f) => f.startsWith('s2b-'),
    listenPort: 31999,
    supportActingMaster: true,
    notifyMinBrokerIdChanged: true,
  },
];

/** Recordings of what the NameServer itself sent to a broker (it is the client there). */
const NAMESRV_TO_BROKER = new Set(['s2b-namesrv-to-slave.jsonl']);

interface Line {
  conn: number;
  seq: number;
  ts: string;
  dir?: 'c2s' | 's2c';
  hex?: string;
  event?: string;
}

interface Step {
  file: string;
  line: Line;
  time: number;
}

function loadSteps(run: NameServerRun): Step[] {
  const steps: Step[] = [];
  for (const file of readdirSync(RECORDINGS).filter((f) => f.endsWith('.jsonl') && run.files(f))) {
    for (const text of readFileSync(RECORDINGS + file, 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      const line = JSON.parse(text) as Line;
      steps.push({ file, line, time: Date.parse(line.ts) });
    }
  }
  return steps;
}

/** The whole frame hex → the command (without the 4-byte length prefix). */
function decodeHex(hex: string): RemotingCommand {
  return decodeFrame(Buffer.from(hex, 'hex').subarray(4));
}

/** Each client request → the NameServer's response to it (same conn and opaque), or null. */
function javaResponses(steps: readonly Step[]): Map<Step, Step | null> {
  const out = new Map<Step, Step | null>();
  const byFile = new Map<string, Step[]>();
  for (const s of steps) {
    if (NAMESRV_TO_BROKER.has(s.file)) continue;
    let list = byFile.get(s.file);
    if (list === undefined) byFile.set(s.file, (list = []));
    list.push(s);
  }
  for (const list of byFile.values()) {
    list.sort((a, b) => a.line.seq - b.line.seq);
    list.forEach((s, i) => {
      if (s.line.dir !== 'c2s' || s.line.hex === undefined) return;
      const req = decodeHex(s.line.hex);
      const match = list.slice(i + 1).find((r) => {
        if (r.line.dir !== 's2c' || r.line.conn !== s.line.conn || r.line.hex === undefined)
          return false;
        return decodeHex(r.line.hex).opaque === req.opaque;
      });
      out.set(s, match ?? null);
    });
  }
  return out;
}

interface Compared {
  where: string;
  expected: string;
  actual: string;
}

interface RunResult {
  compared: Compared[];
  /** N4: undecodable registrations, with our remark. */
  undecodable: (Compared & { remark: string })[];
  oneway: number;
  /** NOTIFY_MIN_BROKER_ID_CHANGE: what Java sent and what we sent, in order. */
  notifications: { java: Compared[]; ours: { brokerAddr: string; hex: string }[] };
}

async function replay(run: NameServerRun, shape: ReplayShape): Promise<RunResult> {
  const all = loadSteps(run);
  const responses = javaResponses(all);
  const at = (s: Step): Step => responses.get(s) ?? s;
  const steps = [...all].sort((a, b) => {
    const x = at(a);
    const y = at(b);
    return (
      x.time - y.time ||
      x.file.localeCompare(y.file) ||
      x.line.seq - y.line.seq ||
      a.line.seq - b.line.seq
    );
  });
  const clock = new FakeClock(steps[0]!.time);
  const sent: { brokerAddr: string; hex: string }[] = [];
  const node = await startReplayNode(shape, {
    clock,
    config: {
      ...PATHS,
      listenPort: run.listenPort,
      supportActingMaster: run.supportActingMaster,
      notifyMinBrokerIdChanged: run.notifyMinBrokerIdChanged,
    },
    notifyBroker: (brokerAddr, command) => {
      sent.push({ brokerAddr, hex: encodeCommand(command).toString('hex') });
    },
  });
  const connIds = new Map<string, number>();
  const connId = (s: Step): number => {
    const key = `${s.file}#${s.line.conn}`;
    let id = connIds.get(key);
    if (id === undefined) connIds.set(key, (id = connIds.size + 1));
    return id;
  };

  const result: RunResult = {
    compared: [],
    undecodable: [],
    oneway: 0,
    notifications: { java: [], ours: sent },
  };
  let nextScan = steps[0]!.time + SCAN_INTERVAL_MS;
  for (const s of steps) {
    while (nextScan <= s.time) {
      clock.t = nextScan;
      await node.scanNotActiveBroker();
      nextScan += SCAN_INTERVAL_MS;
    }
    clock.t = s.time;
    if (NAMESRV_TO_BROKER.has(s.file)) {
      if (s.line.dir === 'c2s' && s.line.hex !== undefined) {
        result.notifications.java.push({
          where: `${s.file} seq ${s.line.seq}`,
          expected: s.line.hex,
          actual: '',
        });
      }
      continue;
    }
    if (s.line.event === 'close') {
      await node.connectionClosed(connId(s));
      continue;
    }
    if (s.line.dir !== 'c2s' || !responses.has(s)) continue;
    const req = decodeHex(s.line.hex!);
    const frame = await node.answer(req, connId(s));
    const ours = frame === null ? null : decodeFrame(frame.subarray(4));
    const where = `${run.name}: ${s.file} seq ${s.line.seq} (code ${req.code})`;
    const javaStep = responses.get(s) ?? null;
    if (javaStep === null) {
      expect(isOneway(req), `${where}: Java sent no response to a two-way request`).toBe(true);
      expect(ours, `${where}: one-way request answered`).toBeNull();
      result.oneway++;
      continue;
    }
    expect(ours, `${where}: no response`).not.toBeNull();
    const java = decodeHex(javaStep.line.hex!);
    if (
      req.code === 103 &&
      java.code === ResponseCode.SYSTEM_ERROR &&
      java.remark?.startsWith('java.lang.NullPointerException') === true
    ) {
      result.undecodable.push({
        where,
        remark: ours!.remark ?? '',
        expected: encodeCommand({ ...java, remark: ours!.remark }).toString('hex'),
        actual: frame!.toString('hex'),
      });
      continue;
    }
    result.compared.push({
      where,
      expected: javaStep.line.hex!,
      actual: frame!.toString('hex'),
    });
  }
  await node.close();
  // N2: our notifications with Java's opaque, in the order both were sent.
  result.notifications.java.forEach((n, i) => {
    const mine = sent[i];
    if (mine === undefined) return;
    const cmd = decodeHex(mine.hex);
    cmd.opaque = decodeHex(n.expected).opaque;
    n.actual = encodeCommand(cmd).toString('hex');
  });
  return result;
}

const replays = new Map<ReplayShape, Map<string, RunResult>>();
for (const shape of REPLAY_SHAPES) {
  const results = new Map<string, RunResult>();
  for (const run of RUNS) results.set(run.name, await replay(run, shape));
  replays.set(shape, results);
}

/** Readable form of a JSON-header frame for failure messages. */
function show(hex: string): string {
  const buf = Buffer.from(hex, 'hex');
  const headerLength = buf.readUInt32BE(4) & 0xffffff;
  const body = buf.subarray(8 + headerLength);
  return `${buf.toString('utf8', 8, 8 + headerLength)} | body ${body.length === 0 ? '(none)' : body.toString('utf8')}`;
}

describe.each(REPLAY_SHAPES)(
  'replay of the 5.3.3 recordings (compatibilityLine=5.x), %s',
  (shape) => {
    const results = replays.get(shape)!;
    const compared = [...results.values()].flatMap((r) => r.compared);

    it('covers every request that was captured', () => {
      // 459 requests in all: 334 answered and compared byte for byte, 2 undecodable registrations
      // (N4), 93 one-way BROKER_HEARTBEATs (Java answers none, neither do we).
      const counts = Object.fromEntries(
        [...results].map(([name, r]) => [
          name,
          { compared: r.compared.length, undecodable: r.undecodable.length, oneway: r.oneway },
        ]),
      );
      expect(counts).toEqual({
        A: { compared: 118, undecodable: 0, oneway: 0 },
        B: { compared: 90, undecodable: 0, oneway: 70 },
        C: { compared: 85, undecodable: 2, oneway: 0 },
        D: { compared: 11, undecodable: 0, oneway: 0 },
        E: { compared: 30, undecodable: 0, oneway: 23 },
      });
    });

    it.each(compared.map((c) => [c.where, c] as const))(
      '%s answers byte-equal to Java',
      (_where, c) => {
        if (c.actual !== c.expected) expect(show(c.actual)).toBe(show(c.expected));
        expect(c.actual).toBe(c.expected);
      },
    );

    it('N4: a registration body that does not parse gets SYSTEM_ERROR saying why', () => {
      const undecodable = results.get('C')!.undecodable;
      expect(undecodable).toHaveLength(2);
      for (const c of undecodable) {
        expect(c.remark).toMatch(/^BodyDecodeError: RegisterBrokerBody: invalid JSON at offset 0/);
        expect(c.actual, c.where).toBe(c.expected);
      }
    });

    it('NOTIFY_MIN_BROKER_ID_CHANGE: the same two notifications as Java, to the same broker (N2)', () => {
      const { java, ours } = results.get('E')!.notifications;
      expect(java).toHaveLength(2);
      // Java sent both to the slave's advertised address (its recorder listened there).
      expect(ours.map((n) => n.brokerAddr)).toEqual(['127.0.0.2:30740', '127.0.0.2:30740']);
      for (const n of java) {
        if (n.actual !== n.expected) expect(show(n.actual)).toBe(show(n.expected));
        expect(n.actual, n.where).toBe(n.expected);
      }
      // The other NameServers had notifyMinBrokerIdChanged=false: nothing was sent.
      for (const name of ['A', 'B', 'C', 'D']) {
        expect(results.get(name)!.notifications.ours, name).toEqual([]);
      }
    });
  },
);
