import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TopicConfigRowsBuilder } from './topic-config-rows.js';
import { ByteKeySet, fnvStep, FNV_OFFSET } from './byte-key-set.js';

describe('TopicConfigRowsBuilder', () => {
  it('keeps every row from a tiny start, and finishes with arrays of exactly their size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 40 }), fc.integer()), { maxLength: 300 }),
        (rows) => {
          const src = Buffer.from(rows.map(([name]) => name).join(''), 'utf8');
          const b = new TopicConfigRowsBuilder(1, 1);
          let at = 0;
          for (const [name, n] of rows) {
            const len = Buffer.byteLength(name);
            b.push(src, at, at + len, n, n + 1, n + 2, n + 3);
            at += len;
          }
          expect(b.length).toBe(rows.length);
          const out = b.finish();
          expect(out.count).toBe(rows.length);
          const names = Buffer.from(out.nameBytes);
          rows.forEach(([name, n], i) => {
            const from = i === 0 ? 0 : out.nameEnds[i - 1]!;
            expect(names.toString('utf8', from, out.nameEnds[i])).toBe(name);
            expect([...out.nums.subarray(4 * i, 4 * i + 4)]).toStrictEqual(
              [n, n + 1, n + 2, n + 3].map((v) => v | 0),
            );
          });
          for (const a of [out.nameBytes, out.nameEnds, out.nums]) {
            expect(a.byteOffset).toBe(0);
            expect(a.byteLength).toBe(a.buffer.byteLength);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ByteKeySet', () => {
  const hashOf = (buf: Uint8Array, start: number, end: number): number => {
    let h = FNV_OFFSET;
    for (let k = start; k < end; k++) h = fnvStep(h, buf[k]!);
    return h;
  };

  it('answers false exactly for a key it holds, through growth and hash collisions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 200 }),
        fc.boolean(),
        (keys, collide) => {
          const buf = Buffer.concat(keys);
          const set = new ByteKeySet(buf, 1);
          const model = new Set<string>();
          let at = 0;
          for (const k of keys) {
            const end = at + k.length;
            // Every key one hash: all of them in one probe chain, compared byte by byte.
            const hash = collide ? 7 : hashOf(buf, at, end);
            const hex = Buffer.from(k).toString('hex');
            expect(set.add(at, end, hash)).toBe(!model.has(hex));
            model.add(hex);
            at = end;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
