/**
 * `pnpm bench` / `pnpm bench:smoke`: runs every scenario, writes results/latest.{json,md}, a
 * dated JSON copy and the chart. The smoke run uses tiny sizes, writes to a temp directory and
 * exists to prove the harness works: it exits non-zero when any scenario throws or any checked
 * response was wrong. Speed is never asserted; the full run reports targets, met or missed. The
 * smoke run does not evaluate them: its tiny sizes measure nothing.
 *
 * Flags: see lib/args.ts (`--help`). --cpu-prof: summarize a profile with bench/profile-top.ts,
 * or find what ran in its long event-loop stretches with bench/profile-stalls.ts.
 *
 * route, churn and memory run once per W of the worker plan (lib/profile.ts planWorkers: 1, 2,
 * 4, 8 and the node's automatic choice, larger W skipped when the cores do not fit them);
 * registration runs for W = 1 and 2.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_USAGE, BenchArgsError, parseBenchArgs } from './lib/args.js';
import type { BenchArgs, Scenario } from './lib/args.js';
import { makeLog } from './lib/log.js';
import { FULL, planWorkers, SMOKE } from './lib/profile.js';
import { contentionNote, renderChart, renderMarkdown, targetLogLines } from './lib/report.js';
import type { BenchResults } from './lib/results.js';
import { REPO_ROOT } from './lib/ns.js';
import { setCpuProfDir } from './lib/processes.js';
import { closeGenerators } from './lib/load-runner.js';
import { machineBusyPct, machineCpu } from './lib/proc.js';
import { evaluateTargets } from './lib/targets.js';
import {
  closeRouteNode,
  runChurn,
  runRouteLevels,
  setupRouteNode,
  syntheticRouteNode,
} from './scenarios/route.js';
import type {
  ChurnResults,
  RouteNode,
  RouteResults,
  RouteRun,
  RouteWorkload,
} from './scenarios/route.js';
import { runRegistration } from './scenarios/registration.js';
import { runMemory } from './scenarios/memory.js';
import { runOps } from './scenarios/ops.js';
import { runDeadBroker } from './scenarios/dead-broker.js';
import { runFailover } from './scenarios/failover.js';
import { runCodec } from './scenarios/codec.js';
import { runWatch } from './scenarios/watch.js';
import { runHostile } from './scenarios/hostile.js';
import { runFlood } from './scenarios/flood.js';
import { runKv } from './scenarios/kv.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

function gitCommit(): string {
  // Set by bench/device/run.sh: the copy of the tree run there has no .git.
  const given = process.env['BENCH_COMMIT'];
  if (given !== undefined && given !== '') return given;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof BenchArgsError)) throw err;
    process.stderr.write(`bench: ${err.message}\n${BENCH_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const smoke = args.smoke;
  const profile = smoke ? SMOKE : FULL;
  const only = args.only;
  const outDir = args.out ?? (smoke ? mkdtempSync(join(tmpdir(), 'ns-bench-smoke-')) : RESULTS_DIR);
  mkdirSync(outDir, { recursive: true });
  const cpuProfDir = args.cpuProf ? join(outDir, 'profiles') : undefined;
  setCpuProfDir(cpuProfDir, args.cpuProfIntervalMicros);
  const log = makeLog();
  const started = performance.now();
  const cpuAtStart = machineCpu();
  const cores = cpus().length;
  const forcedWorkers = args.workers;
  const forcedGenerators = args.generators;
  const plan = planWorkers(profile.route.workers, {
    cores,
    ...(forcedWorkers === undefined ? {} : { forced: forcedWorkers }),
    // The smoke run proves the harness with W = 1 and 2; the default W is for real figures.
    includeAuto: !smoke,
  });
  const regWorkers = forcedWorkers ?? profile.registration.workers;
  log(`profile ${profile.name}, results to ${outDir}`);
  log(
    `${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')}; serving workers W = ${plan.run.join(', ')} (auto = ${plan.auto})` +
      plan.skipped.map((x) => `; W = ${x.workers} skipped: ${x.reason}`).join(''),
  );

  const results: BenchResults = {
    profile: profile.name,
    date: new Date().toISOString(),
    gitCommit: gitCommit(),
    durationSec: 0,
    machine: {
      cores,
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
      `${cores} cores: the node, the load generators and the orchestrator share them (and, on a shared machine, whatever else runs there: see the load averages and the "machine busy" column). Ratios to the baseline are measured side by side in the same run under the same conditions; absolute numbers are not portable.`,
      'The baseline does no routing and no header parsing; with W processes it is a node:cluster primary handing connections to W workers, the shape of a node with W serving workers. It bounds what Node TCP servers of that shape can do here.',
      `Generator processes per level: the cores the node leaves free (cores − W − 1), at least 1, at most ${profile.route.maxGenerators}; a generator whose event loop was ≥ 90 % busy is marked saturated (it set the pace).`,
      ...(forcedWorkers === undefined
        ? []
        : [`--workers=${forcedWorkers.join(',')} given: exactly these W were run.`]),
      ...(forcedGenerators === undefined ? [] : [`--generators=${forcedGenerators} given.`]),
    ],
  };

  const attempt = async (
    scenario: string,
    fn: () => Promise<void>,
    force = false,
  ): Promise<void> => {
    if (!only.has(scenario as Scenario) && !force) return;
    try {
      await fn();
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      results.failures.push({ scenario, message });
      log(`FAILED ${scenario}: ${message}`);
    }
  };
  const failed = (scenario: string, err: unknown): void => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    results.failures.push({ scenario, message });
    log(`FAILED ${scenario}: ${message}`);
  };

  // route + churn: one node per W, loads against it and a baseline of W processes, then churn.
  if (only.has('route') || only.has('churn')) {
    const runs: RouteRun[] = [];
    let workload: RouteWorkload | undefined;
    const churn: ChurnResults = {
      topicsPerBroker: profile.route.topics,
      masters: 0,
      load: `${profile.churn.load.connections}×${profile.churn.load.inflight}`,
      runs: [],
    };
    for (const workers of plan.run) {
      let node: RouteNode | undefined;
      await attempt(
        `route W=${workers}`,
        async () => {
          try {
            node = await setupRouteNode(profile, log, workers);
          } catch (err) {
            // Still measure the baseline (and so prove the generator works), then report the node.
            if (only.has('route') && runs.length === 0) {
              const r = await runRouteLevels(syntheticRouteNode(profile), profile, log, {
                workers,
                cores,
                ...(forcedGenerators === undefined ? {} : { generators: forcedGenerators }),
              });
              runs.push(r.run);
              workload ??= r.workload;
            }
            throw err;
          }
          if (only.has('route')) {
            const r = await runRouteLevels(node, profile, log, {
              workers,
              cores,
              ...(forcedGenerators === undefined ? {} : { generators: forcedGenerators }),
            });
            runs.push(r.run);
            workload ??= r.workload;
          }
        },
        true,
      );
      if (node !== undefined) {
        const n = node;
        if (only.has('churn')) {
          try {
            const modes = await runChurn(n, profile, log, {
              cores,
              ...(forcedGenerators === undefined ? {} : { generators: forcedGenerators }),
            });
            churn.runs.push({ workers, modes });
            churn.masters = n.brokers.filter((b) => b.brokerId === 0).length;
          } catch (err) {
            failed(`churn W=${workers}`, err);
          }
        }
        await closeRouteNode(n);
      }
    }
    if (workload !== undefined) {
      const route: RouteResults = {
        ...workload,
        autoWorkers: plan.auto,
        skipped: plan.skipped,
        runs,
      };
      results.route = route;
    }
    if (churn.runs.length > 0) results.churn = churn;
  }
  await attempt('registration', async () => {
    results.registration = await runRegistration(profile, log, regWorkers, (w, err) => {
      failed(`registration W=${w}`, err);
    });
  });
  await attempt('memory', async () => {
    results.memory = await runMemory(profile, log, plan.run, (w, err) => {
      failed(`memory W=${w}`, err);
    });
  });
  await attempt('ops', async () => {
    results.ops = await runOps(profile, log);
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
  await attempt('watch', async () => {
    results.watch = await runWatch(profile, log);
  });
  await attempt('hostile', async () => {
    results.hostile = await runHostile(profile, log);
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
  await attempt('kv', async () => {
    results.kv = await runKv(profile, log);
  });

  closeGenerators();
  results.machine.loadAvgEnd = loadavg();
  results.machine.busyPctDuringRun = machineBusyPct(cpuAtStart, machineCpu());
  results.durationSec = (performance.now() - started) / 1000;
  results.targets = smoke ? [] : evaluateTargets(results);
  const contended = contentionNote(results.machine);
  if (contended !== undefined) results.notes.unshift(contended);

  // Wrong answers under load are harness or node breakage, never "slow".
  const watchLevels =
    results.watch === undefined
      ? []
      : [results.watch.lookupsQuiet, results.watch.lookupsDuringWaves].map((level) => ({
          workers: 1,
          level,
        }));
  if (results.watch !== undefined && results.watch.errors.length > 0) {
    results.failures.push({
      scenario: 'watch',
      message: `${results.watch.errors.length} wrong watch answers: ${results.watch.errors.slice(0, 5).join(' | ')}`,
    });
  }
  const churnLevels = (results.churn?.runs ?? []).flatMap((c) =>
    c.modes.map((m) => ({ workers: c.workers, level: m.lookups })),
  );
  const routeLevels = (results.route?.runs ?? []).flatMap((r) =>
    r.levels.map((level) => ({ workers: r.workers, level })),
  );
  for (const { workers, level: l } of [...routeLevels, ...churnLevels, ...watchLevels]) {
    if (l.errorCount === 0) continue;
    results.failures.push({
      scenario: `load W=${workers} ${l.target} ${l.label}`,
      message: `${l.errorCount} errors: ${JSON.stringify(l.errors)}; ${l.errorSamples.join(' | ')}`,
    });
  }
  // Under attack a lookup may time out (that is what is measured); a wrong answer never.
  for (const run of results.hostile?.runs ?? []) {
    const wrong = Object.entries(run.lookups.errors).filter(([kind]) => kind !== 'timeout');
    if (wrong.length > 0) {
      results.failures.push({
        scenario: `hostile ${run.attack}`,
        message: `${JSON.stringify(Object.fromEntries(wrong))}; ${run.lookups.errorSamples.join(' | ')}`,
      });
    }
  }
  for (const c of results.churn?.runs ?? []) {
    for (const m of c.modes) {
      if (m.registrationErrors > 0) {
        results.failures.push({
          scenario: `churn W=${c.workers} ${m.mode}`,
          message: `${m.registrationErrors} registrations failed`,
        });
      }
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
  if (results.route !== undefined && results.route.runs.length > 0) {
    writeFileSync(
      join(outDir, 'route-qps-p99.svg'),
      renderChart(
        results.route.runs,
        `Route lookups: ns-server vs a baseline of as many processes (${results.machine.cores} cores, ${profile.name})`,
      ),
    );
  }
  for (const line of targetLogLines(results)) log(line);
  log(
    `done in ${results.durationSec.toFixed(0)} s; ${results.failures.length} failure(s); results in ${outDir}`,
  );
  return results.failures.length === 0 ? 0 : 1;
}
