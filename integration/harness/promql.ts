/**
 * Just enough PromQL reading to check dashboards and alert rules against a node's real /metrics:
 * the metric names an expression selects and the labels it groups by. Not a parser: it strips
 * strings, matchers and ranges, then takes identifiers that are not functions or keywords.
 */

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);

export interface PromqlUse {
  /** Metric names selected, e.g. namesrv_requests_total. */
  readonly metrics: readonly string[];
  /** Labels in by (…) / without (…) clauses. */
  readonly groupingLabels: readonly string[];
}

export function promqlUse(expr: string): PromqlUse {
  const groupingLabels: string[] = [];
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const l of m[1]!.split(',')) if (l.trim() !== '') groupingLabels.push(l.trim());
  }
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (count_values' label, matcher values)
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(?:by|without)\s*\([^)]*\)/g, ' ') // grouping clauses
    .replace(/\$\w+/g, ' '); // Grafana variables ($__rate_interval)
  const metrics = new Set<string>();
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    const name = m[1]!;
    if (m[2] !== undefined || KEYWORDS.has(name.toLowerCase())) continue; // a function call
    metrics.add(name);
  }
  return { metrics: [...metrics], groupingLabels };
}

/** Metric name → label names seen on its samples (HELP/TYPE-only metrics map to an empty set). */
export function metricCatalog(exposition: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const meta = /^# (?:HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (meta !== null) {
      if (!out.has(meta[1]!)) out.set(meta[1]!, new Set());
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s/.exec(line);
    if (sample === null) continue;
    const labels = out.get(sample[1]!) ?? new Set<string>();
    for (const l of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(l[1]!);
    out.set(sample[1]!, labels);
  }
  return out;
}
