/**
 * Turns the text of one setting (from a file, the environment, a flag or a remote update) into
 * a typed value, or says what was expected.
 *
 * Java (`MixAll#properties2Object`) silently ignores values it cannot parse and reads any boolean
 * other than "true" as false; we reject them instead so a typo never goes unnoticed.
 */
import type { ConfigKeySpec, ConfigValue } from './schema.js';

export type ParsedValue =
  | { readonly ok: true; readonly value: ConfigValue }
  | { readonly ok: false; readonly expected: string };

const INTEGER = /^[+-]?\d+$/;

/** What a spec accepts, for messages and usage text. */
export function describeExpected(spec: ConfigKeySpec): string {
  switch (spec.kind) {
    case 'int':
      return spec.zeroIsOff
        ? `0 (off) or an integer ${spec.min}..${spec.max}`
        : `an integer ${spec.min}..${spec.max}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      if (spec.check !== undefined) return spec.check.expected;
      return spec.emptyIsUnset ? 'a string' : 'a non-empty string';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
  }
}

/** Parses `raw` for `spec`. Surrounding whitespace is ignored (Java trims strings too). */
export function parseConfigValue(spec: ConfigKeySpec, raw: string): ParsedValue {
  const text = raw.trim();
  switch (spec.kind) {
    case 'int': {
      if (INTEGER.test(text)) {
        const n = Number(text);
        if (Number.isSafeInteger(n) && n >= spec.min && n <= spec.max)
          return { ok: true, value: n };
        if (n === 0 && spec.zeroIsOff) return { ok: true, value: 0 };
      }
      break;
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true') return { ok: true, value: true };
      if (lower === 'false') return { ok: true, value: false };
      break;
    }
    case 'string':
      if (text === '' && spec.emptyIsUnset) return { ok: true, value: text };
      if (text !== '' && (spec.check === undefined || spec.check.test(text))) {
        return { ok: true, value: text };
      }
      break;
    case 'enum': {
      const lower = text.toLowerCase();
      const hit = spec.values.find((v) => v.toLowerCase() === lower);
      if (hit !== undefined) return { ok: true, value: hit };
      break;
    }
  }
  return { ok: false, expected: describeExpected(spec) };
}

/** Quotes a user-supplied value for a message, cut to a readable length, controls escaped. */
export function quoteValue(raw: string): string {
  const cut = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
  let out = "'";
  for (let i = 0; i < cut.length; i++) {
    const c = cut.charCodeAt(i);
    out += c < 0x20 || c === 0x7f ? `\\u${c.toString(16).padStart(4, '0')}` : cut.charAt(i);
  }
  return out + "'";
}
