/**
 * A JSON reader that accepts what fastjson 1.x accepts from Java peers (§3.1, §3.6): legacy bodies
 * with bare map keys (`{0:"a"}`), single-quoted strings, and stray or trailing commas.
 *
 * `JSON.parse` is tried first (the common case, and by far the fastest); only text it rejects goes
 * through the hand-written parser below. Every failure is a `BodyDecodeError`; nesting is bounded, so
 * hostile input cannot blow the stack, and the parser is a single forward scan, so it cannot hang.
 * Objects built by the tolerant path have a null prototype: a `__proto__` key is an ordinary own
 * property, never a prototype switch (`JSON.parse` already behaves that way).
 */
import { BodyDecodeError } from '../errors.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH, pruneJsonObject } from './json-skim.js';
import type { KeptMembers } from './json-skim.js';
import {
  CH_BACKSLASH,
  CH_COLON,
  CH_COMMA,
  CH_CR,
  CH_DQUOTE,
  CH_LBRACE,
  CH_LBRACKET,
  CH_LF,
  CH_MINUS,
  CH_RBRACE,
  CH_RBRACKET,
  CH_SPACE,
  CH_SQUOTE,
  CH_TAB,
} from './char-codes.js';

export { MAX_JSON_DEPTH };

/**
 * With `keep`, the text is an object whose other members nobody reads: they are checked
 * (pruneJsonObject) but not built, where the text (or its bare keys quoted) is strict JSON.
 * The tolerant parser, for the rest, builds them.
 */
export function parseJsonLenient(text: string, keep?: KeptMembers): unknown {
  // Nesting deeper than any real body (fastjson overflows its stack on it): refused by the
  // tolerant parser at MAX_JSON_DEPTH, where JSON.parse would take it, at a cost that grows faster
  // than the text (150 ms per MiB of `[[[[…`). Brackets in single-quoted strings may count here
  // too: such text is not JSON anyway, and the tolerant parser counts right.
  if (jsonNestingExceeds(text)) return new LenientParser(text).parseDocument();
  const pruned = keep === undefined ? null : pruneJsonObject(text, keep);
  try {
    return JSON.parse(pruned ?? text) as unknown;
  } catch {
    // Legacy fastjson output differs from JSON only by bare map keys: quoting them and using the
    // native parser is ~4x faster than the tolerant parser on large bodies.
    const quoted = quoteBareKeys(text);
    if (quoted !== null) {
      try {
        const prunedQuoted = keep === undefined ? null : pruneJsonObject(quoted, keep);
        return JSON.parse(prunedQuoted ?? quoted) as unknown;
      } catch {
        // fall through: single quotes, stray commas, or plain garbage
      }
    }
    return new LenientParser(text).parseDocument();
  }
}

/**
 * Quotes bare object keys (`{0:` / `,abc:` → `{"0":`), skipping double-quoted strings so string
 * contents are never rewritten. Returns null when nothing was quoted, the text uses single quotes
 * (left to the tolerant parser, which knows their escaping rules) or nests deeper than
 * MAX_JSON_DEPTH (so the bound holds on this path too). Strict JSON never gets here: V8's
 * JSON.parse is iterative, and the body readers only descend into known shapes.
 */
export function quoteBareKeys(text: string): string | null {
  let out = '';
  let last = 0;
  let changed = false;
  let depth = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === CH_RBRACE || c === CH_RBRACKET) depth--;
    else if (c === CH_LBRACKET && ++depth > MAX_JSON_DEPTH) return null;
    if (c === CH_DQUOTE) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === CH_BACKSLASH) i += 2;
        else if (d === CH_DQUOTE) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === CH_SQUOTE) return null;
    if (c === CH_LBRACE || c === CH_COMMA) {
      // Too deep for us: let the tolerant parser report it.
      if (c === CH_LBRACE && ++depth > MAX_JSON_DEPTH) return null;
      let j = i + 1;
      while (j < n && isWs(text.charCodeAt(j))) j++;
      const start = j;
      while (j < n && isBareKeyChar(text.charCodeAt(j))) j++;
      if (j > start) {
        let k = j;
        while (k < n && isWs(text.charCodeAt(k))) k++;
        if (k < n && text.charCodeAt(k) === CH_COLON) {
          out += text.slice(last, start) + '"' + text.slice(start, j) + '"';
          last = j;
          changed = true;
        }
      }
      i = j > i + 1 ? j : i + 1;
      continue;
    }
    i++;
  }
  if (!changed) return null;
  return out + text.slice(last);
}

function isWs(c: number): boolean {
  return c === CH_SPACE || c === CH_TAB || c === CH_LF || c === CH_CR;
}

/** The tolerant parser only, without the `JSON.parse` fast path (exported for tests). */
export function parseJsonTolerant(text: string): unknown {
  return new LenientParser(text).parseDocument();
}

type JsonObject = Record<string, unknown>;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Characters allowed in a bare (unquoted) key: what fastjson's identifier scan accepts, roughly. */
function isBareKeyChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f || // _
    c === 0x24 || // $
    c === CH_MINUS ||
    c === 0x2e || // .
    c > 0x7f
  );
}

class LenientParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    this.skipWs();
    const value = this.parseValue(0);
    this.skipWs();
    if (this.pos < this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private fail(what: string): never {
    throw new BodyDecodeError(`invalid JSON at offset ${this.pos}: ${what}`);
  }

  private skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === CH_SPACE || c === CH_TAB || c === CH_LF || c === CH_CR) this.pos++;
      else break;
    }
  }

  private parseValue(depth: number): unknown {
    if (this.pos >= this.text.length) this.fail('unexpected end of input');
    const c = this.text.charCodeAt(this.pos);
    if (c === CH_LBRACE) return this.parseObject(depth + 1);
    if (c === CH_LBRACKET) return this.parseArray(depth + 1);
    if (c === CH_DQUOTE || c === CH_SQUOTE) return this.parseString(c);
    if (c === CH_MINUS || isDigit(c)) return this.parseNumber();
    if (this.text.startsWith('true', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (this.text.startsWith('false', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (this.text.startsWith('null', this.pos)) {
      this.pos += 4;
      return null;
    }
    return this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
  }

  private parseObject(depth: number): JsonObject {
    this.checkDepth(depth);
    this.pos++; // {
    const obj = Object.create(null) as JsonObject;
    const t = this.text;
    for (;;) {
      this.skipWs();
      if (this.pos >= t.length) this.fail('unterminated object');
      let c = t.charCodeAt(this.pos);
      // Java: fastjson skips stray commas between members (`{,"a":1,,"b":2,}`).
      if (c === CH_COMMA) {
        this.pos++;
        continue;
      }
      if (c === CH_RBRACE) {
        this.pos++;
        return obj;
      }
      let key: string;
      if (c === CH_DQUOTE || c === CH_SQUOTE) key = this.parseString(c);
      else key = this.parseBareKey();
      this.skipWs();
      if (t.charCodeAt(this.pos) !== CH_COLON)
        this.fail(`expected ':' after key ${JSON.stringify(key)}`);
      this.pos++;
      this.skipWs();
      const value = this.parseValue(depth);
      // Own data property even for "__proto__" (Object.create(null) has no setter, but be explicit).
      Object.defineProperty(obj, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      this.skipWs();
      if (this.pos >= t.length) this.fail('unterminated object');
      c = t.charCodeAt(this.pos);
      if (c === CH_COMMA) this.pos++;
      else if (c !== CH_RBRACE) this.fail("expected ',' or '}' in object");
    }
  }

  private parseBareKey(): string {
    const start = this.pos;
    const t = this.text;
    while (this.pos < t.length && isBareKeyChar(t.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) this.fail('expected an object key');
    return t.slice(start, this.pos);
  }

  private parseArray(depth: number): unknown[] {
    this.checkDepth(depth);
    this.pos++; // [
    const arr: unknown[] = [];
    const t = this.text;
    for (;;) {
      this.skipWs();
      if (this.pos >= t.length) this.fail('unterminated array');
      let c = t.charCodeAt(this.pos);
      if (c === CH_COMMA) {
        this.pos++;
        continue;
      }
      if (c === CH_RBRACKET) {
        this.pos++;
        return arr;
      }
      arr.push(this.parseValue(depth));
      this.skipWs();
      if (this.pos >= t.length) this.fail('unterminated array');
      c = t.charCodeAt(this.pos);
      if (c === CH_COMMA) this.pos++;
      else if (c !== CH_RBRACKET) this.fail("expected ',' or ']' in array");
    }
  }

  private parseString(quote: number): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    let runStart = this.pos;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === quote) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === CH_BACKSLASH) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        out += this.parseEscape();
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
    return this.fail('unterminated string');
  }

  private parseEscape(): string {
    const t = this.text;
    if (this.pos >= t.length) this.fail('unterminated escape');
    const e = t[this.pos]!;
    this.pos++;
    switch (e) {
      case '"':
        return '"';
      case "'":
        return "'";
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hex = t.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        return this.fail(`bad escape \\${e}`);
    }
  }

  private parseNumber(): number {
    const t = this.text;
    const start = this.pos;
    if (t.charCodeAt(this.pos) === CH_MINUS) this.pos++;
    const intStart = this.pos;
    while (this.pos < t.length && isDigit(t.charCodeAt(this.pos))) this.pos++;
    if (this.pos === intStart) this.fail('expected digits');
    if (t.charCodeAt(this.pos) === 0x2e) {
      this.pos++;
      const fracStart = this.pos;
      while (this.pos < t.length && isDigit(t.charCodeAt(this.pos))) this.pos++;
      if (this.pos === fracStart) this.fail('expected digits after the decimal point');
    }
    const ec = t.charCodeAt(this.pos);
    if (ec === 0x65 || ec === 0x45) {
      this.pos++;
      const sc = t.charCodeAt(this.pos);
      if (sc === 0x2b || sc === CH_MINUS) this.pos++;
      const expStart = this.pos;
      while (this.pos < t.length && isDigit(t.charCodeAt(this.pos))) this.pos++;
      if (this.pos === expStart) this.fail('expected exponent digits');
    }
    // Java: fastjson accepts a type suffix after a number (`1L`, `2.5F`, `3D`); tolerate it too.
    const sfx = t.charCodeAt(this.pos);
    const n = Number(t.slice(start, this.pos));
    if (sfx === 0x4c || sfx === 0x46 || sfx === 0x44 || sfx === 0x53 || sfx === 0x42) this.pos++;
    return n;
  }
}
