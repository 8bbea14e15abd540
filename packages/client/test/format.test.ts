/** nsadmin's JSON conversion keeps every key, `__proto__` included. */
import { describe, expect, it } from 'vitest';
import { formatJson, toJsonValue } from '../src/cli/format.js';

describe('toJsonValue', () => {
  it('keeps a key named __proto__ from a Map and from an object, without touching prototypes', () => {
    const fromMap = toJsonValue(
      new Map<string, unknown>([
        ['__proto__', 'x'],
        ['k', new Map([['__proto__', 'nested']])],
      ]),
    ) as Record<string, unknown>;
    expect(Object.keys(fromMap)).toEqual(['__proto__', 'k']);
    expect(Object.getPrototypeOf(fromMap)).toBe(Object.prototype);
    expect(JSON.parse(formatJson(fromMap))).toEqual(
      JSON.parse('{"__proto__":"x","k":{"__proto__":"nested"}}'),
    );

    // JSON.parse makes __proto__ an own key; a copy must keep it as one.
    const parsed: unknown = JSON.parse('{"__proto__":{"a":1},"b":2}');
    expect(formatJson(parsed)).toBe('{\n  "__proto__": {\n    "a": 1\n  },\n  "b": 2\n}\n');
  });
});
