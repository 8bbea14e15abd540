/**
 * Standard JSON for the admin views: Maps become objects (numeric keys quoted, as in Java's
 * standard route JSON), Sets become arrays. Object.fromEntries defines own properties, so a topic
 * or broker named `__proto__` is rendered as data and cannot touch any prototype.
 */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value as Map<unknown, unknown>);
  if (value instanceof Set) return [...(value as Set<unknown>)];
  return value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}
