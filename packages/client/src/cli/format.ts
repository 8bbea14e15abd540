/**
 * Text output of nsadmin: aligned tables for people, and a JSON conversion (Maps become
 * objects) for `--json`.
 */

import { printable } from './verb.js';

/**
 * Left-aligned columns separated by two spaces; headers start with `#` like mqadmin's. Control
 * characters in cells are escaped (see printable): a value with a newline cannot break its row.
 */
export function renderTable(
  headers: readonly string[],
  rawRows: readonly (readonly string[])[],
): string {
  const rows = rawRows.map((row) => row.map(printable));
  const widths = headers.map((h, i) =>
    Math.max(h.length + 1, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => `#${printable(h)}`)), ...rows.map(line)].join('\n') + '\n';
}

/** Converts Maps (also nested, also with numeric keys) to plain objects for JSON output. */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value as Map<unknown, unknown>) setKey(out, String(k), toJsonValue(v));
    return out;
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setKey(out, k, toJsonValue(v));
    return out;
  }
  return value;
}

/**
 * `out[key] = value` as an own, enumerable property whatever the key: keys come from the node
 * (KV config keys, topic and broker names), and assigning `__proto__` would set the object's
 * prototype instead, so the key would be missing from the JSON.
 */
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

export function formatJson(value: unknown): string {
  return JSON.stringify(toJsonValue(value), null, 2) + '\n';
}
