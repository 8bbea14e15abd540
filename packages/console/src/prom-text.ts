/**
 * Reads the node's own /metrics (Prometheus text format 0.0.4) for the live charts: samples, the
 * per-second rate between two scrapes, and histogram quantiles interpolated within buckets the
 * way PromQL's histogram_quantile does.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;

function unescape(v: string): string {
  return v.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function number(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    if (m[2] !== undefined) {
      for (const l of m[2].matchAll(LABEL)) labels[l[1]!] = unescape(l[2]!);
    }
    out.push({ name: m[1]!, labels, value: number(m[3]!) });
  }
  return out;
}

/** Sum of every series of `name` matching `filter`. */
export function sum(
  samples: readonly Sample[],
  name: string,
  filter?: (s: Sample) => boolean,
): number {
  let total = 0;
  for (const s of samples)
    if (s.name === name && (filter === undefined || filter(s))) total += s.value;
  return total;
}

/** Per-label-value sums, e.g. requests by `code`. */
export function sumBy(
  samples: readonly Sample[],
  name: string,
  label: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/** Cumulative bucket counts (le → count) of a histogram, summed over its other labels. */
export function buckets(samples: readonly Sample[], histogram: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${histogram}_bucket`) continue;
    const le = number(s.labels.le ?? 'NaN');
    if (Number.isNaN(le)) continue;
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/**
 * The q-quantile of the observations between two scrapes (bucket deltas), linearly interpolated
 * within the bucket it falls in; NaN when nothing was observed.
 */
export function quantileBetween(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  q: number,
): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const deltas = bounds.map((le) => Math.max(0, (after.get(le) ?? 0) - (before.get(le) ?? 0)));
  const total = deltas[deltas.length - 1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (deltas[i]! >= rank) {
      const upper = bounds[i]!;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const below = i === 0 ? 0 : deltas[i - 1]!;
      // Past the last finite bucket there is no upper bound: report that bound, as PromQL does.
      if (upper === Infinity) return lower;
      const inBucket = deltas[i]! - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return bounds[bounds.length - 2] ?? NaN;
}
