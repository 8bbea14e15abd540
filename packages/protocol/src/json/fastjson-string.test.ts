import { describe, expect, it } from 'vitest';
import { fastjsonString } from './fastjson-string.js';

describe('fastjsonString', () => {
  it('legacy mode escapes what fastjson 1.2.69 escapes by default, U+2028 and U+2029 included', () => {
    expect(fastjsonString('a/é\u0001"\\\n')).toBe('"a/é\\u0001\\"\\\\\\n"');
    expect(fastjsonString('\u007f\u009f\u00a0')).toBe('"\\u007F\\u009F\u00a0"');
    // The line and paragraph separators (SerializeWriter.writeStringWithDoubleQuote): escaped,
    // whatever else the string holds.
    expect(fastjsonString('x\u2028y\u2029z')).toBe('"x\\u2028y\\u2029z"');
    expect(fastjsonString('\u2027\u202a')).toBe('"\u2027\u202a"');
  });

  it('browser-compatible mode escapes `/` and every code point from 0x7F', () => {
    expect(fastjsonString('a/é\u2028', true)).toBe('"a\\/\\u00E9\\u2028"');
  });
});
