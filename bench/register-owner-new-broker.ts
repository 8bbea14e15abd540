/**
 * What a new broker costs the registry owner's RouteInfoManager, with the topic table's Java
 * order kept up inside the registration (as before) and after it (DeferredTopicOrder). Not part of
 * `pnpm bench`: run by hand after `tsc -b`:
 *
 *   node --import tsx bench/register-owner-new-broker.ts [topics=10000] [reps=14]
 *
 * Two managers side by side in one process, taking turns (which goes first alternates per rep):
 * each registers a new broker of `topics` topics of its own per rep, so the tables grow as the
 * node bench's do. Prints the median `registerBroker` time of the two (first two reps left out:
 * V8 compiles the path meanwhile) and of the deferred manager's upkeep run afterwards. Checks that
 * both list the same topics in the same order at the end.
 */
import { RouteInfoManager } from '../packages/server/dist/route/index.js';
import type { TopicConfig } from '../packages/protocol/dist/index.js';

const topics = Number(process.argv[2] ?? 10_000);
const reps = Number(process.argv[3] ?? 14);
const clock = { now: (): number => 1_700_000_000_000 };

const pendingRuns: (() => boolean)[] = [];
const managers = {
  inside: new RouteInfoManager({ clock }, { javaLine: '5.x' }),
  after: new RouteInfoManager(
    { clock, scheduleTopicOrder: (step) => pendingRuns.push(step) },
    { javaLine: '5.x' },
  ),
};
const times: Record<'inside' | 'after' | 'upkeep', number[]> = {
  inside: [],
  after: [],
  upkeep: [],
};

function topicConfig(name: string): TopicConfig {
  return {
    topicName: name,
    readQueueNums: 4,
    writeQueueNums: 4,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
  };
}

for (let r = 0; r < reps; r++) {
  const table = new Map<string, TopicConfig>();
  for (let i = 0; i < topics; i++) {
    const name = `reg${topics}-r${r}-${String(i).padStart(6, '0')}`;
    table.set(name, topicConfig(name));
  }
  const order = r % 2 === 0 ? (['after', 'inside'] as const) : (['inside', 'after'] as const);
  for (const kind of order) {
    const t0 = performance.now();
    managers[kind].registerBroker({
      clusterName: 'C',
      brokerName: `broker-${r}`,
      brokerAddr: `10.0.${r}.1:10911`,
      brokerId: 0,
      haServerAddr: null,
      topicConfigWrapper: { dataVersion: { counter: 1, timestamp: 1 }, topicConfigTable: table },
      filterServerList: [],
      connectionId: r + 1,
    });
    times[kind].push(performance.now() - t0);
  }
  const t1 = performance.now();
  while (pendingRuns.length > 0) if (!pendingRuns[0]!()) pendingRuns.shift();
  times.upkeep.push(performance.now() - t1);
}

const median = (values: number[]): string => {
  const sorted = values.slice(2).sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!.toFixed(2);
};
console.log(
  `node ${process.version}; ${topics} topics per new broker, ${reps} reps (median of reps 3..${reps}):\n` +
    `  registerBroker, order kept up inside: ${median(times.inside)} ms\n` +
    `  registerBroker, order kept up after:  ${median(times.after)} ms (+ ${median(times.upkeep)} ms of upkeep later, in steps)`,
);
const a = managers.inside.getAllTopicList();
const b = managers.after.getAllTopicList();
if (a.length !== b.length || a.some((t, i) => t !== b[i])) {
  throw new Error('the two managers list their topics in different orders');
}
