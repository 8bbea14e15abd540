import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BodyDecodeError } from '../errors.js';
import {
  parseJsonLenient,
  parseJsonTolerant,
  quoteBareKeys,
  MAX_JSON_DEPTH,
} from './lenient-parse.js';
import { listFixtures, loadFixture } from '../../test/fixtures.js';

describe('parseJsonLenient', () => {
  it('parses strict JSON through the fast path', () => {
    expect(parseJsonLenient('{"a":[1,2,{"b":null}],"c":true}')).toEqual({
      a: [1, 2, { b: null }],
      c: true,
    });
  });

  it('accepts bare numeric keys as fastjson writes them', () => {
    const v = parseJsonLenient('{"brokerAddrs":{0:"127.0.0.1:20911",1:"127.0.0.1:20921"}}') as any;
    expect(v.brokerAddrs['0']).toBe('127.0.0.1:20911');
    expect(v.brokerAddrs['1']).toBe('127.0.0.1:20921');
    expect(Object.keys(v.brokerAddrs)).toEqual(['0', '1']);
  });

  it('accepts negative bare keys and bare identifier keys', () => {
    expect({ ...(parseJsonLenient('{-1:2,abc_$:3}') as object) }).toEqual({ '-1': 2, abc_$: 3 });
  });

  it('accepts single-quoted strings and keys, with escapes', () => {
    expect({ ...(parseJsonLenient("{'a':'it\\'s \"x\"'}") as object) }).toEqual({ a: 'it\'s "x"' });
  });

  it('accepts stray and trailing commas', () => {
    expect({ ...(parseJsonLenient('{,"a":1,,"b":[1,,2,],}') as object) }).toEqual({
      a: 1,
      b: [1, 2],
    });
  });

  it('quoteBareKeys only touches keys outside strings', () => {
    expect(quoteBareKeys('{0:"{1:2}",ab :{-3:"x,y:z"}}')).toBe(
      '{"0":"{1:2}","ab" :{"-3":"x,y:z"}}',
    );
    expect(quoteBareKeys('{"a":"\\"}')).toBeNull();
    expect(quoteBareKeys("{0:'a'}")).toBeNull();
  });

  it('never rewrites text inside string values', () => {
    const v = parseJsonLenient('{0:"{0:\\"x\\",1:\'y\'}",\'k\':"a,b:c"}') as any;
    expect(v['0']).toBe('{0:"x",1:\'y\'}');
    expect(v.k).toBe('a,b:c');
  });

  it('decodes \\u escapes, including surrogate pairs', () => {
    expect(parseJsonTolerant('{a:"\\u00e9\\uD83D\\uDE00\\/"}')).toEqual(
      Object.assign(Object.create(null), { a: 'é😀/' }),
    );
  });

  it('keeps __proto__ as an ordinary own key', () => {
    for (const text of ['{__proto__:{"polluted":1},0:"a"}', "{'__proto__':{'polluted':1},0:'a'}"]) {
      const v = parseJsonLenient(text) as any;
      expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(true);
      expect([null, Object.prototype]).toContain(Object.getPrototypeOf(v));
      expect(Object.keys(v)).toEqual(['0', '__proto__']);
      expect(v.polluted).toBeUndefined();
      expect(({} as any).polluted).toBeUndefined();
      expect({ ...v.__proto__ }).toEqual({ polluted: 1 });
    }
    const t = parseJsonTolerant('{__proto__:{"polluted":1}}') as any;
    expect(Object.getPrototypeOf(t)).toBe(null);
  });

  it('parses numbers like JSON', () => {
    expect(parseJsonTolerant('[-0.5e2,12,1795422624070,0]')).toEqual([-50, 12, 1795422624070, 0]);
  });

  it.each([
    ['', 'end of input'],
    ['{a:1', 'unterminated object'],
    ['{a 1}', "expected ':'"],
    ['[1 2]', "expected ',' or ']'"],
    ['{"a":"x', 'unterminated string'],
    ['{a:tru}', 'unexpected character'],
    ['{a:1} x', 'after the JSON value'],
    ['{a:"\\q"}', 'bad escape'],
    ['{a:"\\u12"}', 'bad \\u escape'],
    ['{:1}', 'expected an object key'],
    ['[-]', 'expected digits'],
  ])('rejects %j with a BodyDecodeError (%s)', (text, msg) => {
    expect(() => parseJsonLenient(text)).toThrow(BodyDecodeError);
    expect(() => parseJsonLenient(text)).toThrow(msg);
  });

  it('bounds nesting depth', () => {
    const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(parseJsonTolerant(ok)).toBeInstanceOf(Array);
    const deep = '{a:'.repeat(100_000) + '1' + '}'.repeat(100_000);
    expect(() => parseJsonLenient(deep)).toThrow(/nesting deeper than 512/);
    const deepArr = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    expect(() => parseJsonTolerant(deepArr)).toThrow(BodyDecodeError);
    // Strict JSON too, which JSON.parse would take (at a cost that grows faster than its size).
    expect(() => parseJsonLenient(deepArr)).toThrow(/nesting deeper than 512/);
    expect(parseJsonLenient(ok)).toBeInstanceOf(Array);
    const deepBare = '{0:['.repeat(MAX_JSON_DEPTH) + ']}'.repeat(MAX_JSON_DEPTH);
    expect(() => parseJsonLenient(deepBare)).toThrow(BodyDecodeError);
  });

  it('with the members to keep: the others checked but not built, strict or with bare keys', () => {
    const keep = {
      keys: new Set(['a', 'w']),
      nested: { key: 'w', keep: { keys: new Set(['b']) } },
    };
    expect(parseJsonLenient('{"a":1,"x":{"y":[2]},"w":{"b":3,"c":4}}', keep)).toStrictEqual({
      a: 1,
      w: { b: 3 },
    });
    expect(parseJsonLenient('{a:1,x:{y:[2]},w:{b:3,c:4}}', keep)).toStrictEqual({
      a: 1,
      w: { b: 3 },
    });
    // Invalid in a member nobody reads: still an error, as without `keep`.
    expect(() => parseJsonLenient('{"a":1,"x":{"y":[2,,]]}}', keep)).toThrow(BodyDecodeError);
    // Single quotes: the tolerant parser, which builds everything.
    expect(parseJsonLenient("{'a':1,'x':2}", keep)).toEqual({ a: 1, x: 2 });
  });

  it('error codes are stable', () => {
    try {
      parseJsonLenient('{');
      expect.unreachable();
    } catch (e) {
      expect((e as BodyDecodeError).code).toBe('NS_BAD_BODY');
    }
  });

  it('reads every legacy route body of the fixtures like the quoted form', () => {
    let seen = 0;
    for (const name of listFixtures()) {
      const { response } = loadFixture(name);
      if (response === null) continue;
      const text = response.toString('latin1');
      const i = text.indexOf('{"brokerDatas"');
      if (i < 0) continue;
      const body = response.subarray(i).toString('utf8');
      const quoted = body.replace(/([{,])(\d+):/g, '$1"$2":');
      expect(JSON.parse(JSON.stringify(parseJsonLenient(body)))).toEqual(JSON.parse(quoted));
      seen++;
    }
    expect(seen).toBeGreaterThan(5);
  });
});

describe('parseJsonTolerant properties', () => {
  const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

  it('agrees with JSON.parse on any valid JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        expect(plain(parseJsonTolerant(text))).toEqual(JSON.parse(text));
      }),
    );
  });

  it('reads fastjson legacy maps (bare integer keys) like their quoted form', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.integer({ min: -1000, max: 2 ** 40 }), fc.string()), {
          selector: (e) => e[0],
          maxLength: 6,
        }),
        (entries) => {
          const legacy = '{' + entries.map(([k, v]) => `${k}:${JSON.stringify(v)}`).join(',') + '}';
          const quoted =
            '{' + entries.map(([k, v]) => `"${k}":${JSON.stringify(v)}`).join(',') + '}';
          expect(plain(parseJsonLenient(legacy))).toEqual(JSON.parse(quoted));
        },
      ),
    );
  });

  it('never throws anything but BodyDecodeError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        try {
          parseJsonLenient(text);
        } catch (e) {
          expect(e).toBeInstanceOf(BodyDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
