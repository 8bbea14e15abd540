/**
 * Reading request-header fields out of `extFields`, the way the handlers need them.
 *
 * Java decodes a header class leniently (§1.10): a missing "required" field is only logged and the
 * handler then fails somewhere later (an NPE → SYSTEM_ERROR with a stack-frame remark, or a
 * TOPIC_NOT_EXIST for the topic "null"). We are deliberately stricter: a missing required field or
 * an unparsable number throws `HeaderFieldError` naming the field, and the dispatcher answers
 * SYSTEM_ERROR `missing required header field "<name>"` / `invalid header field …`.
 */
import { HeaderFieldError } from '@ns/protocol';
import type { ExtFields } from '@ns/protocol';

const LONG_PATTERN = /^[+-]?\d{1,19}$/;

export function requiredString(ext: ExtFields | null, field: string): string {
  const v = ext?.[field];
  if (v === undefined) {
    throw new HeaderFieldError(
      'NS_MISSING_HEADER_FIELD',
      field,
      `missing required header field "${field}"`,
    );
  }
  return v;
}

export function optionalString(ext: ExtFields | null, field: string): string | null {
  return ext?.[field] ?? null;
}

/** Java `Long.parseLong`; the value must be a safe integer for us (ids, timeouts, epochs are). */
function parseLong(field: string, v: string): number {
  const n = LONG_PATTERN.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new HeaderFieldError(
      'NS_BAD_HEADER_FIELD',
      field,
      `invalid header field "${field}": expected an integer, got "${v}"`,
    );
  }
  return n;
}

export function requiredLong(ext: ExtFields | null, field: string): number {
  return parseLong(field, requiredString(ext, field));
}

export function optionalLong(ext: ExtFields | null, field: string): number | null {
  const v = ext?.[field];
  return v === undefined ? null : parseLong(field, v);
}

/** Java `Integer.parseInt` range. */
export function optionalInt(ext: ExtFields | null, field: string): number | null {
  const n = optionalLong(ext, field);
  if (n !== null && (n > 2147483647 || n < -2147483648)) {
    throw new HeaderFieldError(
      'NS_BAD_HEADER_FIELD',
      field,
      `invalid header field "${field}": ${n} is out of the int range`,
    );
  }
  return n;
}

/** Java `Boolean.parseBoolean`: "true" ignoring case, anything else false. Absent → null. */
export function optionalBoolean(ext: ExtFields | null, field: string): boolean | null {
  const v = ext?.[field];
  return v === undefined ? null : isTrue(v);
}

export function isTrue(v: string | undefined | null): boolean {
  return v != null && v.length === 4 && v.toLowerCase() === 'true';
}
