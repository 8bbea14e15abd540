import { describe, it, expect } from 'vitest';
import { BodyDecodeError } from '../errors.js';
import {
  LEGACY,
  STANDARD,
  longKeyOrder,
  stringKeyOrder,
  writeJsonValue,
  writeLongKeyedMap,
  writeStringKeyedMap,
} from './fastjson-writer.js';

describe('fastjson writer helpers', () => {
  it('legacy maps: Java hash order, bare numeric keys, nulls omitted', () => {
    const m = new Map<number, string | null>([
      [17, 'b'],
      [1, 'a'],
      [2, null],
    ]);
    // 17 and 1 share bucket 1 of 16: insertion order decides, as in Java.
    expect(writeLongKeyedMap(m, (s) => `"${s}"`, LEGACY)).toBe('{17:"b",1:"a"}');
    expect(writeLongKeyedMap(m, (s) => `"${s}"`, STANDARD)).toBe('{"1":"a","17":"b"}');
    expect(longKeyOrder([17, 1], LEGACY)).toEqual([17, 1]); // same bucket (16 buckets): insertion order
    expect(longKeyOrder([17, 1], STANDARD)).toEqual([1, 17]);
  });

  it('standard maps sort keys by UTF-16 code units and escape browser-compatibly', () => {
    const m = new Map([
      ['b/é', 'x/y'],
      ['B', 'z'],
    ]);
    expect(writeStringKeyedMap(m, (s) => JSON.stringify(s), STANDARD)).toBe(
      '{"B":"z","b\\/\\u00E9":"x/y"}',
    );
    expect(stringKeyOrder(['b', 'B', 'a'], STANDARD)).toEqual(['B', 'a', 'b']);
    expect(writeStringKeyedMap(new Map(), String, LEGACY)).toBe('{}');
  });

  it('writeJsonValue: keeps key order (sorted in standard), skips nulls, bounds depth', () => {
    const v = { b: 1, a: [true, null, 'x'], c: null, m: new Map([[2, 'two']]) };
    expect(writeJsonValue(v, LEGACY)).toBe('{"b":1,"a":[true,null,"x"],"m":{"2":"two"}}');
    expect(writeJsonValue(v, STANDARD)).toBe('{"a":[true,null,"x"],"b":1,"m":{"2":"two"}}');
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(() => writeJsonValue(deep, LEGACY)).toThrow(BodyDecodeError);
  });
});
