/**
 * Direct ext-field reads for the two places that do not use the typed header codecs:
 * - GET_ROUTEINFO_BY_TOPIC, the hot path: no header object is built per request;
 * - PUT_KV_CONFIG, whose `value` Java accepts as null (the typed codec requires it).
 *
 * Missing required fields throw the same `HeaderFieldError` (and message format) as the codecs:
 * Java would not validate (§1.10); we are deliberately stricter and name the field.
 */
import { HeaderFieldError } from '@ns/protocol';
import type { ExtFields } from '@ns/protocol';

export function requiredString(ext: ExtFields | null, field: string, header: string): string {
  const v = ext?.[field];
  if (v === undefined) {
    throw new HeaderFieldError(
      'NS_MISSING_HEADER_FIELD',
      field,
      `${header}: missing required field "${field}" (expected a string)`,
    );
  }
  return v;
}

export function optionalString(ext: ExtFields | null, field: string): string | null {
  return ext?.[field] ?? null;
}

/** Java `Boolean.parseBoolean`: "true" ignoring case, anything else (or absent) false. */
export function isTrue(v: string | undefined | null): boolean {
  return v != null && v.length === 4 && v.toLowerCase() === 'true';
}
