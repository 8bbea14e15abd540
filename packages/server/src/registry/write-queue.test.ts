import { describe, expect, it } from 'vitest';
import { WriteQueue } from './write-queue.js';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: a write that takes CPU time and awaits nothing
  }
}

describe('WriteQueue', () => {
  it('runs tasks one at a time in submission order; a failing task does not stop the queue', async () => {
    const q = new WriteQueue();
    const log: string[] = [];
    const a = q.run(async () => {
      log.push('a start');
      await new Promise((r) => setTimeout(r, 5));
      log.push('a end');
      return 1;
    });
    const b = q.run(() => {
      log.push('b');
      throw new Error('b failed');
    });
    const c = q.run(() => {
      log.push('c');
      return 3;
    });
    expect(q.length).toBe(3);
    await expect(a).resolves.toBe(1);
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe(3);
    await q.idle();
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
    expect(q.length).toBe(0);
  });

  it('a backlog of writes that await nothing lets the event loop turn every few milliseconds', async () => {
    // 400 writes of 0.25 ms each: 100 ms of work submitted at once (a peer pipelining writes).
    // Chained through microtasks only, they would run in one go and no read could be answered.
    const q = new WriteQueue({ yieldAfterMillis: 5 });
    let turns = 0;
    let running = true;
    const tick = (): void => {
      if (!running) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const order: number[] = [];
    const done = Array.from({ length: 400 }, (_, i) =>
      q.run(() => {
        spin(0.25);
        order.push(i);
      }),
    );
    await Promise.all(done);
    running = false;
    expect(order).toEqual(Array.from({ length: 400 }, (_, i) => i));
    // 100 ms in slices of ≥ 5 ms: at most 20 slices; at least a few turns however the machine
    // stretches them.
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});
