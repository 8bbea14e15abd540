/**
 * Topic rows as the decode thread hands them over: names packed as UTF-8 bytes with their ends,
 * made strings again one row at a time.
 */
import { describe, expect, it } from 'vitest';
import type { TopicConfig } from '@ns/protocol';
import {
  fromRows,
  namesOf,
  toRows,
  topicNames,
} from '../src/serving/decode/decoded-registration.js';

const tc = (topicName: string, queues: number, perm = 6, topicSysFlag = 0): TopicConfig => ({
  topicName,
  readQueueNums: queues,
  writeQueueNums: queues + 1,
  perm,
  topicSysFlag,
  topicFilterType: 'SINGLE_TAG',
  order: false,
});

describe('topic rows', () => {
  const configs = [
    tc('plain', 4),
    tc('', 1),
    tc('ünïcödé-主题-🚀', 8, 2, 3),
    tc('%RETRY%group_a', 1, 4),
  ];

  it('round-trip names (multi-byte UTF-8 and empty ones included) and numbers, in order', () => {
    const rows = toRows(configs, configs.length);
    expect(rows.count).toBe(4);
    expect(namesOf(rows)).toEqual(configs.map((c) => c.topicName));
    expect(fromRows(rows)).toEqual(configs);
    const { nameAt } = topicNames(rows);
    expect(nameAt(2)).toBe('ünïcödé-主题-🚀');
  });

  it('read the same after crossing a thread (plain Uint8Array, not a Buffer)', () => {
    const rows = structuredClone(toRows(configs.values(), configs.length));
    expect(Buffer.isBuffer(rows.nameBytes)).toBe(false);
    expect(fromRows(rows)).toEqual(configs);
  });

  it('own their memory, so the decode thread can move them', () => {
    const rows = toRows(configs, configs.length);
    expect(rows.nameBytes.byteOffset).toBe(0);
    expect(rows.nameBytes.buffer.byteLength).toBe(rows.nameBytes.byteLength);
  });

  it('round-trip all-ASCII names (written in one go) with their ends', () => {
    const ascii = [tc('a', 1), tc('%RETRY%g', 2), tc('', 3), tc('TopicTest-000042', 4)];
    const rows = toRows(ascii, ascii.length);
    expect([...rows.nameEnds]).toEqual([1, 9, 9, 25]);
    expect(fromRows(rows)).toEqual(ascii);
  });

  it('keep names apart whose lone surrogates would pair up if the names were joined', () => {
    const rows = toRows([tc('a\uD83D', 1), tc('\uDE80b', 1)], 2);
    // Each lone surrogate is written on its own (3 bytes: U+FFFD), as name-by-name writes do.
    expect([...rows.nameEnds]).toEqual([4, 8]);
    expect(namesOf(rows)).toEqual(['a\uFFFD', '\uFFFDb']);
  });

  it('empty', () => {
    const rows = toRows([], 0);
    expect(rows.count).toBe(0);
    expect(namesOf(rows)).toEqual([]);
  });

  it('refuse a count that is not the number of configs', () => {
    expect(() => toRows(configs, 3)).toThrow(/4 topic configs, 3 expected/);
  });
});
