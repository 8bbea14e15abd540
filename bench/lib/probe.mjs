// Loaded with `node --import` into every process under test (the ns-server bin and the baseline
// server) so the harness can read that process's own counters over the IPC channel: CPU time at
// microsecond precision (/proc ticks are 10 ms), event-loop utilization, and memory after a
// forced GC (only when the process runs with --expose-gc). Plain JS so the real server runs
// without a TypeScript loader. It does nothing until asked.
import { performance } from 'node:perf_hooks';

if (typeof process.send === 'function') {
  process.on('message', (msg) => {
    if (msg === null || typeof msg !== 'object' || msg.type !== 'probe') return;
    if (msg.gc === true && typeof globalThis.gc === 'function') {
      // Twice: the first pass can leave weakly-held and finalizable objects for the second.
      globalThis.gc();
      globalThis.gc();
    }
    const elu = performance.eventLoopUtilization();
    process.send({
      type: 'probe',
      id: msg.id,
      cpu: process.cpuUsage(),
      eluActiveMs: elu.active,
      eluIdleMs: elu.idle,
      mem: process.memoryUsage(),
      hasGc: typeof globalThis.gc === 'function',
    });
  });
  // The channel must not keep the process alive, or a SIGTERM-ed server would not exit.
  process.channel?.unref();
}
