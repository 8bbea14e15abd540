/**
 * Reads the JSON the NameServer writes the way Java's fastjson does: objects may have unquoted
 * integer keys (`"brokerAddrs":{0:"127.0.0.1:10911"}`), which JSON.parse rejects. The scan
 * quotes such keys outside string literals and leaves everything else to JSON.parse, so a body
 * that is wrong in any other way still fails loudly.
 */
export function parseFastjson(text: string): unknown {
  let out = '';
  let inString = false;
  let i = 0;
  // After `{` or `,` (outside a string) an object key may follow.
  let keyMayFollow = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (ch === '"') inString = false;
      i += 1;
      continue;
    }
    if (ch === '"') {
      inString = true;
      keyMayFollow = false;
      out += ch;
      i += 1;
      continue;
    }
    if (keyMayFollow && (ch === '-' || (ch >= '0' && ch <= '9'))) {
      const match = /^-?\d+(?=\s*:)/.exec(text.slice(i));
      if (match !== null) {
        out += `"${match[0]}"`;
        i += match[0].length;
        keyMayFollow = false;
        continue;
      }
    }
    if (ch === '{' || ch === ',') keyMayFollow = true;
    else if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t') keyMayFollow = false;
    out += ch;
    i += 1;
  }
  return JSON.parse(out);
}
