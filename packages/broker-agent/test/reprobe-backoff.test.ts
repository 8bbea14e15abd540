/**
 * The re-probe loop's waits: fast for a node that is down, slow for one that flaps, refuses or
 * times out, since each attempt re-sends the whole topic table. The agent-level cases measure
 * lower bounds on the gaps between registrations (a loaded machine only makes gaps longer) or
 * count with a wide margin.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RemotingConnectError, RemotingTimeoutError, ResponseError } from '@ns/client';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { ReprobeBackoff } from '../src/reprobe-backoff.js';
import { makeAgent, stopAgents } from './agent-helpers.js';
import { waitFor } from './name-server-cluster.js';
import type { ScriptedNode } from './scripted-node.js';
import { startScriptedNode, SUCCESS } from './scripted-node.js';

let node: ScriptedNode | undefined;

afterEach(async () => {
  await stopAgents();
  await node?.close();
  node = undefined;
});

const registers = (n: ScriptedNode) => n.arrivals(RequestCode.REGISTER_BROKER);
const gaps = (times: readonly number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('ReprobeBackoff', () => {
  const refused = new ResponseError(ResponseCode.NO_PERMISSION, 'no permission');
  const timedOut = new RemotingTimeoutError('n:1', 100);
  const cannotConnect = new RemotingConnectError('n:1', 'ECONNREFUSED');

  it('doubles the first wait while the node fails within a period of recovering, then starts over', () => {
    const b = new ReprobeBackoff(1_000, 30_000);
    expect(b.failing(0)).toBe(50); // never healthy: a node down at start
    b.healthy(1_000);
    expect(b.failing(1_010)).toBe(100);
    b.healthy(2_000);
    expect(b.failing(2_010)).toBe(200);
    b.healthy(3_000);
    // A whole period healthy: a failure now is an outage, not a flap.
    expect(b.failing(3_000 + 30_000)).toBe(50);
  });

  it('never waits longer than the period before the first attempt', () => {
    const b = new ReprobeBackoff(1_000, 10_000);
    let start = 0;
    for (let t = 0; t < 20; t++) {
      b.healthy(t * 100);
      start = b.failing(t * 100 + 1);
    }
    expect(start).toBe(10_000);
  });

  it('waits a period after a refusal, 1 s doubling after a timeout, 50 ms doubling to 1 s otherwise', () => {
    const b = new ReprobeBackoff(1_000, 30_000);
    expect(b.next(50, refused)).toBe(30_000);
    expect(b.next(50, timedOut)).toBe(1_000);
    expect(b.next(1_000, timedOut)).toBe(2_000);
    expect(b.next(20_000, timedOut)).toBe(30_000);
    expect(b.next(50, cannotConnect)).toBe(100);
    expect(b.next(800, cannotConnect)).toBe(1_000);
    // A flapping node's long first wait is not shortened by a connection error.
    expect(b.next(3_200, cannotConnect)).toBe(3_200);
  });

  it('backs off from a busy node (SYSTEM_BUSY) like a slow one, not for a whole period', () => {
    const b = new ReprobeBackoff(1_000, 30_000);
    const busy = new ResponseError(ResponseCode.SYSTEM_BUSY, '[OVERLOAD]system busy');
    expect(b.next(50, busy)).toBe(1_000);
    expect(b.next(1_000, busy)).toBe(2_000);
  });
});

describe('re-probe pace against a live node', () => {
  it('a node that drops the connection after each answer is re-registered ever more slowly', async () => {
    // A proxy that answers and then closes: each re-probe "recovered" it at once, and the next
    // loop began at 50 ms again (about 15-19 full registrations a second).
    node = await startScriptedNode((code) =>
      code === RequestCode.REGISTER_BROKER ? { ...SUCCESS, thenClose: true } : SUCCESS,
    );
    const n = node;
    const agent = makeAgent([n.addr]);
    await agent.start();
    await waitFor('five registrations', () => registers(n).length >= 5, 20_000);
    const g = gaps(registers(n).slice(0, 5));
    // Expected about 100, 200, 400, 800 ms (each flap doubles the first wait); it was ~50 each.
    expect(g[3], JSON.stringify(g)).toBeGreaterThanOrEqual(400);
    expect(g[3]!).toBeGreaterThan(g[0]!);
  });

  it('a node that refuses the registration is asked again after a period, not every second', async () => {
    node = await startScriptedNode((code) =>
      code === RequestCode.REGISTER_BROKER
        ? { code: ResponseCode.NO_PERMISSION, remark: 'no access key' }
        : SUCCESS,
    );
    const n = node;
    const agent = makeAgent([n.addr]);
    await agent.start();
    // The round's attempt, then the loop's first at 50 ms: the refusal is seen only then.
    await waitFor('the first re-probe', () => registers(n).length >= 2, 10_000);
    const firstReprobe = registers(n)[1]!;
    await waitFor('3 s after it', () => performance.now() - firstReprobe > 3_000, 10_000);
    // Next one due 30 s later; the fast loop sent 5 more in these 3 s (100, 200, 400, 800, 1000 ms).
    expect(registers(n).length).toBeLessThanOrEqual(3);
  });

  it('a node that times out is re-tried 1 s, then 2 s after its last timeout', async () => {
    node = await startScriptedNode((code) =>
      code === RequestCode.REGISTER_BROKER ? 'silent' : SUCCESS,
    );
    const n = node;
    const agent = makeAgent([n.addr], { requestTimeoutMs: 300 });
    await agent.start();
    // The round at 0 (times out at 0.3 s), re-probes at ~0.35, ~1.65 (1 s after its timeout) and
    // ~3.95 s (2 s after); the fast loop sent them at 0.35, 0.75 and 1.25 s.
    await waitFor('four attempts', () => registers(n).length >= 4, 15_000);
    const g = gaps(registers(n).slice(0, 4));
    expect(g[2], JSON.stringify(g)).toBeGreaterThanOrEqual(1_500);
  });
});
