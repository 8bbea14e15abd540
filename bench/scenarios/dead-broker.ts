/**
 * Dead-broker detection, on a node started with a short --scanNotActiveBrokerInterval:
 *  - connection death: a broker's registration connection is destroyed; time until a route
 *    query no longer lists it (expected: on the close event, well within one scan interval);
 *  - heartbeat expiry: a broker registers with a short heartbeatTimeoutMillis and keeps its
 *    connection open but silent; time from its last registration until it leaves the routes
 *    (expected: timeout + at most one scan interval).
 * A second "keeper" broker hosts the same topics, so the route itself stays and only the dead
 * broker's absence is observed.
 */
import { ResponseCode } from '../lib/ns.js';
import { startNameServer } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import { routeBrokerNames } from '../lib/route-check.js';
import { RpcConnection } from '../lib/rpc.js';
import { OPAQUE_BASE, registerBody, registerFrame, routeRequestFrame } from '../lib/workload.js';
import type { BrokerSpec } from '../lib/workload.js';
import type { Log } from '../lib/log.js';

export interface DeadBrokerResults {
  scanIntervalMs: number;
  heartbeatTimeoutMillis: number;
  closeToGoneMs: number[];
  closeToGoneMaxMs: number;
  heartbeatToGoneMs: number[];
  heartbeatToGoneMaxMs: number;
}

// Two topics: a 5.x-rules node refuses a first registration carrying exactly one topic.
const TOPICS = ['dead-topic-a', 'dead-topic-b'];

function spec(name: string, i: number): BrokerSpec {
  return {
    clusterName: 'DeadCluster',
    brokerName: name,
    brokerAddr: `10.7.0.${i}:10911`,
    haServerAddr: `10.7.0.${i}:10912`,
    brokerId: 0,
  };
}

async function register(conn: RpcConnection, b: BrokerSpec, timeout: number): Promise<void> {
  const resp = await conn.send(
    registerFrame(b, registerBody(TOPICS, 1, 1_700_000_000_000), {
      opaque: OPAQUE_BASE,
      heartbeatTimeoutMillis: timeout,
    }),
  );
  if (resp.code !== ResponseCode.SUCCESS)
    throw new Error(`register ${b.brokerName}: code ${resp.code}`);
}

/** Polls the route back-to-back until none of `names` is listed; returns when each left (ms after `since`). */
async function pollUntilGone(
  poll: RpcConnection,
  names: readonly string[],
  since: number,
  deadlineMs: number,
): Promise<Map<string, number>> {
  const gone = new Map<string, number>();
  while (gone.size < names.length) {
    const now = performance.now();
    if (now - since > deadlineMs) {
      throw new Error(
        `brokers ${names.filter((n) => !gone.has(n)).join(',')} still in routes after ${deadlineMs} ms`,
      );
    }
    const listed = routeBrokerNames(await poll.send(routeRequestFrame(TOPICS[0]!)));
    if (!listed.has('keeper')) throw new Error('keeper broker missing from the route');
    const at = performance.now() - since;
    for (const n of names) if (!gone.has(n) && !listed.has(n)) gone.set(n, at);
  }
  return gone;
}

export async function runDeadBroker(profile: Profile, log: Log): Promise<DeadBrokerResults> {
  const { closeReps, heartbeatBrokers, heartbeatTimeoutMillis, scanIntervalMs } = profile.dead;
  const server = await startNameServer({
    args: [`--scanNotActiveBrokerInterval=${scanIntervalMs}`],
  });
  const conns: RpcConnection[] = [];
  const connect = async (): Promise<RpcConnection> => {
    const c = await RpcConnection.connect('127.0.0.1', server.port);
    conns.push(c);
    return c;
  };
  try {
    await register(await connect(), spec('keeper', 1), 600_000);
    const poll = await connect();

    const closeToGoneMs: number[] = [];
    for (let r = 0; r < closeReps; r++) {
      const name = `dead-close-${r}`;
      const conn = await connect();
      await register(conn, spec(name, 10 + r), 600_000);
      if (!routeBrokerNames(await poll.send(routeRequestFrame(TOPICS[0]!))).has(name)) {
        throw new Error(`${name} not in the route after registering`);
      }
      const t0 = performance.now();
      conn.socket.destroy();
      const gone = await pollUntilGone(poll, [name], t0, scanIntervalMs * 4 + 5000);
      closeToGoneMs.push(gone.get(name)!);
    }
    log(
      `dead broker: connection close → gone in ${closeToGoneMs.map((x) => x.toFixed(1)).join(', ')} ms`,
    );

    const names = Array.from({ length: heartbeatBrokers }, (_, i) => `dead-silent-${i}`);
    const registeredAt = new Map<string, number>();
    for (const [i, name] of names.entries()) {
      await register(await connect(), spec(name, 50 + i), heartbeatTimeoutMillis);
      registeredAt.set(name, performance.now());
    }
    const since = Math.min(...registeredAt.values());
    const gone = await pollUntilGone(
      poll,
      names,
      since,
      heartbeatTimeoutMillis + scanIntervalMs * 4 + 5000,
    );
    const heartbeatToGoneMs = names.map((n) => gone.get(n)! - (registeredAt.get(n)! - since));
    log(
      `dead broker: last heartbeat → gone in ${heartbeatToGoneMs.map((x) => x.toFixed(0)).join(', ')} ms (timeout ${heartbeatTimeoutMillis}, scan ${scanIntervalMs})`,
    );
    return {
      scanIntervalMs,
      heartbeatTimeoutMillis,
      closeToGoneMs,
      closeToGoneMaxMs: Math.max(...closeToGoneMs),
      heartbeatToGoneMs,
      heartbeatToGoneMaxMs: Math.max(...heartbeatToGoneMs),
    };
  } finally {
    for (const c of conns) c.destroy();
    await server.stop();
  }
}
