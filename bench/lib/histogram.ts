/**
 * A log-bucket latency histogram (≈1 % relative precision) that merges across processes.
 *
 * Why not raw samples: a 5 s level at tens of thousands of requests per second would ship
 * hundreds of thousands of numbers over IPC from each generator; bucket counts are a few KB and
 * merge exactly. Why not hdr-histogram-js: one more dependency for ~60 lines.
 */

/** Bucket i holds values in (BASE^(i-1), BASE^i] microseconds; i = 0 holds everything ≤ 1 µs. */
const BASE = 1.01;
const LOG_BASE = Math.log(BASE);
/** 1.01^2500 µs ≈ 66 s: anything slower is clamped into the last bucket (and max stays exact). */
const BUCKETS = 2500;

export interface HistogramSnapshot {
  /** Sparse [bucketIndex, count] pairs. */
  buckets: [number, number][];
  count: number;
  minUs: number;
  maxUs: number;
  sumUs: number;
}

export interface LatencySummary {
  count: number;
  meanUs: number;
  minUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  minUs = Infinity;
  maxUs = 0;
  sumUs = 0;

  record(us: number): void {
    const i = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(us) / LOG_BASE));
    this.counts[i]!++;
    this.count++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c > 0) buckets.push([i, c]);
    }
    return { buckets, count: this.count, minUs: this.minUs, maxUs: this.maxUs, sumUs: this.sumUs };
  }

  merge(s: HistogramSnapshot): void {
    for (const [i, c] of s.buckets) this.counts[i]! += c;
    this.count += s.count;
    this.sumUs += s.sumUs;
    if (s.minUs < this.minUs) this.minUs = s.minUs;
    if (s.maxUs > this.maxUs) this.maxUs = s.maxUs;
  }

  /** The value at quantile q (0..1): the geometric middle of its bucket, clamped to [min, max]. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const mid = i === 0 ? 1 : Math.pow(BASE, i - 0.5);
        return Math.min(this.maxUs, Math.max(this.minUs, mid));
      }
    }
    return this.maxUs;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      meanUs: this.count === 0 ? 0 : this.sumUs / this.count,
      minUs: this.count === 0 ? 0 : this.minUs,
      p50Us: this.quantile(0.5),
      p90Us: this.quantile(0.9),
      p99Us: this.quantile(0.99),
      p999Us: this.quantile(0.999),
      maxUs: this.maxUs,
    };
  }

  static fromSnapshots(snaps: Iterable<HistogramSnapshot>): Histogram {
    const h = new Histogram();
    for (const s of snaps) h.merge(s);
    return h;
  }
}

/** Percentile of a small exact sample (registration timings, detection times). */
export function exactQuantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
