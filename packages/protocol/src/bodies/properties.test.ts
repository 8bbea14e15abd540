import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BodyDecodeError } from '../errors.js';
import { loadFixture, sliceFrame } from '../../test/fixtures.js';
import {
  decodePropertiesBody,
  formatProperties,
  parseProperties,
  parsePropertiesEntries,
} from './properties.js';

function bodyOf(frame: Buffer | null): Buffer {
  if (frame === null) throw new Error('fixture has no frame');
  const { body } = sliceFrame(frame);
  if (body === null) throw new Error('fixture frame has no body');
  return body;
}

describe('parseProperties (java.util.Properties#load rules)', () => {
  it('reads =, : and whitespace separators', () => {
    const m = parseProperties('a=1\nb:2\nc 3\nd\t4\ne = 5\nf : 6\ng   =   7\n');
    expect([...m]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
      ['e', '5'],
      ['f', '6'],
      ['g', '7'],
    ]);
  });

  it('takes only one separator: the rest belongs to the value', () => {
    expect(parseProperties('a==b').get('a')).toBe('=b');
    expect(parseProperties('a :=b').get('a')).toBe('=b');
    expect(parseProperties('a b=c').get('a')).toBe('b=c');
    expect(parseProperties('url=http://x:1/y').get('url')).toBe('http://x:1/y');
  });

  it('keeps trailing blanks of values and skips leading blanks of lines', () => {
    const m = parseProperties('   \t\fkey=value  \n');
    expect(m.get('key')).toBe('value  ');
  });

  it('ignores # and ! comments and blank lines, only at line start', () => {
    const m = parseProperties('# c1\n  ! c2\n\n\r\nk=v#not comment\n');
    expect([...m]).toEqual([['k', 'v#not comment']]);
  });

  it('handles \\n, \\r and \\r\\n line ends', () => {
    const m = parseProperties('a=1\rb=2\r\nc=3\nd=4');
    expect([...m]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
    ]);
  });

  it('joins continuation lines and skips their leading blanks', () => {
    const m = parseProperties('fruits = apple, \\\n    banana, \\\r\n\tpear\nnext=1\n');
    expect(m.get('fruits')).toBe('apple, banana, pear');
    expect(m.get('next')).toBe('1');
  });

  it('an even run of backslashes is not a continuation', () => {
    const m = parseProperties('a=x\\\\\nb=y\n');
    expect(m.get('a')).toBe('x\\');
    expect(m.get('b')).toBe('y');
  });

  it('a comment line never continues; a continued line starting with # is not a comment', () => {
    const m = parseProperties('# comment \\\nk=v\nx=1\\\n# part of x\n');
    expect(m.get('k')).toBe('v');
    expect(m.get('x')).toBe('1# part of x');
  });

  it('an empty continuation line ends the logical line', () => {
    const m = parseProperties('a=b\\\n\n c=d\n');
    expect([...m]).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('drops a dangling backslash at end of input', () => {
    expect(parseProperties('a=b\\').get('a')).toBe('b');
    expect(parseProperties('a=b\\\n   ').get('a')).toBe('b');
  });

  it('decodes escapes in keys and values', () => {
    const m = parseProperties(
      'k\\ e\\=y\\:z = \\u0041\\u00e9\\t\\n\\r\\f\\q\\\\\n\\#notcomment=1\n\\ lead=\\ x\n',
    );
    expect(m.get('k e=y:z')).toBe('A\u00e9\t\n\r\fq\\');
    expect(m.get('#notcomment')).toBe('1');
    expect(m.get(' lead')).toBe(' x');
  });

  it('keys without a value get the empty string; an empty key is allowed', () => {
    const m = parseProperties('lonely\nother=\n=v\n');
    expect(m.get('lonely')).toBe('');
    expect(m.get('other')).toBe('');
    expect(m.get('')).toBe('v');
  });

  it('later duplicates win', () => {
    expect(parseProperties('a=1\na=2\n').get('a')).toBe('2');
  });

  it('reports the line each entry starts on', () => {
    const entries = parsePropertiesEntries('# header\n\na=1\nb=2 \\\n  3\r\nc=4\n');
    expect(entries.map((e) => [e.key, e.line])).toEqual([
      ['a', 3],
      ['b', 4],
      ['c', 6],
    ]);
  });

  it('rejects malformed \\u escapes with BodyDecodeError naming the line', () => {
    expect(() => parseProperties('a=1\nb=\\u12g4\n')).toThrow(BodyDecodeError);
    expect(() => parseProperties('a=1\nb=\\u12g4\n')).toThrow(/line 2/);
    expect(() => parseProperties('b=\\u12')).toThrow(BodyDecodeError);
    try {
      parseProperties('x=\\uZZZZ');
      expect.unreachable();
    } catch (err) {
      expect((err as BodyDecodeError).code).toBe('NS_BAD_BODY');
    }
  });
});

