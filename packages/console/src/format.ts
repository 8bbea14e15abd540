/** Display helpers shared by the views. */

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** `850 ms`, `3.2 s`, `4 min`, `2 h`. */
export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * `2024-05-01 12:00:00Z`; '-' for 0 (never). Brokers supply these: a Java long past what a Date
 * holds (±8.64e15 ms, e.g. a DataVersion timestamp of 9e15), or anything not a number, is shown
 * as it came (toISOString would throw and take the whole page down).
 */
export function formatTime(epochMillis: number): string {
  if (typeof epochMillis !== 'number') return String(epochMillis);
  if (epochMillis <= 0) return '-';
  const date = new Date(epochMillis);
  if (Number.isNaN(date.getTime())) return String(epochMillis);
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** mqadmin's perm text: R, W, X (inherit) or '-', then the number. */
export function permText(perm: number): string {
  return `${perm & 4 ? 'R' : '-'}${perm & 2 ? 'W' : '-'}${perm & 1 ? 'X' : '-'} (${perm})`;
}

/**
 * RocketMQ's MQVersion ordinal as a name: from 4.0.0 on there is a _SNAPSHOT and a release entry
 * per patch version, ten patches per minor version (V4_x_y = 213 + 20x + 2y, V5 from 413).
 */
export function versionName(ordinal: number | null): string {
  if (ordinal === null) return '-';
  for (const [major, base] of [
    [4, 212],
    [5, 412],
  ] as const) {
    const k = ordinal - base;
    if (k >= 0 && k < 200) {
      const minor = Math.floor(k / 20);
      const patch = Math.floor((k % 20) / 2);
      return `${major}.${minor}.${patch}${k % 2 === 0 ? '-SNAPSHOT' : ''}`;
    }
  }
  return `#${ordinal}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}
