/**
 * The engine behind the typed header codecs: a header is a list of fields in the Java class's
 * declaration order, each with its wire name and Java type.
 *
 * Decode follows Java's conversions (§1.10): String as is; int/long by decimal parse; boolean as
 * `equalsIgnoreCase("true")`. Unlike Java, a missing or unparsable *required* field throws a
 * `HeaderFieldError` naming the field; unparsable *optional* fields are ignored (left absent), as
 * Java leaves them at their default.
 *
 * Encode writes every non-null field as a string into a null-prototype object, keys inserted in the
 * iteration order of the `HashMap<String,String>` Java builds (`makeCustomHeaderToNet` puts the
 * fields in declaration order into a default-capacity HashMap), so frames are byte-equal.
 */
import { HeaderFieldError } from '../errors.js';
import type { ExtFields } from '../remoting-command.js';
import { javaStringHashOrder } from '../json/java-hash-order.js';

/** Java field types used by NameServer headers. `bool` is `Boolean`/`boolean`. */
export type HeaderFieldKind = 'string' | 'long' | 'int' | 'bool';

export interface HeaderField<P extends string = string> {
  /** Property name of the TS header object. */
  prop: P;
  /** Ext-field name on the wire (the Java field name, or e.g. `__ZONE_NAME`). */
  ext: string;
  kind: HeaderFieldKind;
  /** Enforced on decode (stricter than Java, on purpose). */
  required: boolean;
  /** Value when absent (Java primitive default, e.g. `compressed` false, `bodyCrc32` 0). */
  dflt?: string | number | boolean;
}

export interface HeaderSpec {
  /** Java class name, used in error messages. */
  name: string;
  fields: readonly HeaderField[];
}

const LONG_TEXT = /^[+-]?\d{1,19}$/;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function expectedOf(kind: HeaderFieldKind): string {
  switch (kind) {
    case 'string':
      return 'a string';
    case 'long':
      return 'a decimal long (within ±2^53)';
    case 'int':
      return 'a decimal 32-bit int';
    case 'bool':
      return '"true" or "false"';
  }
}

/** Java's conversion of one ext-field string; undefined when it does not parse. */
function convert(kind: HeaderFieldKind, raw: string): string | number | boolean | undefined {
  switch (kind) {
    case 'string':
      return raw;
    case 'bool':
      // Java: Boolean.parseBoolean — anything but "true" (any case) is false.
      return raw.length === 4 && raw.toLowerCase() === 'true';
    case 'long': {
      if (!LONG_TEXT.test(raw)) return undefined;
      const n = Number(raw);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'int': {
      if (!LONG_TEXT.test(raw)) return undefined;
      const n = Number(raw);
      return n >= INT_MIN && n <= INT_MAX ? n : undefined;
    }
  }
}

/** Ext values are strings when Java writes them; tolerate numbers/booleans from other clients. */
function rawValue(ext: Readonly<Record<string, unknown>> | null, key: string): string | undefined {
  if (ext === null) return undefined;
  if (!Object.prototype.hasOwnProperty.call(ext, key)) return undefined;
  const v = ext[key];
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Builds the typed header; throws `HeaderFieldError` for missing/bad required fields. */
export function decodeHeader(
  spec: HeaderSpec,
  ext: Readonly<Record<string, unknown>> | null,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const raw = rawValue(ext, f.ext);
    if (raw === undefined) {
      if (f.required) {
        throw new HeaderFieldError(
          'NS_MISSING_HEADER_FIELD',
          f.ext,
          `${spec.name}: missing required field "${f.ext}" (expected ${expectedOf(f.kind)})`,
        );
      }
      if (f.dflt !== undefined) out[f.prop] = f.dflt;
      continue;
    }
    const v = convert(f.kind, raw);
    if (v === undefined) {
      if (f.required) {
        throw new HeaderFieldError(
          'NS_BAD_HEADER_FIELD',
          f.ext,
          `${spec.name}: field "${f.ext}" is ${JSON.stringify(raw.length > 40 ? raw.slice(0, 40) + '…' : raw)}, expected ${expectedOf(f.kind)}`,
        );
      }
      if (f.dflt !== undefined) out[f.prop] = f.dflt;
      continue;
    }
    out[f.prop] = v;
  }
  return out;
}

/**
 * ExtFields of a header object (undefined/null properties skipped), in Java HashMap order.
 * `extra` fields (e.g. ACL `AccessKey`/`Signature`, added by Java after the header fields) join
 * the same map.
 */
export function encodeHeader(
  spec: HeaderSpec,
  header: object,
  extra?: Readonly<Record<string, string>>,
): ExtFields {
  const values = new Map<string, string>();
  const h = header as Record<string, unknown>;
  for (const f of spec.fields) {
    const v = h[f.prop];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') values.set(f.ext, v);
    else if (typeof v === 'number' || typeof v === 'boolean') values.set(f.ext, String(v));
    else throw new TypeError(`${spec.name}.${f.prop} must be a string, number or boolean`);
  }
  if (extra !== undefined) {
    for (const k of Object.keys(extra)) {
      const v = extra[k];
      if (v !== undefined && !values.has(k)) values.set(k, v);
    }
  }
  const out = Object.create(null) as ExtFields;
  for (const k of javaStringHashOrder([...values.keys()])) out[k] = values.get(k)!;
  return out;
}
