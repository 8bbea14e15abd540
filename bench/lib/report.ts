/** Renders the results as markdown tables and the QPS / p99 chart (hand-written SVG). */
import type { BenchResults, LevelResult } from './results.js';
import { JAVA_REGISTER, JAVA_ROUTE } from './java.js';
import { pairLevels } from './targets.js';
import type { RouteRun } from '../scenarios/route.js';
import { REG_PHASE_LABEL } from './registration-phases.js';

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
    (t) =>
      `target ${t.name}: ${t.measured} → ${t.reportOnly === true ? 'reported' : t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'}`,
  );
}

/**
 * Said when the machine was oversubscribed during the run (load average above the core count, or
 * its CPUs all busy): the figures then include time the processes waited for a CPU.
 */
export function contentionNote(m: BenchResults['machine']): string | undefined {
  const load = Math.max(m.loadAvgStart[0] ?? 0, m.loadAvgEnd[0] ?? 0);
  const busy = m.busyPctDuringRun ?? NaN;
  if (!(load > m.cores) && !(busy >= 95)) return undefined;
  return (
    `The machine was oversubscribed during this run (1-minute load average up to ${f1(load)} on ${m.cores} cores` +
    (Number.isNaN(busy) ? '' : `, its CPUs ${f0(busy)} % busy`) +
    '): every process here waited for a CPU part of the time, so req/s, round trips and latencies are far below what the same code does on an idle machine. ' +
    'Read the ratios measured side by side (node / baseline, W = 2 / W = 1) and the CPU time per request or per registration, which counts only the time a process ran.'
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

export { pairLevels };
export type { LevelPair } from './targets.js';

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# nameserver-ts benchmark (${r.profile})`);
  out.push('');
  out.push(
    `${r.date} · commit ${r.gitCommit} · ${m.cores} cores (${m.cpuModel}) · ${f0(m.totalMemGiB)} GiB · Node ${m.node} · ${m.platform} · run took ${f0(r.durationSec)} s  `,
  );
  out.push(
    `Load average at start ${m.loadAvgStart.map(f1).join(' / ')}, at end ${m.loadAvgEnd.map(f1).join(' / ')}` +
      (m.busyPctDuringRun === undefined || Number.isNaN(m.busyPctDuringRun)
        ? ''
        : `; the machine's CPUs were ${f0(m.busyPctDuringRun)} % busy over the run`) +
      ' (other work on the machine competes with the run).',
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
          t.reportOnly === true ? 'reported' : t.met === null ? 'n/a' : t.met ? 'yes' : '**no**',
        ]),
      ),
    );
    out.push('');
  }

  if (r.route !== undefined) renderRoute(out, r);
  if (r.churn !== undefined) renderChurn(out, r);
  if (r.registration !== undefined) renderRegistration(out, r);
  if (r.memory !== undefined) renderMemory(out, r);

  if (r.ops !== undefined) {
    const o = r.ops;
    out.push("## Operator's views (digest, console requests)");
    out.push('');
    out.push(
      `${o.topics} topics × ${o.groups} broker groups. Node CPU (process.cpuUsage): registering the table ${f0(o.registrationCpuMs)} ms; ` +
        `first GET /digest (builds the digest of the whole table) **${f0(o.firstDigestCpuMs)} ms = ${f0(o.firstDigestVsRegistration * 100)} %** of that; ` +
        `after one group's write permission was wiped (all its topics changed) ${f0(o.changedGroupDigestCpuMs)} ms; with nothing changed ${f1(o.unchangedDigestCpuMs)} ms.`,
    );
    out.push('');
    out.push(
      table(
        ['GET', 'bytes', 'median', 'p90', 'median / /healthz'],
        o.http.map((h) => [
          `\`${h.path}\``,
          String(h.bytes),
          `${f1(h.medianMs)} ms`,
          `${f1(h.p90Ms)} ms`,
          `${f1(h.vsHealthz)}×`,
        ]),
      ),
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

  if (r.watch !== undefined) {
    const w = r.watch;
    const ms = (us: number): string => (us / 1000).toFixed(2);
    out.push('## Route watch');
    out.push('');
    out.push(
      `W = 1 (the node serves in its own process, so its CPU and heap figures cover every watch). ` +
        `${w.connections} connections, each holding a WATCH_TOPIC_ROUTE of ${w.topicsPerWatch} topics out of ${w.topics}; ` +
        `a "mover" broker hosting ${w.moverTopics} of them leaves (connection destroyed) or registers again, waking the ` +
        `${w.affected} watchers that follow one of its topics. Watchers are one process with raw sockets; every answer is checked. ` +
        `Node heap after GC: ${f1(w.heapPerWatchBytes / 1024)} KiB per held watch (its connection included).`,
    );
    out.push('');
    out.push(
      table(
        ['Wave', 'woken', 'all woken', 'p50', 'p99', 'node CPU', 'CPU per wakeup', 'watchers CPU'],
        w.waves.map((x, i) => [
          `${i + 1} (${x.change})`,
          String(x.woken),
          `${f1(x.allWokenMs)} ms`,
          `${f1(x.p50Ms)} ms`,
          `${f1(x.p99Ms)} ms`,
          `${f1(x.nodeCpuMs)} ms`,
          `${f1(x.cpuPerWakeupUs)} µs`,
          `${f0(x.watchersCpuMs)} ms`,
        ]),
      ),
    );
    out.push('');
    out.push(
      `Median over waves: all ${w.affected} affected watchers woken in **${f1(w.allWokenMedianMs)} ms**, ` +
        `**${f1(w.cpuPerWakeupMedianUs)} µs** of node CPU per wakeup (the wave's CPU, change handling included, ` +
        `divided by the watchers woken); the watcher process's CPU shows what receiving and checking the answers cost on the same cores. Lookups of other topics at 16×1: p99 **${ms(w.lookupsQuiet.latency.p99Us)} ms** quiet, ` +
        `**${ms(w.lookupsDuringWaves.latency.p99Us)} ms** during ${w.wavesDuringLookups} back-to-back waves ` +
        `(${f0(w.lookupsQuiet.qps)} vs ${f0(w.lookupsDuringWaves.qps)} req/s).`,
    );
    out.push('');
  }

  if (r.hostile !== undefined) {
    const hs = r.hostile;
    out.push('## Hostile peers: lookups while the node is attacked');
    out.push('');
    out.push(
      `Well-behaved clients look routes up (${hs.level.connections}×${hs.level.inflight}, ${hs.topics} topics, every answer checked) for ${hs.timing.durationMs} ms after a ${hs.timing.warmupMs} ms warm-up, once quiet, once during each attack, and quiet again; a lookup answered after the window still counts with its latency. Attacks need no credentials. Latencies in ms; "node loop block max" = the longest the node's event loop was held during the run (measured inside the node, 10 ms resolution: the node's own stall, where lookup latency also includes the other processes competing for the cores); node CPU = % of one core.`,
    );
    out.push('');
    const quiet = hs.runs.find((x) => x.attack === 'quiet');
    out.push(
      table(
        [
          'Attack',
          'lookup req/s',
          'p50',
          'p99',
          'max',
          'p99 / quiet',
          'errors',
          'node loop block max',
          'node GC pause max',
          'node CPU',
          'node RSS max',
          'attack',
        ],
        hs.runs.map((x) => [
          x.attack,
          f0(x.lookups.qps),
          ms(x.lookups.latency.p50Us),
          ms(x.lookups.latency.p99Us),
          ms(x.lookups.latency.maxUs),
          quiet === undefined || quiet.lookups.latency.p99Us === 0
            ? '–'
            : `${f1(x.lookups.latency.p99Us / quiet.lookups.latency.p99Us)}×`,
          `${x.lookups.errorCount}`,
          `${f0(x.nodeLoopDelayMaxMs)} ms`,
          `${f0(x.nodeGcPauseMaxMs)} ms`,
          `${f0(x.lookups.serverCpuPct)} %`,
          `${f0(x.nodeRssMaxMiB)} MiB`,
          Object.entries(x.attackStats)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ]),
      ),
    );
    out.push('');
    for (const x of hs.runs) out.push(`- **${x.attack}**: ${x.what}`);
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
          'node loop busy',
          'node CPU',
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

  if (r.kv !== undefined) {
    out.push('## KV config writes (W = 1)');
    out.push('');
    out.push(
      'A node whose KV table already holds N entries; one connection, one request at a time. ' +
        "Loop = the node's event-loop active time per request (the loop that also answers lookups; on a busy machine it includes time the loop waited for a core); " +
        'main-thread CPU = CPU time of that thread per request (/proc schedstat; helper threads such as the KV persistence thread not counted); ' +
        'round trip = what the admin tool waits (it includes the file write and its fsyncs). ' +
        "GET is the floor: a request that touches no file; paced GET pauses the put's median round trip between requests, the floor for a loop that idles between requests (as it does while a put waits for its disk write).",
    );
    out.push('');
    out.push(
      table(
        ['entries', 'request', 'n', 'loop', 'main-thread CPU', 'round trip median', 'p90'],
        r.kv.sizes.flatMap((x) =>
          (
            [
              ['GET_KV_CONFIG', x.get],
              ['GET_KV_CONFIG (paced)', x.getPaced],
              ['PUT_KV_CONFIG (new key)', x.put],
              ['DELETE_KV_CONFIG (missing key)', x.deleteMissing],
            ] as const
          ).map(([name, p]) => [
            String(x.entries),
            name,
            String(p.requests),
            `${p.loopMsPerRequest.toFixed(3)} ms`,
            p.mainThreadCpuMsPerRequest === null
              ? dash
              : `${p.mainThreadCpuMsPerRequest.toFixed(3)} ms`,
            `${p.roundTripMedianMs.toFixed(2)} ms`,
            `${p.roundTripP90Ms.toFixed(2)} ms`,
          ]),
        ),
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

const dash = '–';
const opt = (v: number | undefined, f: (n: number) => string = f1): string =>
  v === undefined || Number.isNaN(v) ? dash : f(v);
const wLabel = (w: number): string =>
  w === 1 ? 'W = 1 (single process)' : `W = ${w} (${w} serving workers + the owner)`;

function renderRoute(out: string[], r: BenchResults): void {
  const rt = r.route!;
  out.push(
    '## Route lookups by serving processes (GET_ROUTEINFO_BY_TOPIC, JSON header, version 407)',
  );
  out.push('');
  out.push(
    `Node holds ${rt.topics} topics on ${rt.brokerGroups} broker groups (2 clusters × 4, master + slave each); generators cycle through ${rt.sampledTopics} topics, ` +
      `every response checked (code, opaque, body bytes = the route verified before the load; ${rt.responseBodyBytes} B body, ${rt.responseFrameBytes} B frame). ` +
      `Each load runs node, baseline, baseline, node: rounds of ${rt.timing.durationMs} ms after a ${rt.timing.warmupMs} ms warm-up each, merged per side (round rates in parentheses). ` +
      'The baseline has as many processes as the node (W = 1: one; W > 1: a primary handing connections to W workers) and answers a pre-encoded response of the same size. ' +
      "C×I = connections × requests in flight per connection. CPU/req = CPU time of all the server's processes (/proc) over the window ÷ requests answered; CPU % = % of one core; machine busy = all cores, everything on the machine.",
  );
  out.push('');
  out.push(
    `Serving workers measured: ${rt.runs.map((x) => x.workers).join(', ')} (the node's default, servingWorkers = 0, is W = ${rt.autoWorkers} on this machine)` +
      (rt.skipped.length === 0
        ? '.'
        : `; skipped: ${rt.skipped.map((x) => `W = ${x.workers} (${x.reason})`).join('; ')}.`),
  );
  out.push('');
  // Summary: node req/s and ratio per W.
  const labels = [...new Set(rt.runs.flatMap((x) => x.levels.map((l) => l.label)))];
  out.push(
    table(
      ['C×I', ...rt.runs.map((x) => `W = ${x.workers}: node req/s (÷ baseline)`)],
      labels.map((label) => [
        label,
        ...rt.runs.map((run) => {
          const p = pairLevels(run.levels).find((x) => x.label === label);
          if (p?.node === undefined) return dash;
          const ratio = p.base === undefined ? '' : ` (${f1((p.node.qps / p.base.qps) * 100)} %)`;
          return `${f0(p.node.qps)}${ratio}${p.node.generatorSaturated || p.base?.generatorSaturated === true ? ' ‡' : ''}`;
        }),
      ]),
    ),
  );
  out.push('');
  out.push(
    '‡ a generator process was saturated (event loop ≥ 90 % busy): the load, not the server, set the pace.',
  );
  out.push('');
  for (const run of rt.runs) {
    out.push(`### ${wLabel(run.workers)}`);
    out.push('');
    out.push(
      table(
        [
          'C×I',
          'gen',
          'node req/s',
          'baseline req/s',
          'node / baseline',
          'node p50',
          'p99',
          'p99.9',
          'max',
          'baseline p99',
          'node CPU/req',
          'baseline CPU/req',
          'node CPU',
          'owner loop',
          'gen CPU (loop max)',
          'machine busy',
          'errors',
        ],
        pairLevels(run.levels).map(({ label, node: n, base: b }) => [
          label,
          String((n ?? b)?.generators ?? dash),
          n === undefined ? dash : withRounds(n),
          b === undefined ? dash : withRounds(b),
          n === undefined || b === undefined ? dash : `${f1((n.qps / b.qps) * 100)} %`,
          n === undefined ? dash : ms(n.latency.p50Us),
          n === undefined ? dash : ms(n.latency.p99Us),
          n === undefined ? dash : ms(n.latency.p999Us),
          n === undefined ? dash : ms(n.latency.maxUs),
          b === undefined ? dash : ms(b.latency.p99Us),
          n === undefined ? dash : `${opt(n.serverCpuUsPerRequest)} µs`,
          b === undefined ? dash : `${opt(b.serverCpuUsPerRequest)} µs`,
          n === undefined ? dash : `${f0(n.serverCpuPct)} %`,
          n === undefined ? dash : `${f0(n.serverEluPct)} %`,
          n === undefined
            ? dash
            : `${f0(n.generatorCpuPct)} % (${f0(n.generatorEluMaxPct)} %)${n.generatorSaturated ? ' ‡' : ''}` +
              (b === undefined
                ? ''
                : ` / base ${f0(b.generatorCpuPct)} % (${f0(b.generatorEluMaxPct)} %)${b.generatorSaturated ? ' ‡' : ''}`),
          n === undefined ? dash : `${opt(n.machineBusyPct, f0)} %`,
          `${(n?.errorCount ?? 0) + (b?.errorCount ?? 0)}`,
        ]),
      ),
    );
    out.push('');
  }
  out.push('Latencies in ms. ![QPS and p99](route-qps-p99.svg)');
  out.push('');
  out.push("### Against the Java NameServer (16 cores; the issue's figures)");
  out.push('');
  out.push(
    `Targets: req/s ≥ 1.5 × Java, CPU per request ≤ ½ of Java's, p99 ≤ Java's, on a 16-core machine. This run: ${r.machine.cores} cores.`,
  );
  out.push('');
  out.push(
    table(
      [
        'C×I',
        'Java req/s',
        'Java CPU/req',
        'Java p99',
        ...rt.runs.map((x) => `W = ${x.workers}: req/s (× Java), CPU/req, p99`),
      ],
      JAVA_ROUTE.map((j) => {
        const label = `${j.connections}×${j.inflight}`;
        return [
          label,
          Math.round(j.qps).toLocaleString('en-US'),
          `${j.cpuUsPerRequest} µs`,
          `${j.p99Ms} ms`,
          ...rt.runs.map((run: RouteRun) => {
            const n = run.levels.find((l) => l.target === 'node' && l.label === label);
            return n === undefined
              ? dash
              : `${f0(n.qps)} (${(n.qps / j.qps).toFixed(2)}×), ${opt(n.serverCpuUsPerRequest)} µs, ${ms(n.latency.p99Us)} ms`;
          }),
        ];
      }),
    ),
  );
  out.push('');
}

function renderChurn(out: string[], r: BenchResults): void {
  const c = r.churn!;
  out.push(
    `## Route lookups (${c.load}) while the ${c.masters} masters (${c.topicsPerBroker} topics each) re-register continuously, taking turns`,
  );
  out.push('');
  out.push(
    "Longest stall: the serving processes' longest event-loop stall over the mode (node /metrics, `namesrv_event_loop_stall_max_seconds`); owner: the registry owner's, when workers serve. " +
      "Host stall: the machine's own, over the same mode: the longest gap between two turns of an idle canary process's 1 ms timer, and the hypervisor's steal time (/proc/stat, all CPUs). A serving stall about as long as the canary's gap, with steal beside it, was the virtual machine being descheduled, not the node's work. " +
      "Waited for a CPU: the share of the mode the busiest serving loop's thread was runnable but not running (run_delay in /proc/<pid>/task/<pid>/schedstat): the lookups' wait that the machine's other threads and processes (the generators, the brokers' sender, the decode threads) made by holding its cores.",
  );
  out.push('');
  out.push(
    table(
      [
        'W',
        'Registrations',
        'lookup req/s',
        'p50',
        'p99',
        'p99 ÷ idle',
        'p99.9',
        'max',
        'registrations/s',
        'registration rtt p50',
        'rtt max',
        'longest serving stall',
        'owner stall',
        'serving loop waited for a CPU',
        'host stall (canary gap / steal)',
        'errors',
      ],
      c.runs.flatMap(({ workers, modes }) => {
        const idle = modes.find((m) => m.mode === 'quiet')?.lookups.latency.p99Us;
        return modes.map((m) => [
          String(workers),
          m.mode === 'quiet'
            ? 'none (idle reference)'
            : m.mode === 'unchanged'
              ? 'same DataVersion'
              : 'DataVersion changed each time',
          f0(m.lookups.qps),
          ms(m.lookups.latency.p50Us),
          ms(m.lookups.latency.p99Us),
          idle === undefined ? dash : `${(m.lookups.latency.p99Us / idle).toFixed(1)}×`,
          ms(m.lookups.latency.p999Us),
          ms(m.lookups.latency.maxUs),
          m.mode === 'quiet' ? dash : f1(m.registrationsPerSec),
          m.mode === 'quiet' ? dash : `${f1(m.registrationRttP50Ms)} ms`,
          m.mode === 'quiet' ? dash : `${f1(m.registrationRttMaxMs)} ms`,
          `${opt(m.servingStallMs)} ms`,
          m.ownerStallMs === undefined ? dash : `${f1(m.ownerStallMs)} ms`,
          m.servingWaitPct === undefined ? dash : `${f1(m.servingWaitPct)} %`,
          `${opt(m.hostGapMs)} / ${m.stealMs === undefined ? dash : f0(m.stealMs)} ms`,
          `${m.lookups.errorCount + m.registrationErrors}`,
        ]);
      }),
    ),
  );
  out.push('');
}

function renderRegistration(out: string[], r: BenchResults): void {
  out.push('## REGISTER_BROKER cost');
  out.push('');
  out.push(
    "Each registration alone on an idle node (JSON body, version 407), per serving-process count W; the last two rows of each size are the admin writes WIPE_WRITE_PERM / ADD_WRITE_PERM_OF_BROKER of that broker name (every topic's perm rewritten). " +
      'rtt = the round trip as the broker sees it, median and max of the measured reps; warm-up rtt = that of one more broker run through every phase of its size first, left out of the other figures (V8 compiles the registration paths during their first runs: it shows what a fresh node\'s first registrations cost). Longest serving stall = the longest event-loop stall of the serving processes between two /metrics scrapes bracketing the registration (with W = 1 the serving loop is the owner\'s own); "idle floor" = the same bracket with no registration. ' +
      "Owner loop = the owner's event-loop active time for it (performance.eventLoopUtilization, probe overhead subtracted); owner CPU = the owner process, all threads. Decode thread = the serving side's decode-thread time for the body (namesrv_register_body_decode_seconds: CRC, inflate, decode against the broker's previous body), part of the rtt, on no event loop. " +
      "Waited for a CPU = how long a serving loop's thread was runnable but not running over the same bracket (run_delay in /proc/<pid>/task/<pid>/schedstat; the most of the serving processes): where it approaches the stall, the machine's other threads and processes, not the node's work, made the stall. Java = the issue's reference figures (16 cores).",
  );
  out.push('');
  for (const run of r.registration!.runs) {
    out.push(
      `### ${wLabel(run.workers)} — idle floor of the stall ${opt(run.idleServingStallMs)} ms, probe overhead ${run.probeOverheadMs.toFixed(2)} ms`,
    );
    out.push('');
    out.push(
      table(
        [
          'Topics',
          'Registration',
          'topics changed',
          'reps',
          'body',
          'rtt p50',
          'rtt max',
          'warm-up rtt',
          'Java',
          'longest serving stall p50',
          'max',
          'owner stall p50',
          'owner loop p50',
          'owner CPU p50',
          'decode thread p50',
          'waited for a CPU p50 / max',
        ],
        run.rows.map((x) => {
          const j = JAVA_REGISTER[x.topics];
          const java =
            j === undefined
              ? dash
              : x.phase === 'first'
                ? `${j.firstMs} ms`
                : x.phase === 'unchanged'
                  ? `${j.unchangedMs} ms`
                  : x.phase === 'changed1'
                    ? `${j.changedMs} ms`
                    : dash;
          return [
            String(x.topics),
            REG_PHASE_LABEL[x.phase],
            String(x.topicsChanged),
            String(x.reps),
            `${f0(x.bodyBytes / 1024)} KiB`,
            `${f1(x.rttP50Ms)} ms`,
            `${f1(x.rttMaxMs)} ms`,
            x.warmUpRttMs === undefined ? dash : `${f1(x.warmUpRttMs)} ms`,
            java,
            `${opt(x.servingStallP50Ms)} ms`,
            `${opt(x.servingStallMaxMs)} ms`,
            x.ownerStallP50Ms === undefined ? dash : `${f1(x.ownerStallP50Ms)} ms`,
            `${f1(x.loopP50Ms)} ms`,
            `${f1(x.cpuP50Ms)} ms`,
            x.decodeP50Ms === undefined ? dash : `${f1(x.decodeP50Ms)} ms`,
            x.servingWaitP50Ms === undefined
              ? dash
              : `${f1(x.servingWaitP50Ms)} / ${opt(x.servingWaitMaxMs)} ms`,
          ];
        }),
      ),
    );
    out.push('');
  }
}

function renderMemory(out: string[], r: BenchResults): void {
  const runs = r.memory!.runs;
  if (runs.length === 0) return;
  const first = runs[0]!;
  out.push('## Memory');
  out.push('');
  out.push(
    `${first.topics} topics × ${first.groups} broker groups = ${first.entries} (topic, broker) entries, per W. Node RSS = the owner and every serving worker (/proc VmRSS, summed: shared pages count once per process); PSS = proportional set size summed (shared pages split among the processes). "After lookups": every topic looked up once on every serving process. The owner runs with --expose-gc and its heap figures are after two full GCs; workers are not GC'd on demand.`,
  );
  out.push('');
  out.push(
    table(
      [
        'W',
        'processes',
        'node RSS empty',
        'registered',
        'after lookups',
        'PSS after lookups',
        'RSS per process after lookups',
        'owner heap registered',
        'owner heap after lookups',
        'owner heap per entry',
      ],
      runs.map((m) => [
        String(m.workers),
        String(m.afterLookups.processRssMiB.length),
        `${opt(m.empty.nodeRssSumMiB)} MiB`,
        `${opt(m.registered.nodeRssSumMiB)} MiB`,
        `**${opt(m.afterLookups.nodeRssSumMiB)} MiB**`,
        `${opt(m.afterLookups.nodePssSumMiB)} MiB`,
        m.afterLookups.processRssMiB.map(f0).join(' + ') + ' MiB',
        `${f1(m.registered.heapUsedMiB)} MiB`,
        `${f1(m.afterLookups.heapUsedMiB)} MiB`,
        `${f0(m.heapBytesPerEntry)} B (${f0(m.heapBytesPerEntryAfterLookups)} B after lookups)`,
      ]),
    ),
  );
  out.push('');
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

/** Two panels: req/s and p99 (ms) per W and load, node vs baseline, as grouped bars. */
export function renderChart(runs: RouteRun[], title: string): string {
  const pairs = runs.flatMap((run) =>
    pairLevels(run.levels).map((p) => ({ ...p, label: `W${run.workers} ${p.label}` })),
  );
  const panelW = Math.max(420, pairs.length * 56);
  const W = 2 * panelW + 120;
  const H = 400;
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
      x0: panelW + 120,
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
