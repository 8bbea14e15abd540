/**
 * Client failover: 3 nodes hold the same route except for one "marker" broker group per node,
 * so each answer names its node. An @ns/client NameServerClient (failover-child.ts, its own
 * process) looks the route up in a loop; once it is steady on one node, that node is SIGKILLed.
 * Measured: time from the kill to the first successful call answered by another node, and the
 * number of failed calls in between.
 */
import { fileURLToPath } from 'node:url';
import { ResponseCode } from '../lib/ns.js';
import { forkTs, startNameServer } from '../lib/processes.js';
import type { ProbedProcess } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import { RpcConnection } from '../lib/rpc.js';
import { OPAQUE_BASE, registerBody, registerFrame } from '../lib/workload.js';
import type { Log } from '../lib/log.js';
import type { FailoverCall } from './failover-child.js';

export interface FailoverResults {
  nodes: number;
  killedNode: string;
  /** SIGKILL → first successful call answered by another node. */
  recoveryMs: number;
  failedCalls: number;
  /** Distinct error messages of the failed calls. */
  errors: string[];
  callsBefore: number;
  callsAfter: number;
  /** Successful calls per second before the kill (client in a loop, one call at a time). */
  callsPerSecBefore: number;
}

const CHILD = fileURLToPath(new URL('./failover-child.ts', import.meta.url));
const TOPICS = ['failover-topic', 'failover-topic-2'];

export async function runFailover(profile: Profile, log: Log): Promise<FailoverResults> {
  const nodes: ProbedProcess[] = [];
  const conns: RpcConnection[] = [];
  const child = { proc: undefined as ReturnType<typeof forkTs> | undefined };
  try {
    for (let i = 0; i < profile.failover.nodes; i++) nodes.push(await startNameServer());
    const body = registerBody(TOPICS, 1, 1_700_000_000_000);
    for (const [i, node] of nodes.entries()) {
      for (const name of ['fo-common', `fo-marker-${i}`]) {
        const conn = await RpcConnection.connect('127.0.0.1', node.port);
        conns.push(conn);
        const b = {
          clusterName: 'FailoverCluster',
          brokerName: name,
          brokerAddr: `10.8.0.${name === 'fo-common' ? 1 : 10 + i}:10911`,
          haServerAddr: `10.8.0.${name === 'fo-common' ? 1 : 10 + i}:10912`,
          brokerId: 0,
        };
        const resp = await conn.send(
          registerFrame(b, body, { opaque: OPAQUE_BASE, heartbeatTimeoutMillis: 600_000 }),
        );
        if (resp.code !== ResponseCode.SUCCESS)
          throw new Error(`failover: register ${name}: code ${resp.code}`);
      }
    }
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    const maxMs = 20_000 + profile.failover.afterKillMs;
    const proc = forkTs(CHILD, [JSON.stringify({ addrs, topic: TOPICS[0], maxMs })]);
    child.proc = proc;
    const messages: { type: string; node?: number; calls?: FailoverCall[]; message?: string }[] =
      [];
    const waitFor = (type: string, ms: number): Promise<(typeof messages)[number]> =>
      new Promise((resolve, reject) => {
        const found = messages.find((m) => m.type === type);
        if (found !== undefined) return resolve(found);
        const timer = setTimeout(
          () => reject(new Error(`failover client: no '${type}' within ${ms} ms`)),
          ms,
        );
        const onMsg = (m: (typeof messages)[number]): void => {
          if (m.type === 'fatal') {
            clearTimeout(timer);
            reject(new Error(`failover client failed: ${m.message}`));
          } else if (m.type === type) {
            clearTimeout(timer);
            proc.off('message', onMsg);
            resolve(m);
          }
        };
        proc.on('message', onMsg);
      });
    proc.on('message', (m: (typeof messages)[number]) => messages.push(m));
    const steady = await waitFor('steady', 15_000);
    const victim = steady.node!;
    // A little more steady state, for the calls/s before the kill.
    await new Promise((r) => setTimeout(r, 500));
    const killAt = performance.timeOrigin + performance.now();
    await nodes[victim]!.kill();
    log(`failover: client steady on node ${victim} (${addrs[victim]}), SIGKILLed it`);
    await new Promise((r) => setTimeout(r, profile.failover.afterKillMs));
    proc.send({ type: 'stop' });
    const calls = (await waitFor('timeline', 15_000)).calls!;
    const before = calls.filter((c) => c.endAt < killAt);
    const after = calls.filter((c) => c.endAt >= killAt);
    const recovered = after.find((c) => c.node >= 0 && c.node !== victim);
    if (recovered === undefined)
      throw new Error(
        `no successful call on another node within ${profile.failover.afterKillMs} ms of the kill`,
      );
    const failed = after.filter((c) => c.endAt <= recovered.endAt && c.node < 0);
    const okBefore = before.filter((c) => c.node >= 0);
    const span =
      okBefore.length > 1 ? (okBefore[okBefore.length - 1]!.endAt - okBefore[0]!.endAt) / 1000 : 0;
    const res: FailoverResults = {
      nodes: nodes.length,
      killedNode: addrs[victim]!,
      recoveryMs: recovered.endAt - killAt,
      failedCalls: failed.length,
      errors: [...new Set(failed.map((c) => c.error ?? '?'))].slice(0, 5),
      callsBefore: before.length,
      callsAfter: after.length,
      callsPerSecBefore: span > 0 ? okBefore.length / span : 0,
    };
    log(
      `failover: first success on another node ${res.recoveryMs.toFixed(0)} ms after the kill, ` +
        `${res.failedCalls} failed calls (${res.errors.join('; ')})`,
    );
    return res;
  } finally {
    if (child.proc !== undefined && child.proc.exitCode === null) child.proc.kill('SIGKILL');
    for (const c of conns) c.destroy();
    await Promise.all(nodes.map((n) => n.stop()));
  }
}
