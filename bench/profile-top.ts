/**
 * Summarizes a V8 .cpuprofile (from `pnpm bench -- --cpu-prof`, written to
 * <out>/profiles): self and inclusive time per function, top N, so a hot spot can be named by
 * file and function without opening DevTools.
 *
 *   node --import tsx bench/profile-top.ts <file.cpuprofile> [N]
 */
import { readFileSync } from 'node:fs';
import { parentsOf } from './lib/cpu-profile.js';
import type { CallFrame, CpuProfile } from './lib/cpu-profile.js';

function key(cf: CallFrame): string {
  const file = cf.url.replace(/^file:\/\/\/work\/main\//, '').replace(/^file:\/\//, '');
  return `${cf.functionName || '(anonymous)'} ${file}:${cf.lineNumber + 1}`;
}

export function summarize(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = parentsOf(profile);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (const [id, us] of selfUs) {
    all += us;
    const n = byId.get(id)!;
    self.set(key(n.callFrame), (self.get(key(n.callFrame)) ?? 0) + us);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  }
  const pct = (us: number): string => `${((us / all) * 100).toFixed(1).padStart(5)} %`;
  const lines = [`total sampled ${(all / 1000).toFixed(0)} ms`, '', 'self time:'];
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`${pct(us)}  ${k}`);
  lines.push('', 'inclusive time:');
  for (const [k, us] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`${pct(us)}  ${k}`);
  return lines.join('\n');
}

const file = process.argv[2];
if (file !== undefined) {
  process.stdout.write(
    summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25)) +
      '\n',
  );
}
