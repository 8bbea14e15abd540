/**
 * A large REGISTER_BROKER body is moved to the decode thread, not copied (issue 11: an 8 MB body
 * copied on the serving loop cost ~3 ms of its stall), and a registration the owner sends back
 * ('resend') is decoded in full from the thread's copy of that very body.
 *
 * Runs the compiled decode thread (dist/), so `tsc -b` must have run (pnpm test does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, encodeCommand, FrameDecoder } from '@ns/protocol';
import { createSilentLogger } from '../src/logging.js';
import {
  movable,
  MOVE_MIN_BYTES,
  RegisterBodyDecoder,
} from '../src/serving/decode/register-body-decoder.js';
import { namesOf, unseal } from '../src/serving/decode/decoded-registration.js';
import type { DecodedRegistration, TopicRows } from '../src/serving/decode/decoded-registration.js';
import { registerBody, registerRequest } from './handlers-harness.js';
import type { RegisterInit, TestTopic } from './handlers-harness.js';

const TOPICS: TestTopic[] = Array.from({ length: 3_000 }, (_, i) => ({ name: `move-topic-${i}` }));

/** A body as the frame decoder leaves it: at the end of a buffer of its own, after a header. */
function inFrame(body: Buffer): Buffer {
  const frame = Buffer.concat([Buffer.alloc(4 + 300, 1), body]);
  return frame.subarray(4 + 300);
}

const decoders: RegisterBodyDecoder[] = [];
afterEach(async () => {
  await Promise.all(decoders.splice(0).map((d) => d.close()));
});

function decoder(): RegisterBodyDecoder {
  const d = new RegisterBodyDecoder('move-test', createSilentLogger());
  decoders.push(d);
  return d;
}

function job(body: Buffer, init: RegisterInit = {}) {
  return {
    key: 'C\u0000x:1',
    connectionId: 1,
    body,
    compressed: init.compressed ?? false,
    version: 407,
    crc: 0,
    maxInflatedBytes: 64 << 20,
  };
}

/** The topics of a full decode, sorted (the body has them in Java's hash order). */
function names(sealed: DecodedRegistration): string[] {
  const d = unseal(sealed);
  if (d.kind === 'full') return namesOf(d.rows).sort();
  throw new Error(`expected a full decode, got ${d.kind}`);
}

const sorted = (topics: TestTopic[]): string[] => topics.map((t) => t.name).sort();

describe('moving register bodies to the decode thread', () => {
  it('moves only a large body that ends a buffer of its own', () => {
    const body = registerBody({ topics: TOPICS });
    expect(body.length).toBeGreaterThan(MOVE_MIN_BYTES);
    expect(movable(inFrame(body))).not.toBeNull();
    // Something after it in the same buffer (a next frame): copied.
    const shared = Buffer.concat([Buffer.alloc(304), body, Buffer.alloc(10)]);
    expect(movable(shared.subarray(304, 304 + body.length))).toBeNull();
    // Too far into its buffer to be behind a frame header only.
    const deep = Buffer.concat([Buffer.alloc(128 * 1024), body]);
    expect(movable(deep.subarray(128 * 1024))).toBeNull();
    // Small: copied (cheap, and small frames share the socket's read buffers).
    const small = registerBody({ topics: TOPICS.slice(0, 10) });
    expect(movable(inFrame(small))).toBeNull();
  });

  it('a body the frame decoder assembled from socket-sized chunks is movable', () => {
    const frame = encodeCommand(registerRequest({ topics: TOPICS }));
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    for (let o = 0; o < frame.length; o += 64 * 1024) {
      frames.push(...decoder.push(frame.subarray(o, Math.min(frame.length, o + 64 * 1024))));
    }
    expect(frames).toHaveLength(1);
    const body = decodeFrame(frames[0]!).body!;
    expect(movable(body)).not.toBeNull();
  });

  for (const compressed of [false, true]) {
    it(`a moved ${compressed ? 'compressed' : 'JSON'} body decodes, and its base decodes in full again on demand`, async () => {
      const d = decoder();
      const body1 = inFrame(registerBody({ topics: TOPICS, counter: 1, compressed }));
      const first = await d.decode(job(body1, { compressed }));
      // Moved: this side's view of it is empty now.
      if (!compressed) expect(body1.length).toBe(0);
      expect(names(first)).toEqual(sorted(TOPICS));
      const base1 = (first as { base: string }).base;

      const again = await d.decodeBaseInFull('C\u0000x:1', base1, 1);
      expect(unseal(again)).toEqual(unseal(first));

      const changed = TOPICS.map((t, i) => (i === 7 ? { ...t, queues: 8 } : t));
      const body2 = inFrame(registerBody({ topics: changed, counter: 2, compressed }));
      const second = await d.decode(job(body2, { compressed }));
      expect(unseal(second).kind).toBe('delta');
      const base2 = (second as { base: string }).base;
      // The base a 'resend' names is the latest one; an older one is gone.
      expect((await d.decodeBaseInFull('C\u0000x:1', base1, 1)).kind).toBe('undecodable');
      const full2 = await d.decodeBaseInFull('C\u0000x:1', base2, 1);
      expect(names(full2)).toEqual(sorted(changed));
      const rows = (unseal(full2) as { rows: TopicRows }).rows;
      expect(rows.nums[4 * namesOf(rows).indexOf('move-topic-7')]).toBe(8);
    });
  }
});