// Strings biased towards the characters the properties grammar treats specially.
const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom(' ', '\\', '=', ':', '#', '!', '\n', '\r', '\t', '\f', 'u', 'a', '\u00e9'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

describe('formatProperties', () => {
  it('writes key=value\\n lines like Java MixAll#properties2String', () => {
    expect(
      formatProperties([
        ['listenPort', '9876'],
        ['kvConfigPath', '/home/x/namesrv/kvConfig.json'],
      ]),
    ).toBe('listenPort=9876\nkvConfigPath=/home/x/namesrv/kvConfig.json\n');
    expect(formatProperties([])).toBe('');
  });

  it('reproduces the get-namesrv-config fixture body byte for byte', () => {
    const body = bodyOf(loadFixture('get-namesrv-config').response);
    const text = body.toString('latin1');
    const entries = parsePropertiesEntries(text);
    expect(entries).toHaveLength(20);
    expect(entries[0]).toEqual({ key: 'serverSocketBacklog', value: '1024', line: 1 });
    const again = Buffer.from(formatProperties(entries.map((e) => [e.key, e.value])), 'utf8');
    expect(again.equals(body)).toBe(true);
    const m = parseProperties(text);
    expect(m.get('configStorePath')).toBe('/opt/rocketmq/conf/namesrv.properties');
    expect(m.get('serverPooledByteBufAllocatorEnable')).toBe('true');
  });

  it('reads the update-namesrv-config request bodies', () => {
    expect([...decodePropertiesBody(bodyOf(loadFixture('update-namesrv-config').request))]).toEqual(
      [['orderMessageEnable', 'true']],
    );
    expect([
      ...decodePropertiesBody(bodyOf(loadFixture('update-namesrv-config-forbidden').request)),
    ]).toEqual([['kvConfigPath', '/tmp/not-allowed.json']]);
  });

  it('escapes only what would not survive a Java round trip', () => {
    const text = formatProperties([
      ['a b', ' lead\\x\ny'],
      ['#k', 'v#=:!'],
      ['k=:', '\u00e9\u4e2d'],
    ]);
    expect(text).toBe('a\\ b=\\ lead\\\\x\\ny\n\\#k=v#=:!\nk\\=\\:=\\u00E9\\u4E2D\n');
  });

  it('round-trips arbitrary entries', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(tricky, tricky), { maxLength: 8 }), (pairs) => {
        const expected = new Map<string, string>();
        for (const [k, v] of pairs) expected.set(k, v);
        expect(parseProperties(formatProperties(expected))).toEqual(expected);
        expect(parseProperties(formatProperties(expected).replaceAll('\n', '\r\n'))).toEqual(
          expected,
        );
      }),
    );
  });
});

describe('parseProperties on arbitrary input', () => {
  it('either parses or throws BodyDecodeError', () => {
    fc.assert(
      fc.property(tricky, fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
        for (const text of [a + b, b + a, '\\u' + a]) {
          try {
            parseProperties(text);
          } catch (err) {
            expect(err).toBeInstanceOf(BodyDecodeError);
          }
        }
      }),
    );
  });
});

describe('decodePropertiesBody (Java charset behaviour)', () => {
  it('mangles raw non-ASCII the way Java does, while \\u escapes arrive intact', () => {
    const raw = decodePropertiesBody(Buffer.from('productEnvName=\u00e9\n', 'utf8'));
    expect(raw.get('productEnvName')).toBe('\u00c3\u00a9');
    const escaped = decodePropertiesBody(Buffer.from('productEnvName=\\u00e9\n', 'utf8'));
    expect(escaped.get('productEnvName')).toBe('\u00e9');
  });

  it('accepts a body that is a view into a larger buffer', () => {
    const big = Buffer.from('xxxxa=1\n', 'latin1');
    expect(decodePropertiesBody(big.subarray(4)).get('a')).toBe('1');
  });
});
