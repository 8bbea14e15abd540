/**
 * Java `java.util.Properties` text, the body format of UPDATE_NAMESRV_CONFIG (318) and
 * GET_NAMESRV_CONFIG (319) and the format of `namesrv.properties` files.
 *
 * Reading follows `Properties#load` exactly:
 *   - natural lines end at `\n`, `\r` or `\r\n`; leading ` `, `\t`, `\f` of a line is skipped;
 *   - a line whose first non-blank char is `#` or `!` is a comment (comments never continue);
 *   - a line ending in an odd number of backslashes continues on the next line, whose leading
 *     blanks are skipped; a dangling backslash at end of input is dropped;
 *   - the key ends at the first unescaped `=`, `:` or blank; blanks, then at most one `=`/`:`,
 *     then blanks separate it from the value;
 *   - escapes: `\uXXXX`, `\t` `\n` `\r` `\f`, and `\x` = `x` for any other char.
 *   - a later duplicate key wins.
 *
 * Writing follows Java `MixAll#properties2String`, which emits raw `key=value\n` lines (the
 * fixture get-namesrv-config shows the exact bytes). Java does no escaping at all, so a value with
 * a backslash, a newline or leading blanks does not survive a round trip; we escape just those
 * (plus non-ASCII as `\uXXXX`, because Java readers decode the bytes as ISO-8859-1). Every value a
 * Java namesrv actually holds (numbers, booleans, plain paths) renders byte-identically.
 */
import { BodyDecodeError } from '../errors.js';

/** One `key=value` of a properties text; `line` is the 1-based line the entry starts on. */
export interface PropertiesEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const FF = 0x0c;
const BACKSLASH = 0x5c;
const HASH = 0x23;
const BANG = 0x21;
const EQUALS = 0x3d;
const COLON = 0x3a;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === FF;
}

/** Every entry in file order (duplicates kept), each with the line it starts on. */
export function parsePropertiesEntries(text: string): PropertiesEntry[] {
  const entries: PropertiesEntry[] = [];
  const n = text.length;
  let i = 0;
  let lineNo = 1;

  // Consumes one line terminator at i (if any) and counts the line.
  const endLine = (): void => {
    if (i >= n) return;
    const c = text.charCodeAt(i);
    if (c === CR) {
      i++;
      if (i < n && text.charCodeAt(i) === LF) i++;
      lineNo++;
    } else if (c === LF) {
      i++;
      lineNo++;
    }
  };
  const skipBlanks = (): void => {
    while (i < n && isBlank(text.charCodeAt(i))) i++;
  };
  const scanToLineEnd = (): number => {
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === LF || c === CR) break;
      j++;
    }
    return j;
  };

  while (i < n) {
    skipBlanks();
    if (i >= n) break;
    const first = text.charCodeAt(i);
    if (first === LF || first === CR) {
      endLine();
      continue;
    }
    if (first === HASH || first === BANG) {
      i = scanToLineEnd();
      endLine();
      continue;
    }

    // One logical line: natural lines joined while they end in an odd run of backslashes.
    const startLine = lineNo;
    let logical = '';
    for (;;) {
      const end = scanToLineEnd();
      let backslashes = 0;
      while (end - backslashes - 1 >= i && text.charCodeAt(end - backslashes - 1) === BACKSLASH) {
        backslashes++;
      }
      if (backslashes % 2 === 1) {
        logical += text.slice(i, end - 1);
        i = end;
        endLine();
        skipBlanks();
        // Java: a continuation at end of input simply ends the logical line.
        if (i >= n) break;
        continue;
      }
      logical += text.slice(i, end);
      i = end;
      endLine();
      break;
    }
    entries.push(splitEntry(logical, startLine));
  }
  return entries;
}

/** Java `Properties#load0`: cut a logical line into key and value, then unescape both. */
function splitEntry(line: string, lineNo: number): PropertiesEntry {
  const limit = line.length;
  let keyLen = 0;
  let valueStart = limit;
  let hasSep = false;
  let precedingBackslash = false;
  while (keyLen < limit) {
    const c = line.charCodeAt(keyLen);
    if ((c === EQUALS || c === COLON) && !precedingBackslash) {
      valueStart = keyLen + 1;
      hasSep = true;
      break;
    }
    if (isBlank(c) && !precedingBackslash) {
      valueStart = keyLen + 1;
      break;
    }
    precedingBackslash = c === BACKSLASH ? !precedingBackslash : false;
    keyLen++;
  }
  while (valueStart < limit) {
    const c = line.charCodeAt(valueStart);
    if (!isBlank(c)) {
      if (!hasSep && (c === EQUALS || c === COLON)) hasSep = true;
      else break;
    }
    valueStart++;
  }
  return {
    key: unescape(line, 0, keyLen, lineNo),
    value: unescape(line, valueStart, limit, lineNo),
    line: lineNo,
  };
}

