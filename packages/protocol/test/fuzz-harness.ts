/**
 * Mutation fuzzer for the frame layer and the body parsers. Deterministic for a seed, so a
 * failure can be replayed: it reports the seed, the iteration and the offending bytes.
 *
 * Inputs: every captured fixture frame, mutated (byte flips, truncation, extension, forged
 * length prefix or header word, splices of two frames) or plain random bytes, fed through a
 * FrameDecoder in random splits. The only acceptable failures are ProtocolError subclasses.
 */
import { deflateSync } from 'node:zlib';
import { decodeFrame, FrameDecoder, isProtocolError } from '@ns/protocol';
import { listFixtures, loadFixture } from './fixtures.js';

export type BodyParser = (body: Buffer, version: number) => unknown;

export interface FuzzResult {
  iterations: number;
  frames: number;
  frameErrors: number;
  bodiesParsed: number;
  bodyErrors: number;
}

export class FuzzFailure extends Error {
  override name = 'FuzzFailure';
}

/** mulberry32: tiny, fast, good enough to drive mutations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function corpus(): Buffer[] {
  const frames: Buffer[] = [];
  for (const name of listFixtures()) {
    const { request, response } = loadFixture(name);
    frames.push(request);
    if (response !== null) frames.push(response);
  }
  return frames;
}

function mutate(base: Buffer, other: Buffer, rnd: () => number): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n);
  const b = Buffer.from(base);
  switch (int(8)) {
    case 0: {
      // flip a few bytes anywhere
      for (let i = int(4) + 1; i > 0; i--) b[int(b.length)] = int(256);
      return b;
    }
    case 1:
      return b.subarray(0, int(b.length));
    case 2:
      return Buffer.concat([b, Buffer.from(Array.from({ length: int(64) }, () => int(256)))]);
    case 3: {
      // forged length prefix (small, huge, negative)
      b.writeInt32BE(
        [int(16), int(0x7fffffff), -int(1000) - 1, b.length - 4 + int(9) - 4][int(4)]!,
        0,
      );
      return b;
    }
    case 4: {
      // forged header word: serialize type and/or header length
      if (b.length >= 8) b.writeUInt32BE(((int(4) << 24) | int(b.length + 50)) >>> 0, 4);
      return b;
    }
    case 5: {
      // mutate inside the header/body only, keeping the framing consistent
      for (let i = int(8) + 1; i > 0; i--) if (b.length > 8) b[8 + int(b.length - 8)] = int(256);
      return b;
    }
    case 6: {
      const cut = int(b.length);
      return Buffer.concat([b.subarray(0, cut), other.subarray(int(other.length))]);
    }
    default:
      return Buffer.from(Array.from({ length: int(96) }, () => int(256)));
  }
}

function check(err: unknown, what: string, seed: number, iteration: number, input: Buffer): void {
  if (!isProtocolError(err)) {
    throw new FuzzFailure(
      `${what} threw an untyped error at seed ${seed} iteration ${iteration}: ${String(err)}\n` +
        `input: ${input.toString('hex')}`,
      { cause: err },
    );
  }
}

/**
 * Lets the test worker's event loop run between stretches of fuzzing: vitest's worker answers
 * its runner within 60 s or the run fails ("Timeout calling onTaskUpdate"), and 100,000
 * iterations in one go passed that on a loaded 2-core machine although every test passed.
 */
