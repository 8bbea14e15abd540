import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteKeySet, fnvStep, FNV_OFFSET } from './byte-key-set.js';
import {
  isPlainKeyString,
  JSON_KEY_LAYOUT,
  LINE_KEY_LAYOUT,
  PlainKeyIndex,
} from './plain-key-index.js';
import type { EntryKeyLayout } from './plain-key-index.js';

/** Entries as a body lays them out: JSON `"name":{}` joined by commas, or length-prefixed lines. */
function layOut(names: string[], layout: EntryKeyLayout): { raw: Buffer; starts: Int32Array } {
  const parts: Buffer[] = [];
  const starts = new Int32Array(names.length);
  let at = 0;
  names.forEach((name, i) => {
    let part: Buffer;
    if (layout === JSON_KEY_LAYOUT) {
      part = Buffer.from(`"${name}":{}` + (i < names.length - 1 ? ',' : ''), 'utf8');
    } else {
      const line = Buffer.from(`${name} 8 8 6 0`, 'utf8');
      part = Buffer.concat([Buffer.alloc(4), line]);
      part.writeInt32BE(line.length, 0);
    }
    starts[i] = at;
    at += part.length;
    parts.push(part);
  });
  return { raw: Buffer.concat(parts), starts };
}

const LAYOUTS: [string, EntryKeyLayout][] = [
  ['JSON', JSON_KEY_LAYOUT],
  ['lines', LINE_KEY_LAYOUT],
];

