import { describe, expect, it } from 'vitest';
import { BackgroundTurns } from './background-turns.js';
import { MAX_DEFER_MILLIS, STEP_MILLIS, upkeepRunner } from './upkeep-runner.js';

/** Resolves once `cond()` holds; fails the test after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('upkeepRunner', () => {
  it('runs the steps one per turn until one says nothing is left', async () => {
    const run = upkeepRunner(() => false);
    let steps = 0;
    // An immediate queued before the run: a step per turn lets it run before the second step.
    let otherTurnAt = -1;
    run(() => ++steps < 5);
    setImmediate(() => (otherTurnAt = steps));
    await until(() => steps === 5);
    expect(otherTurnAt).toBeLessThan(5);
    await new Promise((r) => setTimeout(r, 10));
    expect(steps).toBe(5);
  });

  it('a step after a wait runs in a background turn, not in the timer of the wait', async () => {
    // Turns that note when they run: a step outside one would share its event-loop turn with
    // whatever background slice that turn runs.
    let inTurn = false;
    const turns = new BackgroundTurns((run) =>
      setImmediate(() => {
        inTurn = true;
        try {
          run();
        } finally {
          inTurn = false;
        }
      }),
    );
    let writing = true;
    // A clock standing still: on the real one a 50 ms stall between turns (a loaded machine)
    // ends the wait while `writing` still holds (MAX_DEFER_MILLIS), and a step ran early.
    const run = upkeepRunner(
      () => writing,
      () => 0,
      turns,
    );
    const stepsInTurn: boolean[] = [];
    run(() => {
      stepsInTurn.push(inTurn);
      return stepsInTurn.length < 3;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(stepsInTurn).toEqual([]);
    writing = false;
    await until(() => stepsInTurn.length === 3);
    expect(stepsInTurn).toEqual([true, true, true]);
  });

  it('waits while writes are in progress, then runs', async () => {
    let writing = true;
    const t = 0;
    const run = upkeepRunner(
      () => writing,
      () => t,
    );
    let steps = 0;
    run(() => {
      steps++;
      return false;
    });
    // The clock stands still below MAX_DEFER_MILLIS: the run keeps waiting however long it polls.
    await new Promise((r) => setTimeout(r, 30));
    expect(steps).toBe(0);
    writing = false;
    await until(() => steps === 1);
  });

  it('runs beside writes that never stop once it has waited MAX_DEFER_MILLIS', async () => {
    let t = 0;
    const run = upkeepRunner(
      () => true,
      () => t,
    );
    let steps = 0;
    run(() => ++steps < 3);
    await new Promise((r) => setTimeout(r, 10));
    expect(steps).toBe(0);
    t = MAX_DEFER_MILLIS;
    // Past the wait, every step of the run goes on (no new wait between them).
    await until(() => steps === 3);
  });

  it('hands each step a timeUp() that turns true STEP_MILLIS after the step began', async () => {
    let t = 100;
    const run = upkeepRunner(
      () => false,
      () => t,
    );
    const seen: boolean[] = [];
    let steps = 0;
    run((timeUp) => {
      steps++;
      seen.push(timeUp());
      t += STEP_MILLIS;
      seen.push(timeUp());
      return steps < 2;
    });
    await until(() => steps === 2);
    // The second step's clock starts over.
    expect(seen).toEqual([false, true, false, true]);
  });
});
