/**
 * The decode thread is one per process: one connection's bodies must not hold another's for long.
 * Decodes go to the thread one at a time, taken from the connections in turn (review: one
 * connection sending 13 MiB bodies back to back held an honest broker's registration 8.8 s, four
 * connections 38 s). Checked by the order the answers come in, not by time.
 *
 * Runs the compiled decode thread (dist/), so `tsc -b` must have run (pnpm test does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../src/logging.js';
import { RegisterBodyDecoder } from '../src/serving/decode/register-body-decoder.js';
import { registerBody } from './handlers-harness.js';
import type { TestTopic } from './handlers-harness.js';

const decoders: RegisterBodyDecoder[] = [];
afterEach(async () => {
  await Promise.all(decoders.splice(0).map((d) => d.close()));
});

const topics = (prefix: string, n: number): TestTopic[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}` }));

function job(connectionId: number, key: string, body: Buffer) {
  return {
    key,
    connectionId,
    body,
    compressed: false,
    version: 407,
    crc: 0,
    maxInflatedBytes: 64 << 20,
  };
}

describe('register body decodes across connections', () => {
  it('a broker whose bodies cost little waits for the body in progress, not for the costly ones waiting', async () => {
    const d = new RegisterBodyDecoder('fair-test', createSilentLogger());
    decoders.push(d);
    const done: string[] = [];
    const waits: Promise<unknown>[] = [];
    // Three connections with three costly bodies each (of different costs).
    const firsts: Promise<unknown>[] = [];
    for (const c of [1, 2, 3]) {
      const heavy = registerBody({ topics: topics(`heavy${c}`, 1_000 * c) });
      for (let i = 0; i < 3; i++) {
        const p = d
          .decode(job(c, `C\u0000h${c}-${i}:1`, Buffer.from(heavy)))
          .then(() => done.push(`${c}.${i}`));
        if (i === 0) firsts.push(p);
        waits.push(p);
      }
    }
    // Once each has had a body decoded (and a fourth is in progress), a broker registers.
    await Promise.all(firsts);
    expect(done).toHaveLength(3);
    const honest = registerBody({ topics: topics('honest', 10) });
    waits.push(d.decode(job(9, 'C\u0000b:1', honest)).then(() => done.push('b')));
    await Promise.all(waits);
    // Right after the body in progress; as a FIFO it came last, taking turns 3 bodies later.
    expect(done.indexOf('b')).toBe(4);
    // A connection's own bodies keep their order, and every base is kept.
    for (const c of [1, 2, 3]) {
      expect(done.filter((x) => x.startsWith(`${c}.`))).toEqual([`${c}.0`, `${c}.1`, `${c}.2`]);
    }
    expect(await d.baseCount()).toBe(10);
  });

  it('a forget and a connection close wait for the connection’s earlier decodes', async () => {
    const d = new RegisterBodyDecoder('fair-test', createSilentLogger());
    decoders.push(d);
    const body = registerBody({ topics: topics('t', 100) });
    const first = d.decode(job(1, 'C\u0000x:1', body));
    const second = d.decode(job(2, 'C\u0000y:1', body));
    const third = d.decode(job(2, 'C\u0000z:1', body));
    d.forget('C\u0000y:1', 2);
    d.connectionClosed(1);
    await Promise.all([first, second, third]);
    // x's base went with its connection, y's was forgotten after its decode; z's stays.
    expect(await d.baseCount()).toBe(1);
    const again = await d.decode(job(2, 'C\u0000z:1', body));
    expect(again.kind).toBe('unchanged');
  });
});
