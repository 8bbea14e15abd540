import { describe, expect, it } from 'vitest';
import { encodeKVTable, encodeTopicList, javaHashMapCapacity, LEGACY_JSON } from '@ns/protocol';
import type { JavaLine } from '@ns/protocol';
import { runCountingSteps, runToEnd } from '../slices/slice-queue.js';
import { topicListOrderLikeJava } from './java-order.js';
import {
  kvTableBodyInSteps,
  namespaceSnapshotInSteps,
  topicListBodyInSteps,
} from './list-bodies-in-steps.js';
import type { NamespaceSource } from './list-bodies-in-steps.js';

/** Deterministic pseudo-random numbers in [0, n). */
function picker(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s % n;
  };
}

/** Distinct names of several shapes, some needing JSON escapes or outside ASCII. */
function names(count: number, seed: number): string[] {
  const pick = picker(seed);
  const shapes = [
    (i: number) => `topic-${i}`,
    (i: number) => `svc${i}_TOPIC`,
    (i: number) => `%RETRY%group_${i}`,
    (i: number) => `tenant-${pick(50)}.orders.${i}`,
    (i: number) => `名前-${i}`,
    (i: number) => `quote"back\\slash\t${i}`,
  ];
  const out = new Set<string>();
  for (let i = 0; out.size < count; i++) out.add(shapes[pick(shapes.length)]!(i));
  return [...out];
}

describe('topic list bodies built in steps', () => {
  const lines: JavaLine[] = ['4.9', '5.x'];
  for (const line of lines) {
    it(`are the bytes of the one-go encoder (${line})`, () => {
      for (const [count, seed] of [
        [0, 1],
        [1, 2],
        [2, 3],
        [13, 4],
        [700, 5],
        [9000, 6],
      ] as const) {
        const topics = names(count, seed);
        const expected = encodeTopicList({ topicList: topicListOrderLikeJava(line, topics) });
        expect(runToEnd(topicListBodyInSteps(line, topics)).equals(expected), `${count}`).toBe(
          true,
        );
      }
    });
  }

  it('yield at least once every 2,048 names', () => {
    const topics = names(20_000, 7);
    for (const line of lines) {
      // Ordering (two or one passes) and writing: each pass over the names yields per 2,048.
      expect(runCountingSteps(topicListBodyInSteps(line, topics)).steps).toBeGreaterThanOrEqual(
        Math.floor(20_000 / 2048) * 2,
      );
    }
  });
});

/** A namespace held in a Map, with a stamp its test moves on every write. */
function namespace(entries: Map<string, string | null>, highWater = entries.size) {
  let stamp = 1;
  const source: NamespaceSource = {
    entries: () => entries,
    stamp: () => stamp,
    capacity: () => javaHashMapCapacity(Math.max(highWater, entries.size)),
  };
  return {
    source,
    write(key: string, value: string | null): void {
      entries.set(key, value);
      stamp++;
    },
  };
}

describe('KV namespace bodies built in steps', () => {
  it('are the bytes of encodeKVTable, null values left out, in the Java table of its high water', () => {
    for (const [count, seed, highWater] of [
      [0, 1, 0],
      [1, 2, 1],
      [5, 3, 400],
      [3000, 4, 3000],
      [9000, 5, 70_000],
    ] as const) {
      const entries = new Map<string, string | null>();
      const pick = picker(seed);
      for (const key of names(count, seed)) {
        entries.set(key, pick(7) === 0 ? null : `v"${pick(1000)}\n`);
      }
      const { source } = namespace(entries, highWater);
      const table = new Map([...entries].filter((e): e is [string, string] => e[1] !== null));
      const expected = encodeKVTable({ table }, LEGACY_JSON, source.capacity());
      const snapshot = runToEnd(namespaceSnapshotInSteps(source))!;
      expect(runToEnd(kvTableBodyInSteps(snapshot)).equals(expected), `${count}`).toBe(true);
    }
  });

  it('copy the namespace as it stood at one instant: a write between two steps starts the copy again', () => {
    const entries = new Map<string, string | null>();
    for (let i = 0; i < 10_000; i++) entries.set(`k${i}`, 'old');
    const ns = namespace(entries);
    const job = namespaceSnapshotInSteps(ns.source);
    job.next();
    // The first step copied k0..k2047 as 'old'; a write touches one already copied and one not.
    ns.write('k0', 'new');
    ns.write('k9999', 'new');
    let step = job.next();
    while (step.done !== true) step = job.next();
    const { keys, values } = step.value!;
    expect(keys.length).toBe(10_000);
    expect(values[0]).toBe('new');
    expect(values[9999]).toBe('new');
    expect(values.filter((v) => v === 'new').length).toBe(2);
  });

  it('copy in one go after three torn copies, so a namespace written without pause gets an answer', () => {
    const entries = new Map<string, string | null>();
    for (let i = 0; i < 10_000; i++) entries.set(`k${i}`, 'v0');
    const ns = namespace(entries);
    const job = namespaceSnapshotInSteps(ns.source);
    let step = job.next();
    let writes = 0;
    while (step.done !== true) {
      ns.write(`k${writes % 10_000}`, `v${++writes}`);
      step = job.next();
    }
    // Three copies torn by the write after their first step; the fourth ran to its end at once.
    expect(writes).toBe(3);
    expect(step.value!.keys.length).toBe(10_000);
    expect(step.value!.values.slice(0, 3)).toEqual(['v1', 'v2', 'v3']);
  });

  it('is null for a namespace that does not exist', () => {
    const source: NamespaceSource = { entries: () => null, stamp: () => null, capacity: () => 16 };
    expect(runToEnd(namespaceSnapshotInSteps(source))).toBeNull();
  });
});
