import { afterEach, describe, expect, it } from 'vitest';
import { SliceQueue, SliceQueueFullError } from './slice-queue.js';
import type { SlicedJob } from './slice-queue.js';

/** A clock the jobs advance: each step of a job "takes" `cost` ms. */
function clock() {
  let t = 0;
  return {
    now: () => t,
    spend: (ms: number) => {
      t += ms;
    },
  };
}

function* steps(
  name: string,
  n: number,
  log: string[],
  spend: (ms: number) => void,
): SlicedJob<string> {
  for (let i = 0; i < n; i++) {
    log.push(`${name}${i}`);
    spend(1);
    if (i < n - 1) yield;
  }
  return name;
}

const queues: SliceQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.close();
});

describe('SliceQueue', () => {
  it('runs jobs in arrival order, at most one slice per turn, other work in between', async () => {
    const c = clock();
    const queue = new SliceQueue({ sliceMillis: 2, now: c.now });
    queues.push(queue);
    const log: string[] = [];
    const a = queue.run(steps('a', 3, log, c.spend));
    const b = queue.run(steps('b', 2, log, c.spend));
    // Other work noting every turn of the loop: each slice ends when 2 ms are spent.
    let ticks = 0;
    let ticking = true;
    const tick = (): void => {
      log.push(`tick${ticks++}`);
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    expect(await a).toBe('a');
    expect(await b).toBe('b');
    ticking = false;
    const work = log.filter((l) => !l.startsWith('tick'));
    expect(work).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
    // No slice ran more than two steps (2 ms) without yielding the loop.
    const runs = log
      .join(' ')
      .split(/ ?tick\d+ ?/)
      .filter((r) => r !== '');
    for (const run of runs) expect(run.split(' ').length).toBeLessThanOrEqual(2);
    expect(queue.size).toBe(0);
  });

  it('a job that throws rejects its own promise only', async () => {
    const queue = new SliceQueue();
    queues.push(queue);
    // eslint-disable-next-line require-yield
    function* boom(): SlicedJob<number> {
      throw new Error('boom');
    }
    const failed = queue.run(boom());
    const ok = queue.run(
      (function* () {
        yield;
        return 7;
      })(),
    );
    await expect(failed).rejects.toThrow('boom');
    expect(await ok).toBe(7);
  });

  it('close() rejects what waits, and later jobs, and runs nothing more', async () => {
    const queue = new SliceQueue({ sliceMillis: 0 });
    const log: string[] = [];
    const pending = queue.run(steps('x', 100, log, () => undefined));
    queue.close();
    await expect(pending).rejects.toThrow('closing');
    await expect(queue.run(steps('y', 1, log, () => undefined))).rejects.toThrow('closing');
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual([]);
  });

  // A review queued 20,000 searches by asking and closing at once: each ran to its end for
  // nobody, and real requests waited for minutes.
  it('a job whose signal aborts leaves the queue where it stands, its finally blocks run', async () => {
    const queue = new SliceQueue({ sliceMillis: 0 });
    queues.push(queue);
    const log: string[] = [];
    let cleaned = false;
    function* watched(): SlicedJob<string> {
      try {
        yield* steps('a', 1000, log, () => undefined);
        return 'a';
      } finally {
        cleaned = true;
      }
    }
    const left = new AbortController();
    const abandoned = queue.run(watched(), left.signal);
    const other = queue.run(steps('b', 3, log, () => undefined));
    while (log.length < 3) await new Promise((resolve) => setImmediate(resolve));
    left.abort();
    await expect(abandoned).rejects.toThrow('abandoned');
    expect(cleaned).toBe(true);
    expect(queue.size).toBe(1);
    await expect(other).resolves.toBe('b');
    expect(log.filter((l) => l.startsWith('a')).length).toBeLessThan(10);
    // Already aborted: never queued.
    await expect(
      queue.run(
        steps('c', 2, log, () => undefined),
        left.signal,
      ),
    ).rejects.toThrow('abandoned');
    expect(log.some((l) => l.startsWith('c'))).toBe(false);
  });

  it('refuses a job beyond maxJobs at once, and takes one again when there is room', async () => {
    const queue = new SliceQueue({ sliceMillis: 0, maxJobs: 2 });
    queues.push(queue);
    const log: string[] = [];
    const a = queue.run(steps('a', 3, log, () => undefined));
    const b = queue.run(steps('b', 3, log, () => undefined));
    await expect(queue.run(steps('c', 3, log, () => undefined))).rejects.toBeInstanceOf(
      SliceQueueFullError,
    );
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    await expect(queue.run(steps('d', 1, log, () => undefined))).resolves.toBe('d');
    expect(log.some((l) => l.startsWith('c'))).toBe(false);
  });

  // The remoting reads' queue: a full one made GET_ALL_TOPIC_LIST answer SYSTEM_ERROR to anyone
  // while another client kept it full with topic lists of made-up clusters.
  it('holds any number of jobs unless given maxJobs', async () => {
    const queue = new SliceQueue({ sliceMillis: 0 });
    queues.push(queue);
    const log: string[] = [];
    const all = Array.from({ length: 300 }, (_, i) =>
      queue.run(steps(`j${i}-`, 2, log, () => undefined)),
    );
    await expect(Promise.all(all)).resolves.toHaveLength(300);
  });
});
