// Loaded with `node --import` into every process under test (the ns-server bin and the baseline
// server) so the harness can read that process's own counters over the IPC channel: CPU time at
// microsecond precision (/proc ticks are 10 ms), event-loop utilization, the longest event-loop
// delay (once asked for), and memory after a forced GC (only when the process runs with
// --expose-gc). Plain JS so the real server runs without a TypeScript loader. It does nothing
// until asked.
//
// Only in the process the harness started: the processes that one forks (ns-server's serving
// workers, the baseline's cluster workers) inherit its execArgv, and so this module, but their
// IPC channel belongs to their parent. Unref-ing it there would let an idle worker exit (and
// the node replace it, forever). They inherit the environment too, which is how they know.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

const MARK = 'NS_BENCH_PROBED_PID';

if (typeof process.send === 'function' && process.env[MARK] === undefined) {
  process.env[MARK] = String(process.pid);
  // The longest event-loop block since the last probe that asked for a reset (how late a 10 ms
  // timer fired): the process's own stall. Off (and free) until a probe first asks for it.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let isMonitoring = false;
  // The longest garbage-collection pause in the same window (part of the loop block).
  let gcMaxMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.duration > gcMaxMs) gcMaxMs = e.duration;
  });
  process.on('message', (msg) => {
    if (msg === null || typeof msg !== 'object' || msg.type !== 'probe') return;
    const loopDelayMaxMs = isMonitoring ? loopDelay.max / 1e6 : 0;
    const gcPauseMaxMs = gcMaxMs;
    if (msg.resetLoopDelay === true) {
      if (!isMonitoring) {
        loopDelay.enable();
        gcObserver.observe({ entryTypes: ['gc'] });
      }
      isMonitoring = true;
      loopDelay.reset();
      gcMaxMs = 0;
    }
    if (msg.gc === true && typeof globalThis.gc === 'function') {
      // Twice: the first pass can leave weakly-held and finalizable objects for the second.
      globalThis.gc();
      globalThis.gc();
    }
    const elu = performance.eventLoopUtilization();
    let mainThreadCpuMs = null;
    try {
      // The main thread alone (its tid is the pid), without helper threads: nanoseconds on CPU.
      const schedstat = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
      mainThreadCpuMs = Number(schedstat.split(' ')[0]) / 1e6;
    } catch {
      // not Linux
    }
    process.send({
      type: 'probe',
      id: msg.id,
      cpu: process.cpuUsage(),
      eluActiveMs: elu.active,
      eluIdleMs: elu.idle,
      mainThreadCpuMs,
      mem: process.memoryUsage(),
      hasGc: typeof globalThis.gc === 'function',
      loopDelayMaxMs,
      gcPauseMaxMs,
    });
  });
  // The channel must not keep the process alive, or a SIGTERM-ed server would not exit.
  process.channel?.unref();
}
