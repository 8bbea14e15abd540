/**
 * The route digest's background catch-up (issue 11). Not part of `pnpm bench`: run by hand after
 * `tsc -b`, against this checkout's build or another one (a worktree of an older commit):
 *
 *   node --import tsx bench/digest-background.ts [topics=50000] [serverDist=packages/server/dist]
 *
 * Prints, for a RouteInfoManager with a RouteDigestTracker (the digest asked for, as a /metrics
 * scrape or `nsadmin check` does):
 * - `digest()` after a slave of a broker of `topics` topics joins and after its connection closes
 *   (each names every topic of the broker name as a changed route), median and max of 30;
 * - four new brokers of `topics` topics each, one after the other: the slices the catch-up ran in
 *   (every immediate of the process is timed: the catch-up's, and any other background slice)
 *   and the longest.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  RegisterBrokerRequest,
  RouteInfoManager,
} from '../packages/server/src/route/index.js';
import type { RouteDigestTracker } from '../packages/server/src/digest/index.js';

const topics = Number(process.argv[2] ?? '50000');
const dist = pathToFileURL(resolve(process.argv[3] ?? 'packages/server/dist')).href;

// Every immediate timed, from before the modules load (they may keep a reference to it).
const durations: number[] = [];
const setImmediateOf = globalThis.setImmediate;
globalThis.setImmediate = ((fn: (...a: unknown[]) => void, ...args: unknown[]) =>
  setImmediateOf(() => {
    const t = performance.now();
    try {
      fn(...args);
    } finally {
      durations.push(performance.now() - t);
    }
  })) as typeof setImmediate;

const { RouteInfoManager: Manager } = (await import(`${dist}/route/index.js`)) as {
  RouteInfoManager: new (deps: object) => RouteInfoManager;
};
const { RouteDigestTracker: Tracker } = (await import(`${dist}/digest/index.js`)) as {
  RouteDigestTracker: new (rim: RouteInfoManager) => RouteDigestTracker;
};

const topicConfig = (topicName: string) => ({
  topicName,
  readQueueNums: 8,
  writeQueueNums: 8,
  perm: 6,
  topicFilterType: 'SINGLE_TAG',
  topicSysFlag: 0,
  order: false,
});

function registration(
  brokerName: string,
  brokerId: number,
  names: string[],
): RegisterBrokerRequest {
  const addr = `10.0.${brokerName.length}.${brokerId}:10911`;
  return {
    clusterName: 'BenchCluster',
    brokerName,
    brokerAddr: addr,
    brokerId,
    haServerAddr: addr,
    topicConfigWrapper: {
      dataVersion: { counter: 1, timestamp: 1 },
      topicConfigTable: new Map(names.map((n) => [n, topicConfig(n)])),
    },
    filterServerList: [],
    connectionId: brokerName.length * 10 + brokerId + 1,
  } as RegisterBrokerRequest;
}

const names = (prefix: string): string[] =>
  Array.from({ length: topics }, (_, i) => `${prefix}-${String(i).padStart(6, '0')}`);

const fmt = (ms: number): string => ms.toFixed(2);

// 1. A slave joining and leaving.
{
  const rim = new Manager({ clock: { now: () => Date.now() } });
  const tracker = new Tracker(rim);
  const own = names('topic');
  rim.registerBroker(registration('broker-a', 0, own));
  tracker.digest();
  const times: number[] = [];
  for (let r = 0; r < 15; r++) {
    const slave = registration('broker-a', 1, own);
    rim.registerBroker(slave);
    let t = performance.now();
    tracker.digest();
    times.push(performance.now() - t);
    rim.onConnectionClosed(slave.connectionId);
    t = performance.now();
    tracker.digest();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${topics} topics: digest() after a slave joins or leaves: median ${fmt(times[times.length >> 1]!)} ms, max ${fmt(times.at(-1)!)} ms`,
  );
  tracker.close();
}

// 2. New brokers, the catch-up in slices.
{
  const rim = new Manager({ clock: { now: () => Date.now() } });
  const tracker = new Tracker(rim);
  tracker.digest();
  const rows: string[] = [];
  for (let b = 0; b < 4; b++) {
    rim.registerBroker(registration(`broker-${'n'.repeat(b + 1)}`, 0, names(`t${b}`)));
    durations.length = 0;
    await tracker.settled();
    const sorted = [...durations].sort((x, y) => x - y);
    rows.push(`${sorted.length} slices, longest ${fmt(sorted.at(-1) ?? 0)} ms`);
  }
  console.log(`${topics} topics: catch-up after each of 4 new brokers: ${rows.join(' | ')}`);
  tracker.close();
}