describe('PlainKeyIndex', () => {
  for (const [label, layout] of LAYOUTS) {
    it(`${label}: finds every name, and nothing else`, () => {
      const names = ['a', 'TopicTest', 'é', '中文', '😀x', '%RETRY%g', 'b|c'];
      const { raw, starts } = layOut(names, layout);
      const ix = PlainKeyIndex.build(raw, starts, names.length, layout)!;
      expect(ix).not.toBeNull();
      names.forEach((name, i) => expect(ix.indexOf(name, raw, starts, layout)).toBe(i));
      for (const absent of ['', 'A', 'Topic', 'TopicTest ', 'e\u0301', 'ab', '\ufffd', '\ud800']) {
        expect(ix.indexOf(absent, raw, starts, layout)).toBeUndefined();
      }
    });

    it(`${label}: a name that is not plain means no plain index`, () => {
      for (const bad of ['a\\b', 'a\u0001', 'x\ufffd']) {
        const { raw, starts } = layOut(['ok', bad], layout);
        expect(PlainKeyIndex.build(raw, starts, 2, layout)).toBeNull();
      }
      // Bytes that are not UTF-8 (two different byte strings would be one name).
      const { raw, starts } = layOut(['ok', 'zz'], layout);
      raw[starts[1]! + layout.offset] = 0xff;
      expect(PlainKeyIndex.build(raw, starts, 2, layout)).toBeNull();
      // The same name twice.
      const twice = layOut(['a', 'b', 'a'], layout);
      expect(PlainKeyIndex.build(twice.raw, twice.starts, 3, layout)).toBeNull();
    });
  }

  it('two names of one hash, one the start of the other, are two names (either order)', () => {
    // FNV-1a("topic") === FNV-1a("topicbd9374i"): a prefix is not a repeat.
    const hash = (s: string): number => {
      let h = FNV_OFFSET;
      for (const b of Buffer.from(s)) h = fnvStep(h, b);
      return h;
    };
    expect(hash('topic')).toBe(hash('topicbd9374i'));
    for (const layout of [JSON_KEY_LAYOUT, LINE_KEY_LAYOUT]) {
      for (const names of [
        ['topicbd9374i', 'topic'],
        ['topic', 'topicbd9374i'],
      ]) {
        const { raw, starts } = layOut(names, layout);
        const ix = PlainKeyIndex.build(raw, starts, 2, layout);
        expect(ix).not.toBeNull();
        names.forEach((name, i) => expect(ix!.indexOf(name, raw, starts, layout)).toBe(i));
      }
    }
  });

  it('a key that runs past a name into the bytes after it is not that name', () => {
    // `ab":{}` would read the bytes after the name `ab` if the terminator were not checked where
    // the key ends.
    const { raw, starts } = layOut(['ab', 'x'], JSON_KEY_LAYOUT);
    const ix = PlainKeyIndex.build(raw, starts, 2, JSON_KEY_LAYOUT)!;
    expect(ix.indexOf('ab":{}', raw, starts, JSON_KEY_LAYOUT)).toBeUndefined();
    expect(ix.indexOf('ab"', raw, starts, JSON_KEY_LAYOUT)).toBeUndefined();
    expect(ix.indexOf('ab', raw, starts, JSON_KEY_LAYOUT)).toBe(0);
    const lines = layOut(['ab', 'x'], LINE_KEY_LAYOUT);
    const lx = PlainKeyIndex.build(lines.raw, lines.starts, 2, LINE_KEY_LAYOUT)!;
    expect(lx.indexOf('ab 8', lines.raw, lines.starts, LINE_KEY_LAYOUT)).toBeUndefined();
  });

  it('of a ByteKeySet: the hashes the fresh decode made, entry by entry', () => {
    const names = ['t1', 't2', 'topic-3'];
    const { raw, starts } = layOut(names, JSON_KEY_LAYOUT);
    const set = new ByteKeySet(raw, 1);
    names.forEach((name, i) => {
      const ks = starts[i]! + 1;
      let h = FNV_OFFSET;
      for (let k = 0; k < Buffer.byteLength(name); k++) h = fnvStep(h, raw[ks + k]!);
      expect(set.add(ks, ks + Buffer.byteLength(name), h)).toBe(true);
    });
    const ix = PlainKeyIndex.ofKeySet(set);
    names.forEach((name, i) => expect(ix.indexOf(name, raw, starts, JSON_KEY_LAYOUT)).toBe(i));
    expect(ix.indexOf('t3', raw, starts, JSON_KEY_LAYOUT)).toBeUndefined();
  });

  it('successors follow the entries through random removals, moves and additions', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z%|é_-]{1,4}$/), { minLength: 1, maxLength: 60 }),
        fc.array(
          fc.record({
            keep: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
            shuffle: fc.nat(),
            add: fc.uniqueArray(fc.stringMatching(/^[A-Z中]{1,3}$/), { maxLength: 20 }),
          }),
          { maxLength: 6 },
        ),
        (initial, rounds) => {
          let names = initial;
          let { raw, starts } = layOut(names, JSON_KEY_LAYOUT);
          let ix: PlainKeyIndex | null = PlainKeyIndex.build(
            raw,
            starts,
            names.length,
            JSON_KEY_LAYOUT,
          );
          for (const r of rounds) {
            const kept = names.filter((_, i) => r.keep[i % 60]);
            // Rotate (a move of many) and add names not already there.
            const rot = kept.length === 0 ? 0 : r.shuffle % kept.length;
            const next = [...kept.slice(rot), ...kept.slice(0, rot)];
            const added: [string, number][] = [];
            for (const a of r.add) {
              if (next.includes(a)) continue;
              const at = a.length % (next.length + 1);
              next.splice(at, 0, a);
            }
            const oldToNew = new Int32Array(names.length).fill(-1);
            names.forEach((name, i) => (oldToNew[i] = next.indexOf(name)));
            next.forEach((name, i) => {
              if (!names.includes(name)) added.push([name, i]);
            });
            ({ raw, starts } = layOut(next, JSON_KEY_LAYOUT));
            ix = ix?.successor(oldToNew, added, JSON_KEY_LAYOUT) ?? null;
            // Null: too much changed; the holder builds a new one.
            ix ??= PlainKeyIndex.build(raw, starts, next.length, JSON_KEY_LAYOUT);
            names = next;
            expect(ix).not.toBeNull();
            names.forEach((name, i) =>
              expect(ix!.indexOf(name, raw, starts, JSON_KEY_LAYOUT)).toBe(i),
            );
            for (const gone of initial) {
              if (!names.includes(gone)) {
                expect(ix!.indexOf(gone, raw, starts, JSON_KEY_LAYOUT)).toBeUndefined();
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('isPlainKeyString: what a plain index may hold', () => {
    expect(isPlainKeyString('TopicTest_1%RETRY%|-', JSON_KEY_LAYOUT)).toBe(true);
    expect(isPlainKeyString('中文😀', JSON_KEY_LAYOUT)).toBe(true);
    for (const bad of ['a"', 'a\\', 'a\n', '\ufffd', 'x\ud800', '\udc00y', '😀"', '😀\\', '😀\n']) {
      expect(isPlainKeyString(bad, JSON_KEY_LAYOUT)).toBe(false);
    }
    expect(isPlainKeyString('😀 b', LINE_KEY_LAYOUT)).toBe(false);
    expect(isPlainKeyString('a b', JSON_KEY_LAYOUT)).toBe(true);
    expect(isPlainKeyString('a b', LINE_KEY_LAYOUT)).toBe(false);
  });
});
