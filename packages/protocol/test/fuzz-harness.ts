/**
 * Mutation fuzzer for the frame layer and the body parsers. Deterministic for a seed, so a
 * failure can be replayed: it reports the seed, the iteration and the offending bytes.
 *
 * Inputs: every captured fixture frame, mutated (byte flips, truncation, extension, forged
 * length prefix or header word, splices of two frames) or plain random bytes, fed through a
 * FrameDecoder in random splits. The only acceptable failures are ProtocolError subclasses.
 */
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

export function runFuzz(options: {
  iterations: number;
  seed: number;
  bodyParsers?: readonly BodyParser[];
}): FuzzResult {
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
          if (cmd.body === null) continue;
          for (const parse of parsers) {
            try {
              parse(cmd.body, cmd.version);
              result.bodiesParsed++;
            } catch (err) {
              check(err, 'body parser', seed, i, input);
              result.bodyErrors++;
            }
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
