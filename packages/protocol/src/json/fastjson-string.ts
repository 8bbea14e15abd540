/**
 * JSON string literals the way fastjson 1.2.69 writes them.
 *
 * Legacy (default) mode: `"` and `\` escaped, \b \t \n \f \r short escapes, other code points
 * 0x00–0x1F and 0x7F–0x9F as \u00XX (upper-case hex), U+2028 and U+2029 (the line and paragraph
 * separators) as \u2028 / \u2029 (SerializeWriter.writeStringWithDoubleQuote, 1.2.69),
 * everything else raw (including `/`).
 * Browser-compatible mode (the "standard JSON" route body): additionally `/` → `\/` and every
 * code point ≥ 0x7F → \uXXXX.
 */

const HEX = '0123456789ABCDEF';

function u4(c: number): string {
  return '\\u' + HEX[(c >> 12) & 15]! + HEX[(c >> 8) & 15]! + HEX[(c >> 4) & 15]! + HEX[c & 15]!;
}

// Fast check: does the string need any escaping in legacy mode?
const LEGACY_NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const BROWSER_NEEDS_ESCAPE = /["\\/\u0000-\u001f\u007f-\uffff]/;

export function fastjsonString(s: string, browserCompatible = false): string {
  if (!(browserCompatible ? BROWSER_NEEDS_ESCAPE : LEGACY_NEEDS_ESCAPE).test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x2f:
        out += browserCompatible ? '\\/' : '/';
        break;
      default:
        if (
          c < 0x20 ||
          (c >= 0x7f && c <= 0x9f) ||
          c === 0x2028 ||
          c === 0x2029 ||
          (browserCompatible && c >= 0x7f)
        ) {
          out += u4(c);
        } else out += s[i]!;
    }
  }
  return out + '"';
}