/** Java `Properties#loadConvert`. */
function unescape(s: string, from: number, to: number, lineNo: number): string {
  const firstEscape = s.indexOf('\\', from);
  if (firstEscape === -1 || firstEscape >= to) return s.slice(from, to);
  let out = s.slice(from, firstEscape);
  let i = firstEscape;
  while (i < to) {
    const c = s.charCodeAt(i++);
    if (c !== BACKSLASH) {
      out += String.fromCharCode(c);
      continue;
    }
    // A trailing lone backslash cannot reach here: the line reader drops it.
    const e = s.charAt(i++);
    switch (e) {
      case 'u': {
        const hex = s.slice(i, i + 4);
        if (i + 4 > to || !/^[0-9a-fA-F]{4}$/.test(hex)) {
          // Java: IllegalArgumentException "Malformed \uxxxx encoding."
          throw new BodyDecodeError(
            `properties line ${lineNo}: malformed \\uxxxx encoding '\\u${s.slice(i, Math.min(i + 4, to))}'`,
          );
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 'f':
        out += '\f';
        break;
      default:
        out += e;
    }
  }
  return out;
}

/** `Properties#load` semantics: key → value, a later duplicate wins. */
export function parseProperties(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const { key, value } of parsePropertiesEntries(text)) map.set(key, value);
  return map;
}

/**
 * Decodes an UPDATE_NAMESRV_CONFIG body the way the Java namesrv does: bytes → String as UTF-8,
 * back to UTF-8 bytes, then `Properties#load(InputStream)`, which reads ISO-8859-1. ASCII and
 * `\uXXXX` escapes come through intact; raw non-ASCII arrives mangled, exactly as in Java.
 */
export function decodePropertiesBody(body: Uint8Array): Map<string, string> {
  let ascii = true;
  for (const b of body) {
    if (b >= 0x80) {
      ascii = false;
      break;
    }
  }
  const bytes = ascii
    ? body
    : new TextEncoder().encode(new TextDecoder('utf-8', { ignoreBOM: true }).decode(body));
  return parseProperties(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'),
  );
}

const HEX = '0123456789ABCDEF';

function unicodeEscape(c: number): string {
  return (
    '\\u' +
    HEX.charAt((c >> 12) & 0xf) +
    HEX.charAt((c >> 8) & 0xf) +
    HEX.charAt((c >> 4) & 0xf) +
    HEX.charAt(c & 0xf)
  );
}

/** Whether `s` needs any escape; only such strings pay for the rebuilding loop. */
function needsEscape(s: string, isKey: boolean): boolean {
  if (s.length === 0) return false;
  const first = s.charCodeAt(0);
  if (first === SPACE || (isKey && (first === HASH || first === BANG))) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return true;
    if (isKey && (c === SPACE || c === EQUALS || c === COLON)) return true;
  }
  return false;
}

function escape(s: string, isKey: boolean): string {
  if (!needsEscape(s, isKey)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case BACKSLASH:
        out += '\\\\';
        break;
      case TAB:
        out += '\\t';
        break;
      case LF:
        out += '\\n';
        break;
      case CR:
        out += '\\r';
        break;
      case FF:
        out += '\\f';
        break;
      case SPACE:
        out += isKey || i === 0 ? '\\ ' : ' ';
        break;
      case EQUALS:
      case COLON:
        out += isKey ? '\\' + String.fromCharCode(c) : String.fromCharCode(c);
        break;
      case HASH:
      case BANG:
        out += isKey && i === 0 ? '\\' + String.fromCharCode(c) : String.fromCharCode(c);
        break;
      default:
        out += c < 0x20 || c > 0x7e ? unicodeEscape(c) : String.fromCharCode(c);
    }
  }
  return out;
}

/**
 * `key=value\n` per entry, in the given order (Java 5.x sorts by key; 4.9 uses hash order —
 * the caller chooses). Output is pure ASCII and reads back to the same entries.
 */
export function formatProperties(entries: Iterable<readonly [string, string]>): string {
  let out = '';
  for (const [key, value] of entries) out += escape(key, true) + '=' + escape(value, false) + '\n';
  return out;
}
