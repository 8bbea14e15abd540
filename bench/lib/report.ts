/** Renders the results as markdown tables and the QPS / p99 chart (hand-written SVG). */
import type { BenchResults, LevelResult } from './results.js';

const f0 = (n: number): string => n.toFixed(0);
const f1 = (n: number): string => n.toFixed(1);
const ms = (us: number): string => (us / 1000).toFixed(3);

/** Said once per smoke run instead of verdicts: tiny sizes on a shared machine measure nothing. */
export const SMOKE_TARGETS_NOTE =
  'Targets are not evaluated in smoke mode (tiny sizes measure nothing); `pnpm bench` reports them.';

/**
 * The log lines that end a run about its targets: one verdict per target in a full run, the
 * smoke note alone in a smoke run (whatever `targets` holds).
 */
export function targetLogLines(r: BenchResults): string[] {
  if (r.profile === 'smoke') return [SMOKE_TARGETS_NOTE];
  return r.targets.map(
    (t) => `target ${t.name}: ${t.measured} → ${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'}`,
  );
}

function withRounds(l: LevelResult): string {
  const r = l.roundsQps;
  return r === undefined || r.length < 2 ? f0(l.qps) : `${f0(l.qps)} (${r.map(f0).join(' / ')})`;
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export interface LevelPair {
  label: string;
  node: LevelResult | undefined;
  base: LevelResult | undefined;
}

/** Node and baseline results of each level, paired (either may be missing). */
export function pairLevels(levels: LevelResult[]): LevelPair[] {
  const labels = [...new Set(levels.map((l) => l.label))];
  return labels.map((label) => ({
    label,
    node: levels.find((l) => l.target === 'node' && l.label === label),
    base: levels.find((l) => l.target === 'baseline' && l.label === label),
  }));
}

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# nameserver-ts benchmark (${r.profile})`);
  out.push('');
  out.push(
    `${r.date} · commit ${r.gitCommit} · ${m.cores} cores (${m.cpuModel}) · ${f0(m.totalMemGiB)} GiB · Node ${m.node} · ${m.platform} · run took ${f0(r.durationSec)} s  `,
  );
  out.push(
    `Load average at start ${m.loadAvgStart.map(f1).join(' / ')}, at end ${m.loadAvgEnd.map(f1).join(' / ')} (other work on the machine competes with the run).`,
  );
  out.push('');
  out.push(
    'Reproduce: `pnpm bench` (this file) or `pnpm bench:smoke` (tiny sizes, temp dir). All traffic on 127.0.0.1; the load generators are separate processes.',
  );
  out.push('');

  if (r.profile === 'smoke') {
    out.push('## Targets');
    out.push('');
    out.push(SMOKE_TARGETS_NOTE);
    out.push('');
  } else if (r.targets.length > 0) {
    out.push('## Targets');
    out.push('');
    out.push(
      table(
        ['Target', 'Goal', 'Measured', 'Met'],
        r.targets.map((t) => [
          t.name,
          t.target,
          t.measured,
          t.met === null ? 'n/a' : t.met ? 'yes' : '**no**',
        ]),
      ),
    );
    out.push('');
  }

  if (r.route !== undefined) {
    const rt = r.route;
    out.push('## Route lookups (GET_ROUTEINFO_BY_TOPIC, JSON header, version 407)');
    out.push('');
    out.push(
      `Node holds ${rt.topics} topics on ${rt.brokerGroups} broker groups (2 clusters × 4, master + slave each); generators cycle through ${rt.sampledTopics} topics, ` +
        `every response checked (code, opaque, body bytes = the route verified before the load; ${rt.responseBodyBytes} B body, ${rt.responseFrameBytes} B frame). ` +
        `Each level runs node, baseline, baseline, node: rounds of ${rt.timing.durationMs} ms after a ${rt.timing.warmupMs} ms warm-up each, merged per side (round rates in parentheses). Baseline = bare Node TCP server answering a pre-encoded response of the same size. ` +
        'C×I = connections × requests in flight per connection. CPU = % of one core over the window (user+system); the 2 cores are shared by server and generator.',
    );
    out.push('');
    out.push(
      table(
        [
          'C×I',
          'node req/s',
          'baseline req/s',
          'node / baseline',
          'node p50',
          'p90',
          'p99',
          'p99.9',
          'max',
          'baseline p50',
          'baseline p99',
          'node CPU',
          'node loop',
          'baseline CPU',
          'gen CPU (node run)',
          'errors',
        ],
        pairLevels(rt.levels).map(({ label, node: n, base: b }) => [
          label,
          n === undefined ? '–' : withRounds(n),
          b === undefined ? '–' : withRounds(b),
          n === undefined || b === undefined ? '–' : `${f1((n.qps / b.qps) * 100)} %`,
          n === undefined ? '–' : ms(n.latency.p50Us),
          n === undefined ? '–' : ms(n.latency.p90Us),
          n === undefined ? '–' : ms(n.latency.p99Us),
          n === undefined ? '–' : ms(n.latency.p999Us),
          n === undefined ? '–' : ms(n.latency.maxUs),
          b === undefined ? '–' : ms(b.latency.p50Us),
          b === undefined ? '–' : ms(b.latency.p99Us),
          n === undefined ? '–' : `${f0(n.serverCpuPct)} %`,
          n === undefined ? '–' : `${f0(n.serverEluPct)} %`,
          b === undefined ? '–' : `${f0(b.serverCpuPct)} %`,
          n === undefined ? '–' : `${f0(n.generatorCpuPct)} % (loop ${f0(n.generatorEluMaxPct)} %)`,
          `${(n?.errorCount ?? 0) + (b?.errorCount ?? 0)}`,
        ]),
      ),
    );
    out.push('');
    out.push('Latencies in ms. ![QPS and p99](route-qps-p99.svg)');
    out.push('');
  }

  if (r.churn !== undefined) {
    out.push(
      '## Route lookups (16×1) while the 8 masters (10,000 topics each) re-register continuously, taking turns',
    );
    out.push('');
    out.push(
      table(
        [
          'Registrations',
          'lookup req/s',
          'p50',
          'p99',
          'p99.9',
          'max',
          'registrations/s',
          'registration rtt p50',
          'rtt max',
          'errors',
        ],
        r.churn.map((c) => [
          c.mode === 'quiet'
            ? 'none (reference)'
            : c.mode === 'unchanged'
              ? 'unchanged DataVersion'
              : 'DataVersion bumped each time',
          f0(c.lookups.qps),
          ms(c.lookups.latency.p50Us),
          ms(c.lookups.latency.p99Us),
          ms(c.lookups.latency.p999Us),
          ms(c.lookups.latency.maxUs),
          c.mode === 'quiet' ? '–' : f1(c.registrationsPerSec),
          c.mode === 'quiet' ? '–' : `${f1(c.registrationRttP50Ms)} ms`,
          c.mode === 'quiet' ? '–' : `${f1(c.registrationRttMaxMs)} ms`,
          `${c.lookups.errorCount + c.registrationErrors}`,
        ]),
      ),
    );
    out.push('');
  }

  if (r.registration !== undefined) {
    out.push('## REGISTER_BROKER cost');
    out.push('');
    out.push(
      `Each registration alone on an idle node (JSON body, version 407). "Loop" = the node's event-loop active time for that registration (performance.eventLoopUtilization inside the server, bracketed by probes; probe overhead ${r.registration.probeOverheadMs.toFixed(2)} ms subtracted). "CPU" = whole node process, all threads.`,
    );
    out.push('');
    out.push(
      table(
        [
          'Topics',
          'Registration',
          'reps',
          'body',
          'rtt p50',
          'rtt max',
          'loop p50',
          'loop max',
          'CPU p50',
        ],
        r.registration.rows.map((x) => [
          String(x.topics),
          x.phase,
          String(x.reps),
          `${f0(x.bodyBytes / 1024)} KiB`,
          `${f1(x.rttP50Ms)} ms`,
          `${f1(x.rttMaxMs)} ms`,
          `${f1(x.loopP50Ms)} ms`,
          `${f1(x.loopMaxMs)} ms`,
          `${f1(x.cpuP50Ms)} ms`,
        ]),
      ),
    );
    out.push('');
  }

  if (r.memory !== undefined) {
    const mm = r.memory;
    out.push('## Memory');
    out.push('');
    out.push(
      `${mm.topics} topics × ${mm.groups} broker groups = ${mm.entries} (topic, broker) entries; node run with --expose-gc, figures after two full GCs.`,
    );
    out.push('');
    out.push(
      table(
        ['State', 'RSS', 'heap used', 'heap total', 'external'],
        (
          [
            ['empty', mm.empty],
            ['registered', mm.registered],
            ['after one lookup of every topic', mm.afterLookups],
          ] as const
        ).map(([n, p]) => [
          n,
          `${f1(p.rssMiB)} MiB`,
          `${f1(p.heapUsedMiB)} MiB`,
          `${f1(p.heapTotalMiB)} MiB`,
          `${f1(p.externalMiB)} MiB`,
        ]),
      ),
    );
    out.push('');
    out.push(
      `Heap per entry: **${f0(mm.heapBytesPerEntry)} B** registered, ${f0(mm.heapBytesPerEntryAfterLookups)} B after lookups; RSS per entry ${f0(mm.rssBytesPerEntry)} B.`,
    );
    out.push('');
  }

  if (r.deadBroker !== undefined) {
    const d = r.deadBroker;
    out.push('## Dead-broker detection');
    out.push('');
    out.push(
      table(
        ['Event', 'samples (ms)', 'max', 'bound'],
        [
          [
            'connection destroyed → absent from route',
            d.closeToGoneMs.map(f1).join(', '),
            `${f1(d.closeToGoneMaxMs)} ms`,
            `one scan interval (${d.scanIntervalMs} ms)`,
          ],
          [
            `last heartbeat → absent (heartbeatTimeoutMillis ${d.heartbeatTimeoutMillis})`,
            d.heartbeatToGoneMs.map(f0).join(', '),
            `${f0(d.heartbeatToGoneMaxMs)} ms`,
            `timeout + one scan (${d.heartbeatTimeoutMillis + d.scanIntervalMs} ms)`,
          ],
        ],
      ),
    );
    out.push('');
  }

  if (r.failover !== undefined) {
    const fo = r.failover;
    out.push('## Client failover');
    out.push('');
    out.push(
      `${fo.nodes} nodes; @ns/client NameServerClient looking up a route in a loop; the node it used (${fo.killedNode}) was SIGKILLed. ` +
        `First successful call on another node **${f0(fo.recoveryMs)} ms** after the kill; **${fo.failedCalls}** failed call(s)` +
        (fo.errors.length > 0 ? ` (${fo.errors.join('; ')})` : '') +
        `; ${f0(fo.callsPerSecBefore)} calls/s before the kill (one at a time, no route cache), client with default options (3 s call timeout).`,
    );
    out.push('');
  }

  if (r.codec !== undefined) {
    out.push('## Codec micro-benchmarks');
    out.push('');
    out.push(
      table(
        ['Operation', 'bytes', 'ops/s', 'µs/op', 'MB/s'],
        r.codec.map((c) => [
          c.name,
          String(c.bytes),
          f0(c.opsPerSec),
          c.usPerOp.toFixed(2),
          f1(c.mbPerSec),
        ]),
      ),
    );
    out.push('');
  }

  if (r.flood !== undefined) {
    const fl = r.flood;
    out.push('## Partial-frame flood');
    out.push('');
    out.push(
      `A node with default settings; ${fl.connections} attacker connections from 4 loopback addresses, each announcing a ${f0(fl.announcedMiB)} MiB frame and sending ${f0(fl.sendMiB)} MiB of it` +
        (fl.reconnect ? ', reopened whenever the node closed one' : '') +
        `, for ${f0(fl.durationMs / 1000)} s; a well-behaved client looked up a route every few milliseconds meanwhile.`,
    );
    out.push('');
    out.push(
      table(
        [
          'node RSS before',
          'peak',
          'VmHWM',
          'lookups',
          'failed',
          'p50',
          'p99',
          'max',
          'closed by node',
        ],
        [
          [
            `${f0(fl.baselineRssMiB)} MiB`,
            `${f0(fl.peakRssMiB)} MiB`,
            `${f0(fl.hwmRssMiB)} MiB`,
            String(fl.probes),
            String(fl.probeFailures),
            `${(fl.latency.p50Us / 1000).toFixed(2)} ms`,
            `${(fl.latency.p99Us / 1000).toFixed(2)} ms`,
            `${(fl.latency.maxUs / 1000).toFixed(1)} ms`,
            String(fl.attacker.closedByNode),
            `${f0(fl.nodeEventLoopBusy * 100)} %`,
            `${fl.nodeCpuPerSec.toFixed(2)} s/s`,
          ],
        ],
      ),
    );
    out.push('');
  }

  if (r.failures.length > 0) {
    out.push('## Failures');
    out.push('');
    for (const x of r.failures) out.push(`- **${x.scenario}**: ${x.message.split('\n')[0]}`);
    out.push('');
  }
  if (r.notes.length > 0) {
    out.push('## Notes');
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Nice axis maximum: 1, 2 or 5 × 10^k at or above `v`. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Two panels: req/s and p99 (ms) per load level, node vs baseline, as grouped bars. */
export function renderChart(levels: LevelResult[], title: string): string {
  const pairs = pairLevels(levels);
  const W = 960;
  const H = 400;
  const panelW = 420;
  const panelH = 260;
  const top = 70;
  const colors = { node: '#1f77b4', baseline: '#ff7f0e' };
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(title)}</text>`);
  parts.push(
    `<rect x="${W / 2 - 110}" y="36" width="12" height="12" fill="${colors.node}"/><text x="${W / 2 - 94}" y="46">ns-server</text>`,
  );
  parts.push(
    `<rect x="${W / 2 + 10}" y="36" width="12" height="12" fill="${colors.baseline}"/><text x="${W / 2 + 26}" y="46">baseline</text>`,
  );
  const panels: {
    x0: number;
    label: string;
    value: (l: LevelResult) => number;
    fmt: (v: number) => string;
  }[] = [
    {
      x0: 60,
      label: 'requests / s',
      value: (l) => l.qps,
      fmt: (v) => (v >= 1000 ? `${f0(v / 1000)}k` : f0(v)),
    },
    {
      x0: 540,
      label: 'p99 latency (ms)',
      value: (l) => l.latency.p99Us / 1000,
      fmt: (v) => (v < 10 ? v.toFixed(2) : f0(v)),
    },
  ];
  for (const p of panels) {
    const vals = pairs.flatMap(({ node, base }) =>
      [node, base].map((l) => (l === undefined ? 0 : p.value(l))),
    );
    const max = niceMax(Math.max(...vals));
    const y = (v: number): number => top + panelH - (v / max) * panelH;
    parts.push(
      `<text x="${p.x0 + panelW / 2}" y="${top - 8}" text-anchor="middle" font-weight="bold">${esc(p.label)}</text>`,
    );
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      parts.push(
        `<line x1="${p.x0}" x2="${p.x0 + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      );
      parts.push(`<text x="${p.x0 - 6}" y="${y(v) + 4}" text-anchor="end">${esc(p.fmt(v))}</text>`);
    }
    parts.push(`<line x1="${p.x0}" x2="${p.x0}" y1="${top}" y2="${top + panelH}" stroke="#333"/>`);
    parts.push(
      `<line x1="${p.x0}" x2="${p.x0 + panelW}" y1="${top + panelH}" y2="${top + panelH}" stroke="#333"/>`,
    );
    const groupW = panelW / Math.max(1, pairs.length);
    const barW = Math.min(40, groupW / 3);
    pairs.forEach(({ label, node, base }, i) => {
      const gx = p.x0 + i * groupW + groupW / 2;
      const bars: [LevelResult | undefined, string, number][] = [
        [node, colors.node, gx - barW - 2],
        [base, colors.baseline, gx + 2],
      ];
      for (const [l, color, x] of bars) {
        if (l === undefined) continue;
        const v = p.value(l);
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(top + panelH - y(v)).toFixed(1)}" fill="${color}"><title>${esc(`${l.target} ${l.label}: ${p.fmt(v)}`)}</title></rect>`,
        );
        parts.push(
          `<text x="${(x + barW / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" text-anchor="middle" font-size="10">${esc(p.fmt(v))}</text>`,
        );
      }
      parts.push(
        `<text x="${gx.toFixed(1)}" y="${top + panelH + 16}" text-anchor="middle">${esc(label)}</text>`,
      );
    });
    parts.push(
      `<text x="${p.x0 + panelW / 2}" y="${top + panelH + 36}" text-anchor="middle" fill="#555">connections × in flight</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
