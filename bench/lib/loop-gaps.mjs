// Loaded with `node --import` into every process (and thread) the bench profiles (`--cpu-prof`):
// a 1 ms timer notes each gap of at least NS_BENCH_GAP_MS (default 4) milliseconds between two of
// its turns — a stretch in which the event loop did not get back to its timers: one task, a GC
// pause, or several immediates run back to back — as [start, end] in microseconds of
// CLOCK_MONOTONIC, the clock of V8's .cpuprofile timestamps. They are written next to the
// profiles (`--cpu-prof-dir`, read from this process's flags) as gaps-<pid>-<thread>.json;
// bench/profile-stalls.ts names what ran in each gap. Plain JS: the real server runs it as it is.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

const dirFlag = process.execArgv.find((a) => a.startsWith('--cpu-prof-dir='));
if (dirFlag !== undefined) {
  const dir = dirFlag.slice('--cpu-prof-dir='.length);
  const minUs = Number(process.env.NS_BENCH_GAP_MS ?? 4) * 1000;
  const gaps = [];
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  let last = nowUs();
  setInterval(() => {
    const now = nowUs();
    if (now - last >= minUs) gaps.push([last, now]);
    last = now;
  }, 1).unref();
  const file = join(dir, `gaps-${process.pid}-${threadId}.json`);
  const save = () => {
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, threadId, minUs, gaps }));
    } catch {
      // the directory went away: nothing to keep
    }
  };
  // A killed process writes no exit handler's file: keep it current.
  setInterval(save, 1000).unref();
  process.on('exit', save);
}
