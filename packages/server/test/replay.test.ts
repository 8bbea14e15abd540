/**
 * Replays every request captured from the real RocketMQ 4.9.7 NameServer
 * (fixtures/rocketmq-4.9.7/recordings/*.jsonl) through one fresh node, in the
 * order the Java NameServer processed them (frame timestamps across all files — for an answered
 * request, its response's; ties broken by the README's "Order of the run", then by `seq`), and compares each of our responses with the one Java
 * sent — byte for byte, after the normalisations listed below and nothing else.
 *
 * The node is built in each shape of replay-shapes.ts: a single process (one Dispatcher), and
 * with serving workers (writes run by a RegistryOwner, reads answered from a Replica of its
 * tables). Both must give the same answers, Java's.
 *
 * Connection ids: one per (recording, conn). A recorded `close` event closes the connection, as
 * the transport does (RouteInfoManager.onConnectionClosed). The clock is set to each frame's
 * timestamp (no expiry scan runs: the capture lasted ~5 minutes and no broker expired).
 *
 * Normalisations (every one is a deliberate, documented difference):
 *  N1 unknown request code (9999): Java 4.9 sends nothing; we answer REQUEST_CODE_NOT_SUPPORTED
 *     (3) ` request type 9999 not supported` (5.x behaviour, config replyToUnknownRequestCode).
 *  N2 missing required header fields that Java cannot do without (register-broker-empty-ext-fields,
 *     …-rocketmq): Java does not validate, so it answers a SYSTEM_ERROR whose remark is a Java
 *     NullPointerException stack frame. We answer SYSTEM_ERROR
 *     `<HeaderClass>: missing required field "<name>" (expected …)`. The expected frame is Java's
 *     with that code and remark substituted (no extFields, same opaque/flag/version). Where Java
 *     answers without the field (get-route-no-topic-field: TOPIC_NOT_EXIST for the topic "null"),
 *     so do we, byte for byte.
 *  N3 serialize type of exception-made errors: Java 4.9 writes them in JSON even for a ROCKETMQ
 *     request (register-broker-empty-ext-fields-rocketmq); we mirror the request's serialize type.
 *     The expected frame is re-encoded in the request's type.
 *  N4 machine paths: the captured NameServer ran with rocketmqHome=/opt/rocketmq,
 *     kvConfigPath=/home/rocketmq/namesrv/kvConfig.json and
 *     configStorePath=/opt/rocketmq/conf/namesrv.properties (the capture rewrote its own paths to
 *     these); the replay configures the same, so GET_NAMESRV_CONFIG is compared byte for byte.
 *  N5 malformed frames (g-raw-probe malformed-*): not requests at all — the transport closes the
 *     connection (E1's transport tests); skipped here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createResponse,
  decodeFrame,
  encodeCommand,
  isOneway,
  ResponseCode,
  SerializeType,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { RECORDINGS_DIR } from '../../protocol/test/fixtures.js';
import { FakeClock } from './handlers-harness.js';
import { REPLAY_SHAPES, startReplayNode } from './replay-shapes.js';
import type { ReplayShape } from './replay-shapes.js';

/** README "Order of the run": file prefixes in the order the tools ran. */
const RUN_ORDER = ['a-', 'b-', 'c-', 'd', 'g2-', 'e1-', 'e2-', 'f', 'j-', 'h-', 'i-', 'g-'];

interface Line {
  conn: number;
  seq: number;
  ts: string;
  dir?: 'c2s' | 's2c';
  hex?: string;
  event?: string;
  case?: string;
}

interface Step {
  file: string;
  rank: number;
  line: Line;
  time: number;
}

function rankOf(file: string): number {
  // Longest matching prefix wins (g2- before g-, d before nothing).
  let best = -1;
  let bestLen = -1;
  RUN_ORDER.forEach((p, i) => {
    if (file.startsWith(p) && p.length > bestLen) {
      best = i;
      bestLen = p.length;
    }
  });
  return best;
}

