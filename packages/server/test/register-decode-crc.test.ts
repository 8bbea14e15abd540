/**
 * The decode thread's CRC check when a broker sends again the bytes it sent last: the same bytes
 * with the same header CRC pass without the CRC being computed again (an unchanged body is the
 * periodic re-registration), and anything else is checked as Java checks it: a wrong CRC is
 * refused even for bytes the thread has seen, and a compressed body deflated differently (same
 * content, other bytes) is checked against its own CRC.
 *
 * Runs the compiled decode thread (dist/), so `tsc -b` must have run (pnpm test does).
 */
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyCrc32 } from '@ns/protocol';
import { createSilentLogger } from '../src/logging.js';
import { RegisterBodyDecoder } from '../src/serving/decode/register-body-decoder.js';
import { registerBody } from './handlers-harness.js';
import type { TestTopic } from './handlers-harness.js';

const TOPICS: TestTopic[] = Array.from({ length: 50 }, (_, i) => ({ name: `crc-topic-${i}` }));

const decoders: RegisterBodyDecoder[] = [];
afterEach(async () => {
  await Promise.all(decoders.splice(0).map((d) => d.close()));
});

function decoder(): RegisterBodyDecoder {
  const d = new RegisterBodyDecoder('crc-test', createSilentLogger());
  decoders.push(d);
  return d;
}

function job(body: Buffer, crc: number, compressed = false) {
  return {
    key: 'C\u0000x:1',
    connectionId: 1,
    // A copy each time: the thread may have been handed the previous one.
    body: Buffer.from(body),
    compressed,
    version: 407,
    crc,
    maxInflatedBytes: 64 << 20,
  };
}

const wrong = (crc: number): number => (crc + 1) & 0x7fffffff;

describe('the decode thread and the CRC of a body it has seen', () => {
  it('plain JSON: the same bytes and CRC are unchanged; a wrong CRC is refused all the same', async () => {
    const d = decoder();
    const body = registerBody({ topics: TOPICS });
    const crc = bodyCrc32(body);
    expect((await d.decode(job(body, crc))).kind).toBe('full');
    expect((await d.decode(job(body, crc))).kind).toBe('unchanged');
    expect((await d.decode(job(body, wrong(crc)))).kind).toBe('crc-mismatch');
    // Not checked (0), then checked: the checked one is computed, and passes.
    const d2 = decoder();
    expect((await d2.decode(job(body, 0))).kind).toBe('full');
    expect((await d2.decode(job(body, 0))).kind).toBe('unchanged');
    expect((await d2.decode(job(body, wrong(crc)))).kind).toBe('crc-mismatch');
    expect((await d2.decode(job(body, crc))).kind).toBe('unchanged');
  });

  it('another body with the CRC of the last one is refused', async () => {
    const d = decoder();
    const body = registerBody({ topics: TOPICS });
    const crc = bodyCrc32(body);
    expect((await d.decode(job(body, crc))).kind).toBe('full');
    const other = registerBody({ topics: TOPICS.slice(1) });
    expect((await d.decode(job(other, crc))).kind).toBe('crc-mismatch');
    expect((await d.decode(job(other, bodyCrc32(other)))).kind).toBe('delta');
  });

  it('compressed: the same deflated bytes are unchanged; the same content deflated otherwise is checked against its own CRC', async () => {
    const d = decoder();
    const wire = registerBody({ topics: TOPICS, compressed: true });
    const crc = bodyCrc32(wire);
    expect((await d.decode(job(wire, crc, true))).kind).toBe('full');
    expect((await d.decode(job(wire, crc, true))).kind).toBe('unchanged');
    const other = zlib.deflateSync(zlib.inflateSync(wire), { level: 1 });
    expect(other.equals(wire)).toBe(false);
    // The CRC of the first bytes does not fit these.
    expect((await d.decode(job(other, crc, true))).kind).toBe('crc-mismatch');
    expect((await d.decode(job(other, bodyCrc32(other), true))).kind).toBe('unchanged');
  });
});
