/**
 * `pnpm bench` / `pnpm bench:smoke`: runs every scenario, writes results/latest.{json,md}, a
 * dated JSON copy and the chart. The smoke run uses tiny sizes, writes to a temp directory and
 * exists to prove the harness works: it exits non-zero when any scenario throws or any checked
 * response was wrong. Speed is never asserted; the full run reports targets, met or missed. The
 * smoke run does not evaluate them: its tiny sizes measure nothing.
 *
 * Flags: --smoke, --out=<dir>, --only=<scenario,…> (route, churn, registration, memory, dead,
 * failover, codec, flood), --cpu-prof (every node writes a CPU profile to <out>/profiles; the log
 * names each node's pid; summarize one with bench/profile-top.ts).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLog } from './lib/log.js';
import { FULL, SMOKE } from './lib/profile.js';
import { renderChart, renderMarkdown, pairLevels, targetLogLines } from './lib/report.js';
import type { BenchResults, TargetCheck } from './lib/results.js';
import { REPO_ROOT } from './lib/ns.js';
import { setCpuProfDir } from './lib/processes.js';
import { closeGenerators } from './lib/load-runner.js';
import {
  closeRouteNode,
  runChurn,
  runRouteLevels,
  setupRouteNode,
  syntheticRouteNode,
} from './scenarios/route.js';
import type { RouteNode } from './scenarios/route.js';
import { runRegistration } from './scenarios/registration.js';
import { runMemory } from './scenarios/memory.js';
import { runDeadBroker } from './scenarios/dead-broker.js';
import { runFailover } from './scenarios/failover.js';
import { runCodec } from './scenarios/codec.js';
import { runFlood } from './scenarios/flood.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const SCENARIOS = [
  'route',
  'churn',
  'registration',
  'memory',
  'dead',
  'failover',
  'codec',
  'flood',
] as const;
type Scenario = (typeof SCENARIOS)[number];

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

/** Verdicts of a full run; a smoke run's sizes are too small to judge anything by. */
function targets(r: BenchResults): TargetCheck[] {
  const out: TargetCheck[] = [];
  const pairs = r.route === undefined ? [] : pairLevels(r.route.levels);
  const l16 = pairs.find((p) => p.label === '16×1');
  const n16 = l16?.node;
  const b16 = l16?.base;
  const ratio = n16 === undefined || b16 === undefined ? undefined : (n16.qps / b16.qps) * 100;
  out.push({
    name: 'route QPS vs baseline at 16 connections',
    target: '≥ 85 %',
    measured:
      ratio === undefined
        ? '–'
        : `${ratio.toFixed(1)} % (${n16!.qps.toFixed(0)} vs ${b16!.qps.toFixed(0)} req/s)`,
    met: ratio === undefined ? null : ratio >= 85,
  });
  out.push({
    name: 'route p99 at 16×1',
    target: '≤ 1 ms',
    measured: l16?.node === undefined ? '–' : `${(l16.node.latency.p99Us / 1000).toFixed(3)} ms`,
    met: l16?.node === undefined ? null : l16.node.latency.p99Us <= 1000,
  });
  const reg10k = r.registration?.rows.filter((x) => x.topics === 10_000) ?? [];
  const worst =
    reg10k.length === 0 ? undefined : reg10k.reduce((a, b) => (b.loopP50Ms > a.loopP50Ms ? b : a));
  out.push({
    name: '10,000-topic registration, event-loop time',
    target: '≤ 20 ms',
    measured:
      worst === undefined
        ? 'not measured at this size'
        : reg10k.map((x) => `${x.phase} ${x.loopP50Ms.toFixed(1)} ms`).join(', ') + ' (median)',
    met: worst === undefined ? null : worst.loopP50Ms <= 20,
  });
  const mem = r.memory;
  out.push({
    name: 'heap per (topic, broker) entry',
    target: '≤ 300 B',
    measured:
      mem === undefined
        ? '–'
        : `${mem.heapBytesPerEntry.toFixed(0)} B (${mem.topics} × ${mem.groups})`,
    met: mem === undefined ? null : mem.heapBytesPerEntry <= 300,
  });
  const d = r.deadBroker;
  out.push({
    name: 'dead broker out of routes after its connection closes',
    target: '≤ one scan interval',
    measured:
      d === undefined
        ? '–'
        : `max ${d.closeToGoneMaxMs.toFixed(1)} ms (scan ${d.scanIntervalMs} ms)`,
    met: d === undefined ? null : d.closeToGoneMaxMs <= d.scanIntervalMs,
  });
  const f = r.flood;
  const flood =
    f === undefined
      ? ''
      : ` (${f.connections} connections × ${f.sendMiB} MiB of ${f.announcedMiB} MiB frames)`;
  out.push({
    name: `node RSS under a partial-frame flood${flood}`,
    target: '< 1 GiB',
    measured:
      f === undefined
        ? '–'
        : `peak ${f.peakRssMiB.toFixed(0)} MiB (VmHWM ${f.hwmRssMiB.toFixed(0)} MiB)`,
    met: f === undefined ? null : Math.max(f.peakRssMiB, f.hwmRssMiB) < 1024,
  });
  out.push({
    name: `route p99 of a well-behaved client during the flood`,
    target: '< 10 ms, no failed lookup',
    measured:
      f === undefined
        ? '–'
        : `${(f.latency.p99Us / 1000).toFixed(2)} ms over ${f.probes} lookups, ${f.probeFailures} failed`,
    met: f === undefined ? null : f.latency.p99Us < 10_000 && f.probeFailures === 0,
  });
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const smoke = argv.includes('--smoke');
  const profile = smoke ? SMOKE : FULL;
  const outArg = argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
  const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const only = new Set<Scenario>(
    onlyArg === undefined
      ? SCENARIOS
      : (onlyArg
          .split(',')
          .filter((s) => (SCENARIOS as readonly string[]).includes(s)) as Scenario[]),
  );
  const outDir = outArg ?? (smoke ? mkdtempSync(join(tmpdir(), 'ns-bench-smoke-')) : RESULTS_DIR);
  mkdirSync(outDir, { recursive: true });
  const cpuProfDir = argv.includes('--cpu-prof') ? join(outDir, 'profiles') : undefined;
  setCpuProfDir(cpuProfDir);
  const log = makeLog();
  const started = performance.now();
  log(`profile ${profile.name}, results to ${outDir}`);

  const results: BenchResults = {
    profile: profile.name,
    date: new Date().toISOString(),
    gitCommit: gitCommit(),
    durationSec: 0,
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      totalMemGiB: totalmem() / 1024 ** 3,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAvgStart: loadavg(),
      loadAvgEnd: [],
    },
    targets: [],
    failures: [],
    notes: [
      ...(process.env['BENCH_SERVER_ENTRY'] === undefined
        ? []
        : [
            `Node started from BENCH_SERVER_ENTRY=${process.env['BENCH_SERVER_ENTRY']}, not the built bin.`,
          ]),
      `Only ${cpus().length} cores: the node, the load generator(s) and the orchestrator share them, so at high concurrency the generator takes CPU the server would otherwise use (see the "gen CPU" column and the 2-generator row). Ratios to the baseline are measured side by side in the same run under the same conditions; absolute numbers are not portable.`,
      'The baseline does no routing and no header parsing; it bounds what a Node TCP server can do here with one event loop.',
    ],
  };

  const attempt = async (
    scenario: Scenario,
    fn: () => Promise<void>,
    force = false,
  ): Promise<void> => {
    if (!only.has(scenario) && !force) return;
    try {
      await fn();
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      results.failures.push({ scenario, message });
      log(`FAILED ${scenario}: ${message}`);
    }
  };

  let node: RouteNode | undefined;
  if (only.has('route') || only.has('churn')) {
    await attempt(
      'route',
      async () => {
        try {
          node = await setupRouteNode(profile, log);
        } catch (err) {
          // Still measure the baseline (and so prove the generator works), then report the node.
          if (only.has('route'))
            results.route = await runRouteLevels(syntheticRouteNode(profile), profile, log);
          throw err;
        }
        if (only.has('route')) results.route = await runRouteLevels(node, profile, log);
      },
      true,
    );
    if (node !== undefined) {
      const n = node;
      await attempt('churn', async () => {
        results.churn = await runChurn(n, profile, log);
      });
      await closeRouteNode(n);
    }
  }
  await attempt('registration', async () => {
    results.registration = await runRegistration(profile, log);
  });
  await attempt('memory', async () => {
    results.memory = await runMemory(profile, log);
  });
  await attempt('dead', async () => {
    results.deadBroker = await runDeadBroker(profile, log);
  });
  await attempt('failover', async () => {
    results.failover = await runFailover(profile, log);
  });
  await attempt('codec', async () => {
    results.codec = await runCodec(profile, log);
  });
  await attempt('flood', async () => {
    results.flood = await runFlood(profile.flood, log);
    if (results.flood.probeFailures > 0 || !results.flood.answersAfter) {
      // Wrong or missing answers are breakage, not slowness.
      throw new Error(
        `${results.flood.probeFailures} route lookups failed during the flood (${results.flood.probeFailureSamples.join(' | ')}); answers after: ${results.flood.answersAfter}`,
      );
    }
  });

  closeGenerators();
  results.machine.loadAvgEnd = loadavg();
  results.durationSec = (performance.now() - started) / 1000;
  results.targets = smoke ? [] : targets(results);

  // Wrong answers under load are harness or node breakage, never "slow".
  const loadErrors = [
    ...(results.route?.levels ?? []),
    ...(results.churn ?? []).map((c) => c.lookups),
  ].filter((l) => l.errorCount > 0);
  for (const l of loadErrors) {
    results.failures.push({
      scenario: `load ${l.target} ${l.label}`,
      message: `${l.errorCount} errors: ${JSON.stringify(l.errors)}; ${l.errorSamples.join(' | ')}`,
    });
  }
  for (const c of results.churn ?? []) {
    if (c.registrationErrors > 0) {
      results.failures.push({
        scenario: `churn ${c.mode}`,
        message: `${c.registrationErrors} registrations failed`,
      });
    }
  }

  // Histograms are for merging; the summaries carry the percentiles.
  const json =
    JSON.stringify(results, (k, v: unknown) => (k === 'histogram' ? undefined : v), 2) + '\n';
  writeFileSync(join(outDir, 'latest.json'), json);
  if (!smoke)
    copyFileSync(
      join(outDir, 'latest.json'),
      join(outDir, `${results.date.slice(0, 19).replace(/:/g, '-')}Z.json`),
    );
  writeFileSync(join(outDir, 'latest.md'), renderMarkdown(results));
  if (results.route !== undefined) {
    writeFileSync(
      join(outDir, 'route-qps-p99.svg'),
      renderChart(
        results.route.levels,
        `Route lookups: ns-server vs baseline (${results.machine.cores} cores, ${profile.name})`,
      ),
    );
  }
  for (const line of targetLogLines(results)) log(line);
  log(
    `done in ${results.durationSec.toFixed(0)} s; ${results.failures.length} failure(s); results in ${outDir}`,
  );
  return results.failures.length === 0 ? 0 : 1;
}
