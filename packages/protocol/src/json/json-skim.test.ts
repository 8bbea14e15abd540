import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  jsonNestingExceeds,
  MAX_JSON_DEPTH,
  pruneJsonObject,
  skipJsonValue,
  type KeptMembers,
} from './json-skim.js';

const KEEP: KeptMembers = {
  keys: new Set(['a', 'w', '__proto__']),
  nested: { key: 'w', keep: { keys: new Set(['b']) } },
};

/** What JSON.parse of the pruned text must give: `JSON.parse(text)` less the members not kept. */
function expected(text: string): unknown {
  const v = JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // defineProperty: `__proto__` as the own property JSON.parse makes of it.
  for (const k of Object.keys(v)) {
    if (KEEP.keys.has(k))
      Object.defineProperty(out, k, { value: v[k], enumerable: true, writable: true });
  }
  const w = out['w'];
  if (w !== null && typeof w === 'object' && !Array.isArray(w)) {
    const inner: Record<string, unknown> = {};
    for (const k of Object.keys(w)) if (k === 'b') inner[k] = (w as Record<string, unknown>)[k];
    out['w'] = inner;
  }
  return out;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('skipJsonValue', () => {
  it.each([
    '0',
    '-0.5e+10',
    '1E5',
    '"a\\u00e9\\n\\/"',
    'true',
    'false',
    'null',
    '[]',
    '{}',
    '[ 1 , {"a" : [ ] } ]',
    '{"a":{"b":{"c":[1,2,{"d":null}]}}}',
  ])('ends where the value %j ends', (text) => {
    expect(skipJsonValue(text + ' ,', 0, MAX_JSON_DEPTH)).toBe(text.length);
  });

  it.each([
    '[01]',
    '-',
    '1.',
    '1e',
    '.5',
    '"a\\x"',
    '"a\u0001"',
    '"\\u12g4"',
    '"abc',
    'tru',
    'nul',
    '[1,]',
    '[,1]',
    '{"a":1,}',
    '{"a" 1}',
    '{a:1}',
    "{'a':1}",
    '[1 2]',
    '{"a":1]',
    '[1}',
  ])('rejects %j as JSON.parse does', (text) => {
    expect(parses(text)).toBe(false);
    expect(skipJsonValue(text, 0, MAX_JSON_DEPTH)).toBe(-1);
  });

  it('bounds nesting', () => {
    const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(skipJsonValue(ok, 0, MAX_JSON_DEPTH)).toBe(ok.length);
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    expect(skipJsonValue(deep, 0, MAX_JSON_DEPTH)).toBe(-1);
  });
});

describe('jsonNestingExceeds', () => {
  it('counts brackets outside double-quoted strings only', () => {
    expect(jsonNestingExceeds('[[[]]]', 3)).toBe(false);
    expect(jsonNestingExceeds('[[[[]]]]', 3)).toBe(true);
    expect(jsonNestingExceeds('[{"a":"[[[[\\"[["}]', 3)).toBe(false);
    expect(jsonNestingExceeds('{"x":' + '['.repeat(600) + ']'.repeat(600) + '}')).toBe(true);
  });
});

describe('pruneJsonObject', () => {
  it('parses to JSON.parse less the members not kept, for any JSON object', () => {
    const member = fc.tuple(
      fc.oneof(fc.constantFrom('a', 'w', 'b', 'x', '__proto__', 'a\u00e9'), fc.string()),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(
        fc.array(member, { maxLength: 6 }),
        fc.array(member, { maxLength: 4 }),
        fc.constantFrom('', ' ', '\n\t '),
        (members, inner, space) => {
          const obj = (ms: [string, unknown][]): string =>
            '{' +
            space +
            ms
              .map(([k, v]) => `${JSON.stringify(k)}${space}:${space}${JSON.stringify(v)}`)
              .join(`${space},${space}`) +
            space +
            '}';
          const mark = '\u0000inner-object-here\u0000';
          const text = obj([...members, ['w', mark], ...members.slice(1)]).replace(
            JSON.stringify(mark),
            () => obj(inner),
          );
          const pruned = pruneJsonObject(space + text + space, KEEP);
          expect(pruned).not.toBeNull();
          expect(JSON.parse(pruned!)).toStrictEqual(expected(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an escaped key counts as the key it spells', () => {
    const text = '{"\\u0061":1,"\\u0077":{"\\u0062":2,"c":3},"x":4}';
    expect(JSON.parse(pruneJsonObject(text, KEEP)!)).toStrictEqual({ a: 1, w: { b: 2 } });
  });

  it('repeated keys: the last one still wins', () => {
    const text = '{"a":1,"x":[],"a":2,"w":{"b":1},"w":{"b":2,"b":3}}';
    expect(JSON.parse(pruneJsonObject(text, KEEP)!)).toStrictEqual({ a: 2, w: { b: 3 } });
  });

  it('null for what JSON.parse rejects, in kept or dropped members alike', () => {
    for (const text of [
      '{"a":1,"x":[1,]}',
      '{"a":1,"x":{y:1}}',
      '{"a":01}',
      '{"w":{"c":tru}}',
      '{"a":1} x',
      '{"a":1,}',
      '',
    ]) {
      expect(parses(text)).toBe(false);
      expect(pruneJsonObject(text, KEEP)).toBeNull();
    }
    expect(pruneJsonObject('"s"', KEEP)).toBeNull();
    expect(pruneJsonObject('[1]', KEEP)).toBeNull();
  });

  it('null for nesting deeper than MAX_JSON_DEPTH, in an unknown member too', () => {
    const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    expect(pruneJsonObject(`{"x":${nest(MAX_JSON_DEPTH - 1)}}`, KEEP)).toBe('{}');
    expect(pruneJsonObject(`{"x":${nest(MAX_JSON_DEPTH)}}`, KEEP)).toBeNull();
    expect(pruneJsonObject(`{"w":{"x":${nest(MAX_JSON_DEPTH - 2)}}}`, KEEP)).toBe('{"w":{}}');
    expect(pruneJsonObject(`{"w":{"x":${nest(MAX_JSON_DEPTH - 1)}}}`, KEEP)).toBeNull();
    expect(pruneJsonObject(`{"x":${nest(1_000_000)}}`, KEEP)).toBeNull();
  });
});