const YIELD_EVERY = 1_000;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function runFuzz(options: {
  iterations: number;
  seed: number;
  bodyParsers?: readonly BodyParser[];
}): Promise<FuzzResult> {
  const { iterations, seed } = options;
  const parsers = options.bodyParsers ?? [];
  const rnd = prng(seed);
  const frames = corpus();
  const result: FuzzResult = {
    iterations,
    frames: 0,
    frameErrors: 0,
    bodiesParsed: 0,
    bodyErrors: 0,
  };
  for (let i = 0; i < iterations; i++) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
    const input = mutate(
      frames[Math.floor(rnd() * frames.length)]!,
      frames[Math.floor(rnd() * frames.length)]!,
      rnd,
    );
    const decoder = new FrameDecoder({ maxFrameLength: rnd() < 0.5 ? 16 * 1024 * 1024 : 4096 });
    let o = 0;
    try {
      while (o < input.length) {
        const n = 1 + Math.floor(rnd() * input.length);
        for (const frame of decoder.push(input.subarray(o, o + n))) {
          result.frames++;
          let cmd;
          try {
            cmd = decodeFrame(frame);
          } catch (err) {
            check(err, 'decodeFrame', seed, i, input);
            result.frameErrors++;
            continue;
          }
          if (cmd.body === null || parsers.length === 0) continue;
          // One parser per body, in turn: every parser sees bodies of every kind of frame.
          const parse = parsers[result.frames % parsers.length]!;
          try {
            parse(cmd.body, cmd.version);
            result.bodiesParsed++;
          } catch (err) {
            check(err, 'body parser', seed, i, input);
            result.bodyErrors++;
          }
        }
        o += n;
      }
    } catch (err) {
      if (err instanceof FuzzFailure) throw err;
      check(err, 'FrameDecoder.push', seed, i, input);
      result.frameErrors++;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Body decoders

/** One input in this many is large (LARGE_BYTES): work that grows faster than the input shows. */
const LARGE_EVERY = 1000;
const LARGE_BYTES = 256 * 1024;

/** What `runBodyFuzz` needs of a decoder (see fuzz-body-parsers.ts). */
export interface FuzzedDecoder {
  readonly name: string;
  decode(body: Buffer): unknown;
  reencode?(value: unknown): void;
  readonly seeds: readonly Buffer[];
  readonly deflated?: boolean;
}

export interface DecoderStats {
  /** Inputs fed to this decoder (nine in ten made from its own seeds). */
  inputs: number;
  accepted: number;
  /** Typed (ProtocolError) rejections. */
  rejected: number;
  /** Longest single decode, ms of CPU time (see cpuMs). */
  maxMs: number;
  /** Size of the largest input, bytes. */
  maxInputBytes: number;
}

export interface BodyFuzzResult {
  iterations: number;
  /** Decode calls over all decoders. */
  decodes: number;
  byDecoder: Map<string, DecoderStats>;
}

/** Number-ish tokens that break readers of ints, longs and booleans. */
const NUMBER_TOKENS = [
  '-1',
  '0',
  '-0',
  '2147483648',
  '-2147483649',
  '9223372036854775808',
  '9007199254740993',
  '1e999',
  '-1e999',
  '1.5',
  '0x10',
  'NaN',
  'Infinity',
  '00',
  '',
  'true',
  'null',
  '"7"',
];

/** Structural tokens and strings that JSON, properties and layout readers handle specially. */
const INSERT_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '"',
  '\\',
  '\\u',
  '\\u12',
  '\\ud800',
  '\\u0000',
  '\n',
  '\r\n',
  '=',
  '#',
  ' ',
  '"__proto__"',
  '"constructor":{}',
  'null',
  '{}',
  '[]',
  '\u00e9',
  '\ud83d\ude00',
  '\ufffd',
  '\u0000',
];

/** Values of another JSON type, put where an object, array, string or number was. */
const VALUE_TOKENS = ['null', '0', '-1', '""', '"x"', '[]', '[null]', '{}', 'true', '{"":null}'];

/**
 * The end (exclusive) of the JSON value starting at `start` (an object, array, string or number),
 * by a quick scan that skips strings and counts brackets; -1 when it does not end.
 */
function valueEnd(b: Buffer, start: number): number {
  const first = b[start];
  if (first === 0x22) {
    for (let i = start + 1; i < b.length; i++) {
      if (b[i] === 0x5c) i++;
      else if (b[i] === 0x22) return i + 1;
    }
    return -1;
  }
  if (first !== 0x7b && first !== 0x5b) {
    let i = start;
    while (i < b.length && isNumberChar(b[i]!)) i++;
    return i > start ? i : -1;
  }
  let depth = 0;
  for (let i = start; i < b.length; i++) {
    const c = b[i];
    if (c === 0x22) {
      const end = valueEnd(b, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return i + 1;
  }
  return -1;
}

function isNumberChar(c: number): boolean {
  // digits, '-', '+', '.', 'e', 'E'
  return (
    (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45
  );
}

/** One JSON value (object, array, string or number) replaced by a value of another type. */
function confuseType(b: Buffer, rnd: () => number): Buffer {
  const starts: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (
      c === 0x7b ||
      c === 0x5b ||
      (c === 0x22 && b[i - 1] === 0x3a) ||
      (c >= 0x30 && c <= 0x39 && b[i - 1] === 0x3a)
    ) {
      starts.push(i);
    }
  }
  if (starts.length === 0) return b;
  const start = starts[Math.floor(rnd() * starts.length)]!;
  const end = valueEnd(b, start);
  if (end < 0) return b;
  const token = VALUE_TOKENS[Math.floor(rnd() * VALUE_TOKENS.length)]!;
  return Buffer.concat([b.subarray(0, start), Buffer.from(token, 'latin1'), b.subarray(end)]);
}

/** Int32 values written into binary layouts (lengths and counts). */
const INT_TOKENS = [-1, 0, 1, 0x7fffffff, -0x80000000, 0x01000000, 0xffff];

function mutateBytes(seed: Buffer, other: Buffer, rnd: () => number): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const b = Buffer.from(seed);
  const at = (): number => int(b.length + 1);
  switch (int(15)) {
    case 13:
      return confuseType(b, rnd);
    case 14:
      // the whole body one value of another type
      return Buffer.from(pick(VALUE_TOKENS), 'latin1');
    case 0:
      for (let i = int(4) + 1; i > 0 && b.length > 0; i--) b[int(b.length)] = int(256);
      return b;
    case 1:
      return b.subarray(0, at());
    case 2:
      return Buffer.concat([b, Buffer.from(Array.from({ length: int(64) }, () => int(256)))]);
    case 3: {
      const cut = at();
      return Buffer.concat([b.subarray(0, cut), other.subarray(int(other.length + 1))]);
    }
    case 4: {
      const from = at();
      return Buffer.concat([b.subarray(0, from), b.subarray(from + int(32) + 1)]);
    }
    case 5: {
      // a copy of one stretch inserted elsewhere (repeated members, doubled keys)
      const from = at();
      const piece = b.subarray(from, from + int(64) + 1);
      const to = at();
      return Buffer.concat([b.subarray(0, to), piece, b.subarray(to)]);
    }
    case 6: {
      // a run of digits replaced by an awkward number
      const text = b.toString('latin1');
      const runs = [...text.matchAll(/-?\d+/g)];
      if (runs.length === 0) return b;
      const r = pick(runs);
      const s = r.index;
      return Buffer.concat([
        b.subarray(0, s),
        Buffer.from(pick(NUMBER_TOKENS), 'utf8'),
        b.subarray(s + r[0].length),
      ]);
    }
    case 7: {
      const s = at();
      return Buffer.concat([
        b.subarray(0, s),
        Buffer.from(pick(INSERT_TOKENS), 'utf8'),
        b.subarray(s),
      ]);
    }
    case 8: {
      // one structural character swapped for another
      const text = b.toString('latin1');
      const spots = [...text.matchAll(/[{}[\]:,"=\n]/g)];
      if (spots.length === 0) return b;
      b[pick(spots).index] = pick([0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c, 0x22, 0x20]);
      return b;
    }
    case 9: {
      // a long string or a deep nesting
      const s = at();
      const filler =
        rnd() < 0.5 ? 'x'.repeat(int(4096)) : '['.repeat(int(2000)) + ']'.repeat(int(2000));
      return Buffer.concat([b.subarray(0, s), Buffer.from(filler, 'latin1'), b.subarray(s)]);
    }
    case 10: {
      // an int32 (length, count) written into a binary layout
      if (b.length < 4) return b;
      b.writeInt32BE(pick(INT_TOKENS) | 0, int(b.length - 3));
      return b;
    }
    case 11:
      return Buffer.from(Array.from({ length: int(128) }, () => int(256)));
    default: {
      // several small mutations in a row
      let out: Buffer = b;
      for (let i = int(3) + 2; i > 0; i--) out = mutateBytes(out, other, rnd);
      return out;
    }
  }
}

/**
 * CPU time of this process in ms: a decode's cost without the time the process waited for a
 * core, so a loaded CI machine (other processes, a busy loop) cannot push a decode past the limit.
 */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function timedDecode(
  d: FuzzedDecoder,
  stats: DecoderStats,
  input: Buffer,
  where: { seed: number; iteration: number },
): void {
  stats.inputs++;
  if (input.length > stats.maxInputBytes) stats.maxInputBytes = input.length;
  const t0 = cpuMs();
  let value: unknown;
  try {
    value = d.decode(input);
  } catch (err) {
    const ms = cpuMs() - t0;
    if (ms > stats.maxMs) stats.maxMs = ms;
    if (!isProtocolError(err)) {
      throw new FuzzFailure(
        `${d.name} threw an untyped error at seed ${where.seed} iteration ${where.iteration}: ` +
          `${String(err)}\ninput (${input.length} bytes): ${input.subarray(0, 2048).toString('hex')}`,
        { cause: err },
      );
    }
    stats.rejected++;
    return;
  }
  const ms = cpuMs() - t0;
  if (ms > stats.maxMs) stats.maxMs = ms;
  stats.accepted++;
  try {
    d.reencode?.(value);
  } catch (err) {
    throw new FuzzFailure(
      `${d.name}: a decoded value could not be encoded again, at seed ${where.seed} iteration ` +
        `${where.iteration}: ${String(err)}\ninput: ${input.subarray(0, 2048).toString('hex')}`,
      { cause: err },
    );
  }
}

/**
 * `iterations` mutated bodies. Iteration i mutates a seed of decoder i mod n (one time in ten a
 * seed of any decoder: formats confused with one another) and feeds the result to that decoder
 * (the frame fuzz feeds every decoder the bodies of mutated frames of any kind). Deflated decoders get their mutated layout deflated three
 * times in four, and mutated deflated bytes otherwise. One iteration in LARGE_EVERY is a large
 * input (a stretch of the mutated body repeated to about 256 KiB: long arrays, long strings, deep
 * nesting), to show work that grows faster than the input.
 */
export async function runBodyFuzz(options: {
  iterations: number;
  seed: number;
  decoders: readonly FuzzedDecoder[];
}): Promise<BodyFuzzResult> {
  const { iterations, seed, decoders } = options;
  const rnd = prng(seed ^ 0x0b0d1e5);
  const int = (n: number): number => Math.floor(rnd() * n);
  const allSeeds = decoders.flatMap((d) => d.seeds);
  const byDecoder = new Map<string, DecoderStats>(
    decoders.map((d) => [
      d.name,
      { inputs: 0, accepted: 0, rejected: 0, maxMs: 0, maxInputBytes: 0 },
    ]),
  );
  let decodes = 0;
  for (let i = 0; i < iterations; i++) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
    const d = decoders[i % decoders.length]!;
    const stats = byDecoder.get(d.name)!;
    const base = rnd() < 0.1 ? allSeeds[int(allSeeds.length)]! : d.seeds[int(d.seeds.length)]!;
    const other = allSeeds[int(allSeeds.length)]!;
    let plain = mutateBytes(base, other, rnd);
    if (i % LARGE_EVERY === LARGE_EVERY - 1) {
      // Large: the mutated body with one stretch of it repeated to about 256 KiB.
      const from = int(plain.length);
      const piece = plain.subarray(from, from + 1 + int(256));
      const copies = Math.ceil(LARGE_BYTES / Math.max(1, piece.length));
      plain = Buffer.concat([
        plain.subarray(0, from),
        ...Array.from({ length: copies }, () => piece),
        plain.subarray(from),
      ]);
    }
    let input = plain;
    if (d.deflated === true) {
      input =
        rnd() < 0.75
          ? deflateSync(plain, { level: 1 + int(9) })
          : mutateBytes(deflateSync(base), other, rnd);
    }
    timedDecode(d, stats, input, { seed, iteration: i });
    decodes++;
  }
  return { iterations, decodes, byDecoder };
}