function loadSteps(): Step[] {
  const steps: Step[] = [];
  for (const file of readdirSync(RECORDINGS_DIR).filter((f) => f.endsWith('.jsonl'))) {
    const rank = rankOf(file);
    for (const text of readFileSync(join(RECORDINGS_DIR, file), 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      const line = JSON.parse(text) as Line;
      steps.push({ file, rank, line, time: Date.parse(line.ts) });
    }
  }
  steps.sort(
    (a, b) =>
      a.time - b.time || a.rank - b.rank || a.file.localeCompare(b.file) || a.line.seq - b.line.seq,
  );
  return steps;
}

/** The whole frame hex → the command (without the 4-byte length prefix). */
function decodeHex(hex: string): RemotingCommand {
  return decodeFrame(Buffer.from(hex, 'hex').subarray(4));
}

/** The Java response to a request: the next s2c response frame on the same conn with its opaque. */
function javaResponses(steps: Step[]): Map<Step, Step | null> {
  const out = new Map<Step, Step | null>();
  const byFile = new Map<string, Step[]>();
  for (const s of steps) {
    let list = byFile.get(s.file);
    if (list === undefined) byFile.set(s.file, (list = []));
    list.push(s);
  }
  for (const list of byFile.values()) {
    list.sort((a, b) => a.line.seq - b.line.seq);
    list.forEach((s, i) => {
      if (s.line.dir !== 'c2s' || s.line.hex === undefined) return;
      let req: RemotingCommand;
      try {
        req = decodeHex(s.line.hex);
      } catch {
        return; // N5
      }
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

/** g-raw-probe `case` → our remark (fixtures register-broker-empty-*). */
const HEADER_FIELD_CASES: Record<string, string> = {
  'register-broker-empty-ext-fields':
    'RegisterBrokerRequestHeader: missing required field "brokerName" (expected a string)',
  'register-broker-empty-rocketmq':
    'RegisterBrokerRequestHeader: missing required field "brokerName" (expected a string)',
};

interface Outcome {
  where: string;
  code: number;
  expected: string;
  actual: string;
}

async function runReplay(shape: ReplayShape) {
  const all = loadSteps();
  const responses = javaResponses(all);
  // Java handles requests on a thread pool: two requests sent back to back on one connection can
  // be processed in either order (d20-addWritePerm: the route query sent first was answered after
  // the perm change and shows its effect). The response is written when processing ends, so an
  // answered request is replayed at its response's position; the rest at their own.
  const at = (s: Step): Step => responses.get(s) ?? s;
  const steps = [...all].sort((a, b) => {
    const x = at(a);
    const y = at(b);
    return (
      x.time - y.time ||
      x.rank - y.rank ||
      x.file.localeCompare(y.file) ||
      x.line.seq - y.line.seq ||
      a.line.seq - b.line.seq
    );
  });
  const clock = new FakeClock(steps[0]!.time);
  // The 4.9.7 answers are the 4.9 line's (version 407, HashMap/HashSet orders, 4.9 remarks).
  const node = await startReplayNode(shape, {
    clock,
    config: {
      compatibilityLine: '4.9',
      // N4
      rocketmqHome: '/opt/rocketmq',
      kvConfigPath: '/home/rocketmq/namesrv/kvConfig.json',
      configStorePath: '/opt/rocketmq/conf/namesrv.properties',
    },
  });
  const connIds = new Map<string, number>();
  const connId = (s: Step): number => {
    const key = `${s.file}#${s.line.conn}`;
    let id = connIds.get(key);
    if (id === undefined) connIds.set(key, (id = connIds.size + 1));
    return id;
  };

  const compared: Outcome[] = [];
  const special: { where: string; ours: Buffer | null; java: RemotingCommand | null }[] = [];
  let oneway = 0;
  for (const s of steps) {
    clock.t = s.time;
    if (s.line.event === 'close') {
      await node.connectionClosed(connId(s));
      continue;
    }
    if (s.line.dir !== 'c2s' || !responses.has(s)) continue;
    const req = decodeHex(s.line.hex!);
    const ours = await node.answer(req, connId(s));
    const where = `${s.file} seq ${s.line.seq} (code ${req.code}${s.line.case === undefined ? '' : `, ${s.line.case}`})`;
    const javaStep = responses.get(s) ?? null;
    const java = javaStep === null ? null : decodeHex(javaStep.line.hex!);

    if (req.code === 9999 || (s.line.case !== undefined && s.line.case in HEADER_FIELD_CASES)) {
      special.push({ where: s.line.case ?? where, ours, java });
      continue;
    }
    if (java === null) {
      // Java answered nothing: only one-way requests may get here.
      expect(isOneway(req), `${where}: Java sent no response to a two-way request`).toBe(true);
      expect(ours, `${where}: one-way request answered`).toBeNull();
      oneway++;
      continue;
    }
    expect(ours, `${where}: no response`).not.toBeNull();
    compared.push({
      where,
      code: req.code,
      expected: javaStep!.line.hex!,
      actual: ours!.toString('hex'),
    });
  }
  await node.close();
  return { compared, special, oneway };
}

const replays = new Map<ReplayShape, Awaited<ReturnType<typeof runReplay>>>();
for (const shape of REPLAY_SHAPES) replays.set(shape, await runReplay(shape));

/** A frame the node wrote (length prefix included) → the command. */
function decodeSent(frame: Buffer): RemotingCommand {
  return decodeFrame(frame.subarray(4));
}

/** Readable form of a frame for failure messages. */
function show(hex: string): string {
  const cmd = decodeHex(hex);
  const header = Buffer.from(hex, 'hex').subarray(
    8,
    8 + (Buffer.from(hex, 'hex').readUInt32BE(4) & 0xffffff),
  );
  return `${cmd.serializeType === SerializeType.JSON ? header.toString('utf8') : `code ${cmd.code} ext ${JSON.stringify(cmd.extFields)} remark ${cmd.remark}`} | body ${cmd.body?.toString('utf8') ?? '(none)'}`;
}

describe.each(REPLAY_SHAPES)(
  'replay of the 4.9.7 recordings (compatibilityLine=4.9), %s',
  (shape) => {
    const replay = replays.get(shape)!;

    it('covers every request that was captured', () => {
      // 191 requests in the capture, 5 of them malformed frames (N5): 172 compared byte for byte
      // (the 2 config reads and the route query without topic included, N4), 3 handled specially
      // (1 unknown code, 2 registrations without header fields), 11 one-way.
      expect(replay.compared.length).toBe(172);
      expect(replay.special.length).toBe(3);
      expect(replay.oneway).toBe(11);
    });

    it.each(replay.compared.map((c) => [c.where, c] as const))(
      '%s answers byte-equal to Java',
      (_where, c) => {
        if (c.actual !== c.expected) {
          expect(show(c.actual)).toBe(show(c.expected));
        }
        expect(c.actual).toBe(c.expected);
      },
    );

    it('N1: an unknown request code gets REQUEST_CODE_NOT_SUPPORTED (Java 4.9: no response)', () => {
      const s = replay.special.find(
        (x) => x.java === null && x.ours !== null && decodeSent(x.ours).remark?.includes('9999'),
      );
      expect(s).toBeDefined();
      const ours = decodeSent(s!.ours!);
      expect(ours.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
      expect(ours.remark).toBe(' request type 9999 not supported');
    });

    it.each(Object.entries(HEADER_FIELD_CASES))(
      'N2/N3: %s gets SYSTEM_ERROR naming the missing field, in the request serialize type',
      (name, remark) => {
        const s = replay.special.find((x) => x.where === name);
        expect(s, name).toBeDefined();
        const java = s!.java!;
        const ours = decodeSent(s!.ours!);
        // Java's frame with our code and remark substituted, in the request's serialize type.
        const expected = createResponse(
          { ...java, serializeType: ours.serializeType, flag: 0 },
          { code: ResponseCode.SYSTEM_ERROR, remark },
        );
        expect(s!.ours!.toString('hex')).toBe(encodeCommand(expected).toString('hex'));
        if (name.endsWith('-rocketmq')) expect(ours.serializeType).toBe(SerializeType.ROCKETMQ);
      },
    );
  },
);
