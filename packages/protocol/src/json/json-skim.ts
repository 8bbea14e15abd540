/**
 * Strict JSON checked without being built: what `JSON.parse` accepts, read in one forward pass
 * with no object, array or string made, and nesting bounded by MAX_JSON_DEPTH.
 *
 * Used where a body carries members nobody reads (a broker's unknown fields): they are checked
 * (the body must still be valid JSON, else the full decoder answers the error) but not
 * materialized, so a crafted member costs a scan per byte, not what `JSON.parse` spends on a
 * million tiny keys or a million nested arrays.
 */
import {
  CH_BACKSLASH,
  CH_COLON,
  CH_COMMA,
  CH_CR,
  CH_DOT,
  CH_DQUOTE,
  CH_LBRACE,
  CH_LBRACKET,
  CH_LF,
  CH_MINUS,
  CH_NINE,
  CH_PLUS,
  CH_RBRACE,
  CH_RBRACKET,
  CH_SPACE,
  CH_TAB,
  CH_ZERO,
} from './char-codes.js';

/** Deeper nesting than this is rejected; real bodies nest at most 6 levels. */
export const MAX_JSON_DEPTH = 512;

/**
 * Whether `text` nests objects and arrays deeper than `max` (brackets inside double-quoted
 * strings do not count). For any text, not only valid JSON: a cheap scan to run before handing
 * text to `JSON.parse`, whose time grows faster than the input on deep nesting.
 */
export function jsonNestingExceeds(text: string, max: number = MAX_JSON_DEPTH): boolean {
  const n = text.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === CH_DQUOTE) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === CH_BACKSLASH) i++;
        else if (d === CH_DQUOTE) break;
      }
    } else if (c === CH_LBRACE || c === CH_LBRACKET) {
      if (++depth > max) return true;
    } else if (c === CH_RBRACE || c === CH_RBRACKET) {
      depth--;
    }
  }
  return false;
}

function ws(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === CH_SPACE || c === CH_LF || c === CH_CR || c === CH_TAB) i++;
    else return i;
  }
}

function isHex(c: number): boolean {
  return (c >= CH_ZERO && c <= CH_NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Set by skipString: whether the string it last read has an escape. */
let lastStringEscaped = false;

/** End (after the closing quote) of the JSON string opening at `i`; -1 if not a valid one. */
function skipString(s: string, i: number): number {
  if (s.charCodeAt(i) !== CH_DQUOTE) return -1;
  const n = s.length;
  let escaped = false;
  i++;
  for (;;) {
    if (i >= n) return -1;
    const c = s.charCodeAt(i);
    if (c === CH_DQUOTE) break;
    if (c < 0x20) return -1;
    if (c === CH_BACKSLASH) {
      escaped = true;
      const e = s.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        if (
          !isHex(s.charCodeAt(i + 2)) ||
          !isHex(s.charCodeAt(i + 3)) ||
          !isHex(s.charCodeAt(i + 4)) ||
          !isHex(s.charCodeAt(i + 5))
        ) {
          return -1;
        }
        i += 6;
      } else if (
        e === CH_DQUOTE ||
        e === CH_BACKSLASH ||
        e === 0x2f /* / */ ||
        e === 0x62 /* b */ ||
        e === 0x66 /* f */ ||
        e === 0x6e /* n */ ||
        e === 0x72 /* r */ ||
        e === 0x74 /* t */
      ) {
        i += 2;
      } else {
        return -1;
      }
    } else {
      i++;
    }
  }
  lastStringEscaped = escaped;
  return i + 1;
}

function digits(s: string, i: number): number {
  const start = i;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c >= CH_ZERO && c <= CH_NINE) i++;
    else return i > start ? i : -1;
  }
}

/** End of the JSON number at `i`; -1 if not a valid one. */
function skipNumber(s: string, i: number): number {
  if (s.charCodeAt(i) === CH_MINUS) i++;
  if (s.charCodeAt(i) === CH_ZERO) i++;
  else if ((i = digits(s, i)) < 0) return -1;
  if (s.charCodeAt(i) === CH_DOT && (i = digits(s, i + 1)) < 0) return -1;
  const e = s.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = s.charCodeAt(i);
    if (sign === CH_PLUS || sign === CH_MINUS) i++;
    if ((i = digits(s, i)) < 0) return -1;
  }
  return i;
}

/** End of `"key"` + whitespace + `:` + whitespace at `i`; -1 if not that. */
function skipKey(s: string, i: number): number {
  i = skipString(s, i);
  if (i < 0) return -1;
  i = ws(s, i);
  if (s.charCodeAt(i) !== CH_COLON) return -1;
  return ws(s, i + 1);
}

