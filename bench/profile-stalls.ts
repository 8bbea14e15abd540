/**
 * What held an event loop: for each gap that bench/lib/loop-gaps.mjs noted in a profiled process
 * (`pnpm bench -- --cpu-prof`; a finer `--cpu-prof-interval=250` helps), the functions the CPU
 * profile sampled inside it, by self and inclusive time. A whole-run profile cannot tell one 20 ms
 * stall from twenty 1 ms slices; this can.
 *
 *   node --import tsx bench/profile-stalls.ts <profiles dir>/CPU.<…>.<pid>.<thread>.<n>.cpuprofile
 *     [--min=<ms>] [--from=<ms after the profile started>] [--top=<n>]
 *
 * The gaps file is found beside the profile by its pid and thread (gaps-<pid>-<thread>.json).
 * Gaps are on CLOCK_MONOTONIC, as the profile's timestamps are; "(idle)" inside a gap means the
 * process was not running (another process had the CPU), "(garbage collector)" a GC pause.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parentsOf } from './lib/cpu-profile.js';
import type { CallFrame, CpuProfile } from './lib/cpu-profile.js';

interface Gaps {
  gaps: [startUs: number, endUs: number][];
}

function key(cf: CallFrame): string {
  const file = cf.url.split('/').slice(-2).join('/');
  return `${cf.functionName || '(anonymous)'} ${file}:${cf.lineNumber + 1}`;
}

/** The gaps file of a profile named CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile. */
export function gapsFileOf(profilePath: string): string {
  const parts = basename(profilePath).split('.');
  const [pid, thread] = [parts[3], parts[4]];
  return join(dirname(profilePath), `gaps-${pid}-${Number(thread)}.json`);
}

export function stallReport(
  profile: CpuProfile,
  gaps: Gaps,
  opts: { minMs: number; fromMs: number; top: number },
): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = parentsOf(profile);
  const times: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const lines: string[] = [];
  let at = 0;
  for (const [start, end] of gaps.gaps) {
    const ms = (end - start) / 1000;
    if (ms < opts.minMs || start < profile.startTime + opts.fromMs * 1000) continue;
    if (start > profile.endTime) break;
    const self = new Map<string, number>();
    const total = new Map<string, number>();
    while (at < times.length && times[at]! < start) at++;
    for (let i = at; i < times.length && times[i]! <= end; i++) {
      const us = (times[i + 1] ?? times[i]!) - times[i]!;
      const id = profile.samples[i]!;
      const k = key(byId.get(id)!.callFrame);
      self.set(k, (self.get(k) ?? 0) + us);
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const name = key(byId.get(cur)!.callFrame);
        if (seen.has(name)) continue;
        seen.add(name);
        total.set(name, (total.get(name) ?? 0) + us);
      }
    }
    const top = (m: Map<string, number>): string =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, opts.top)
        .map(([k, us]) => `${(us / 1000).toFixed(1)} ${k}`)
        .join(' ; ');
    const offset = ((start - profile.startTime) / 1000).toFixed(0);
    lines.push(`gap of ${ms.toFixed(1)} ms at +${offset} ms`);
    lines.push(`  self:      ${top(self)}`);
    lines.push(`  inclusive: ${top(total)}`);
  }
  return lines.length === 0 ? 'no gap of that length' : lines.join('\n');
}

const file = process.argv[2];
if (file !== undefined) {
  const flag = (name: string, fallback: number): number => {
    const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
    return arg === undefined ? fallback : Number(arg.split('=')[1]);
  };
  const gapsFile = gapsFileOf(file);
  if (!existsSync(gapsFile)) {
    process.stderr.write(`no ${gapsFile}: was the profile written by pnpm bench -- --cpu-prof?\n`);
    process.exit(2);
  }
  const report = stallReport(
    JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
    JSON.parse(readFileSync(gapsFile, 'utf8')) as Gaps,
    { minMs: flag('min', 5), fromMs: flag('from', 0), top: flag('top', 8) },
  );
  process.stdout.write(`${report}\n`);
}
