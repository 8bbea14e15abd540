/**
 * JSON header (serializeType 0): fastjson's rendering of Java's RemotingCommand.
 *
 * Written exactly as Java writes it: compact, keys in alphabetical order
 *   code, extFields, flag, language, opaque, remark, serializeTypeCurrentRPC, version
 * with null fields left out and ext values as strings (extFields keeps the caller's key order,
 * which callers set to Java's HashMap order when byte-equality matters).
 *
 * Read as leniently as fastjson does: any key order, unknown keys ignored, missing keys keep their
 * defaults, numbers/booleans as ext values (ali-ons), `remark:""` (Go), language by name,
 * case-insensitive name or ordinal. Anything that is not a JSON object is a FrameError.
 */
import { FrameError } from './errors.js';
import { fastjsonString } from './json/fastjson-string.js';
import { parseJsonTolerant } from './json/lenient-parse.js';
import { languageFromJson } from './language-code.js';
import { newExtFields, type ExtFields, type RemotingCommand } from './remoting-command.js';
import { SerializeType } from './constants.js';

export function encodeJsonHeader(cmd: RemotingCommand): string {
  let s = '{"code":' + cmd.code;
  const ext = cmd.extFields;
  if (ext !== null) {
    s += ',"extFields":{';
    let first = true;
    for (const key in ext) {
      const value = ext[key];
      // Java's HashMap<String,String> may hold nulls; fastjson omits them.
      if (value === undefined || value === null) continue;
      s += (first ? '' : ',') + fastjsonString(key) + ':' + fastjsonString(value);
      first = false;
    }
    s += '}';
  }
  s += ',"flag":' + cmd.flag;
  if (cmd.language !== null) s += ',"language":"' + cmd.language + '"';
  s += ',"opaque":' + cmd.opaque;
  if (cmd.remark !== null) s += ',"remark":' + fastjsonString(cmd.remark);
  // The field reports the type of the header it is in; Java only ever writes it in JSON headers.
  s += ',"serializeTypeCurrentRPC":"JSON","version":' + cmd.version + '}';
  return s;
}

/** fastjson converts "105" to an int field too; anything else non-integral is rejected. */
function intField(obj: Record<string, unknown>, key: string, fallback: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new FrameError(
      'NS_BAD_JSON_HEADER',
      `JSON header field "${key}" is not a 32-bit integer`,
    );
  }
  return n;
}

function extFieldsFrom(v: unknown): ExtFields | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new FrameError('NS_BAD_JSON_HEADER', 'JSON header field "extFields" is not an object');
  }
  const ext = newExtFields();
  const src = v as Record<string, unknown>;
  // Object.keys rather than Object.entries: no [key, value] pair array per field (hot path).
  for (const key of Object.keys(src)) {
    const value = src[key];
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') ext[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') ext[key] = String(value);
    else {
      throw new FrameError(
        'NS_BAD_JSON_HEADER',
        `JSON header extFields["${key}"] is a ${Array.isArray(value) ? 'array' : typeof value}, expected a string`,
      );
    }
  }
  return ext;
}

/** fastjson turns a number or boolean remark into its text; an object or array is an error. */
function remarkFrom(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FrameError('NS_BAD_JSON_HEADER', 'JSON header field "remark" is not a string');
}

export function decodeJsonHeader(text: string, body: Buffer | null): RemotingCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      parsed = parseJsonTolerant(text);
    } catch (err) {
      throw new FrameError('NS_BAD_JSON_HEADER', 'JSON header is not valid JSON', { cause: err });
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FrameError('NS_BAD_JSON_HEADER', 'JSON header is not a JSON object');
  }
  const obj = parsed as Record<string, unknown>;
  const remark = obj['remark'];
  return {
    code: intField(obj, 'code', 0),
    // Java: a missing language keeps the field default JAVA; an unknown name becomes null.
    language: obj['language'] === undefined ? 'JAVA' : languageFromJson(obj['language']),
    version: intField(obj, 'version', 0),
    // Java assigns a server-local id to a command without opaque; its reply can't be matched
    // either way, so 0 is as good.
    opaque: intField(obj, 'opaque', 0),
    flag: intField(obj, 'flag', 0),
    remark: remarkFrom(remark),
    extFields: extFieldsFrom(obj['extFields']),
    body,
    serializeType: SerializeType.JSON,
  };
}
