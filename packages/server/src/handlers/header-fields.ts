/**
 * Direct ext-field reads for handlers that do not use a typed header codec: PUT_KV_CONFIG, whose
 * `value` Java accepts as null (the typed codec requires it), and GET_ROUTEINFO_BY_TOPIC, the hot
 * path, which builds no header object per request.
 */
import type { ExtFields } from '@ns/protocol';

export function optionalString(ext: ExtFields | null, field: string): string | null {
  return ext?.[field] ?? null;
}

/** Java `Boolean.parseBoolean`: "true" ignoring case, anything else (or absent) false. */
export function isTrue(v: string | undefined | null): boolean {
  return v != null && v.length === 4 && v.toLowerCase() === 'true';
}
