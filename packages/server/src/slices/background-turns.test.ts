import { describe, expect, it } from 'vitest';
import { BackgroundTurns } from './background-turns.js';

/**
 * Counts turns of the event loop: an immediate that queues itself again runs once per check
 * phase. Returns the count so far and a stop function.
 */
function turnCounter(): { now: () => number; stop: () => void } {
  let turns = 0;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turns, stop: () => (stopped = true) };
}

const settle = (turns: number): Promise<void> =>
  new Promise((resolve) => {
    let left = turns;
    const next = (): void => {
      if (--left <= 0) resolve();
      else setImmediate(next);
    };
    setImmediate(next);
  });

describe('BackgroundTurns', () => {
  it('runs one slice per turn, the jobs taking turns in the order they asked', async () => {
    const bt = new BackgroundTurns();
    const counter = turnCounter();
    const ran: { job: string; turn: number }[] = [];
    const job = (name: string, slices: number): void => {
      let left = slices;
      const slice = (): void => {
        ran.push({ job: name, turn: counter.now() });
        if (--left > 0) bt.request(slice);
      };
      bt.request(slice);
    };
    job('digest', 3);
    job('upkeep', 2);
    job('sweep', 1);
    await settle(20);
    counter.stop();
    expect(ran.map((r) => r.job)).toEqual([
      'digest',
      'upkeep',
      'sweep',
      'digest',
      'upkeep',
      'digest',
    ]);
    // Never two in one turn.
    const turns = ran.map((r) => r.turn);
    expect(new Set(turns).size).toBe(turns.length);
    expect(bt.waiting).toBe(0);
  });

  it('a cancelled slice never runs, and the others still do', async () => {
    const bt = new BackgroundTurns();
    const ran: string[] = [];
    const a = bt.request(() => ran.push('a'));
    bt.request(() => ran.push('b'));
    a.cancel();
    expect(bt.waiting).toBe(1);
    await settle(5);
    expect(ran).toEqual(['b']);
    a.cancel(); // Again, after: no effect.
    const c = bt.request(() => ran.push('c'));
    await settle(5);
    c.cancel(); // After it ran: no effect.
    expect(ran).toEqual(['b', 'c']);
  });

  it('a slice that throws does not stop the others', async () => {
    const errors: unknown[] = [];
    // Turns that catch what a slice throws (in a node it is an uncaught exception, a bug).
    const bt = new BackgroundTurns((run) =>
      setImmediate(() => {
        try {
          run();
        } catch (err) {
          errors.push(err);
        }
      }),
    );
    const ran: string[] = [];
    bt.request(() => {
      throw new Error('boom');
    });
    bt.request(() => ran.push('after'));
    await settle(5);
    expect(errors).toHaveLength(1);
    expect(ran).toEqual(['after']);
  });

  it('a queued slice keeps the loop turning; nothing does once none is left', async () => {
    const bt = new BackgroundTurns();
    const hasRef = (): boolean =>
      (bt as unknown as { immediate: NodeJS.Immediate | null }).immediate?.hasRef() ?? false;
    expect(hasRef()).toBe(false);
    let left = 3;
    const job = (): void => {
      if (--left > 0) bt.request(job);
    };
    bt.request(job);
    expect(hasRef()).toBe(true);
    await settle(6);
    expect(left).toBe(0);
    expect(bt.waiting).toBe(0);
    expect(hasRef()).toBe(false);
  });
});
