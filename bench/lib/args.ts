/**
 * The bench's command line. Strict on purpose: the bench runs for minutes, so a misspelt flag
 * (`--help`, `--only=rout`, `--workers=two`) that was silently dropped meant a full 6–8 minute
 * run of something nobody asked for, or a run of nothing that still looked like a result.
 */
import { parseArgs } from 'node:util';

export const SCENARIOS = [
  'route',
  'churn',
  'registration',
  'memory',
  'ops',
  'dead',
  'failover',
  'codec',
  'watch',
  'hostile',
  'flood',
  'kv',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchArgs {
  readonly help: boolean;
  readonly smoke: boolean;
  readonly out: string | undefined;
  readonly only: ReadonlySet<Scenario>;
  readonly workers: readonly number[] | undefined;
  readonly generators: number | undefined;
  readonly cpuProf: boolean;
  readonly cpuProfIntervalMicros: number | undefined;
}

export const BENCH_USAGE = `usage: pnpm bench [-- flags]     (or: node bench/run.mjs [flags] after tsc -b)

  --smoke                    tiny sizes, results to a temp directory; proves the harness works
  --out=<dir>                where results go (default bench/results/)
  --only=<scenario,...>      run only these: ${SCENARIOS.join(', ')}
  --workers=<W,...>          exactly these serving-process counts (none skipped for the cores)
  --generators=<n>           load-generator processes per level (default: sized to the machine)
  --cpu-prof                 every node writes a CPU profile to <out>/profiles
  --cpu-prof-interval=<us>   sampling interval of those profiles (V8's default is 1000)
  -h, --help                 this text`;

export class BenchArgsError extends Error {}

/** Parses the bench's flags; throws BenchArgsError naming the flag and what was expected. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  // `pnpm bench -- --only=kv` hands the script the `--` itself.
  const args = argv.filter((a) => a !== '--');
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        smoke: { type: 'boolean' },
        out: { type: 'string' },
        only: { type: 'string' },
        workers: { type: 'string' },
        generators: { type: 'string' },
        'cpu-prof': { type: 'boolean' },
        'cpu-prof-interval': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new BenchArgsError((err as Error).message);
  }
  const only = values.only === undefined ? SCENARIOS : scenarioList(values.only);
  const workers =
    values.workers === undefined ? undefined : positiveInts('--workers', values.workers);
  const generators =
    values.generators === undefined ? undefined : positiveInt('--generators', values.generators);
  const interval =
    values['cpu-prof-interval'] === undefined
      ? undefined
      : positiveInt('--cpu-prof-interval', values['cpu-prof-interval']);
  if (interval !== undefined && values['cpu-prof'] !== true) {
    throw new BenchArgsError('--cpu-prof-interval needs --cpu-prof');
  }
  if (values.out === '') throw new BenchArgsError('--out: expected a directory, got ""');
  return {
    help: values.help === true,
    smoke: values.smoke === true,
    out: values.out,
    only: new Set(only),
    workers,
    generators,
    cpuProf: values['cpu-prof'] === true,
    cpuProfIntervalMicros: interval,
  };
}

function scenarioList(text: string): Scenario[] {
  const names = text.split(',').map((s) => s.trim());
  const unknown = names.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new BenchArgsError(
      `--only: unknown scenario ${unknown.map((s) => JSON.stringify(s)).join(', ')}; expected a comma-separated list of ${SCENARIOS.join(', ')}`,
    );
  }
  return names as Scenario[];
}

function positiveInts(flag: string, text: string): number[] {
  return text.split(',').map((s) => positiveInt(flag, s.trim()));
}

function positiveInt(flag: string, text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new BenchArgsError(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return n;
}