/**
 * End (exclusive) of the strict JSON value starting at `i` (no whitespace before it), or -1 when
 * there is none there or it nests deeper than `maxDepth` containers. Nothing is built.
 */
export function skipJsonValue(s: string, i: number, maxDepth: number): number {
  // Per open container: whether it is an object.
  const isObject: boolean[] = [];
  let depth = 0;
  for (;;) {
    // A value starts at i.
    const c = s.charCodeAt(i);
    if (c === CH_LBRACE || c === CH_LBRACKET) {
      if (depth >= maxDepth) return -1;
      const close = c === CH_LBRACE ? CH_RBRACE : CH_RBRACKET;
      i = ws(s, i + 1);
      if (s.charCodeAt(i) === close) {
        i++;
      } else {
        isObject[depth++] = c === CH_LBRACE;
        if (c === CH_LBRACE && (i = skipKey(s, i)) < 0) return -1;
        continue;
      }
    } else if (c === CH_DQUOTE) {
      if ((i = skipString(s, i)) < 0) return -1;
    } else if (c === CH_MINUS || (c >= CH_ZERO && c <= CH_NINE)) {
      if ((i = skipNumber(s, i)) < 0) return -1;
    } else if (s.startsWith('true', i) || s.startsWith('null', i)) {
      i += 4;
    } else if (s.startsWith('false', i)) {
      i += 5;
    } else {
      return -1;
    }
    // After a value: close containers until one goes on with a comma.
    for (;;) {
      if (depth === 0) return i;
      i = ws(s, i);
      const d = s.charCodeAt(i);
      const obj = isObject[depth - 1]!;
      if (d === CH_COMMA) {
        i = ws(s, i + 1);
        if (obj && (i = skipKey(s, i)) < 0) return -1;
        break;
      }
      if (d !== (obj ? CH_RBRACE : CH_RBRACKET)) return -1;
      depth--;
      i++;
    }
  }
}

/** Which members of an object to keep; `nested`: a member whose object value is pruned too. */
export interface KeptMembers {
  readonly keys: ReadonlySet<string>;
  readonly nested?: { readonly key: string; readonly keep: KeptMembers };
}

/**
 * `text` (a JSON object) with the members `keep` does not name left out: the kept members' text
 * as it was, the others checked (skipJsonValue) and dropped. `JSON.parse` of the answer gives the
 * object `JSON.parse(text)` gives, less those members (repeated keys stay, so the last still
 * wins). Null when `text` is not strict JSON, is not an object, or nests deeper than
 * MAX_JSON_DEPTH.
 */
export function pruneJsonObject(text: string, keep: KeptMembers): string | null {
  const i = ws(text, 0);
  const pruned = pruneObject(text, i, keep, MAX_JSON_DEPTH);
  if (pruned === null) return null;
  if (ws(text, pruned.end) !== text.length) return null;
  return pruned.text;
}

function pruneObject(
  s: string,
  i: number,
  keep: KeptMembers,
  maxDepth: number,
): { text: string; end: number } | null {
  if (s.charCodeAt(i) !== CH_LBRACE || maxDepth < 1) return null;
  let out = '{';
  i = ws(s, i + 1);
  if (s.charCodeAt(i) === CH_RBRACE) return { text: '{}', end: i + 1 };
  for (;;) {
    const keyStart = i;
    const keyEnd = skipString(s, i);
    if (keyEnd < 0) return null;
    const escaped = lastStringEscaped;
    i = ws(s, keyEnd);
    if (s.charCodeAt(i) !== CH_COLON) return null;
    i = ws(s, i + 1);
    const key = escaped
      ? (JSON.parse(s.slice(keyStart, keyEnd)) as string)
      : s.slice(keyStart + 1, keyEnd - 1);
    const valueStart = i;
    if (keep.nested !== undefined && key === keep.nested.key && s.charCodeAt(i) === CH_LBRACE) {
      const inner = pruneObject(s, i, keep.nested.keep, maxDepth - 1);
      if (inner === null) return null;
      i = inner.end;
      out += (out.length > 1 ? ',' : '') + s.slice(keyStart, keyEnd) + ':' + inner.text;
    } else {
      i = skipJsonValue(s, i, maxDepth - 1);
      if (i < 0) return null;
      if (keep.keys.has(key)) {
        out +=
          (out.length > 1 ? ',' : '') + s.slice(keyStart, keyEnd) + ':' + s.slice(valueStart, i);
      }
    }
    i = ws(s, i);
    const c = s.charCodeAt(i);
    if (c === CH_RBRACE) return { text: out + '}', end: i + 1 };
    if (c !== CH_COMMA) return null;
    i = ws(s, i + 1);
  }
}
