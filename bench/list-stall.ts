/**
 * What a large topic list or KV namespace request costs the lookups beside it. Not part of
 * `pnpm bench`: run by hand after `tsc -b`, against this checkout's build or another one
 * (BENCH_SERVER_ENTRY=<an older build's main.js>, see bench/lib/processes.ts):
 *
 *   node --import tsx bench/list-stall.ts [topics=80000] [kvEntries=20000] [rounds=8]
 *
 * A single-process node (W = 1) holds `topics` topics of one broker and a KV namespace of
 * `kvEntries` keys. One connection sends GET_ROUTEINFO_BY_TOPIC back to back (one in flight) the
 * whole time; the longest of those round trips is the longest the node kept a lookup waiting.
 * Each round changes what a list shows first (a new broker name with one new topic; a KV put),
 * so the node builds the body again, then asks for it: GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
 * GET_TOPICS_BY_CLUSTER, GET_KVLIST_BY_NAMESPACE. Prints, per request kind, the median and
 * longest round trip of the list request and the longest lookup round trip while it ran, and the
 * same for a quiet stretch of as long (no list request) as the floor.
 */
import {
  createRequest,
  encodeCommand,
  RequestCode,
  ResponseCode,
} from '../packages/protocol/dist/index.js';
import { startNameServer } from './lib/processes.js';
import { RpcConnection } from './lib/rpc.js';
import {
  benchBrokers,
  OPAQUE_BASE,
  registerBody,
  registerFrame,
  routeRequestFrame,
  topicNames,
} from './lib/workload.js';

const topicCount = Number(process.argv[2] ?? '80000');
const kvEntries = Number(process.argv[3] ?? '20000');
const rounds = Number(process.argv[4] ?? '8');

let opaque = OPAQUE_BASE + 10;
function frame(code: number, extFields: Record<string, string>): Buffer {
  return encodeCommand(createRequest({ code, opaque: opaque++, extFields }));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]): number => Math.max(...xs);

const server = await startNameServer({ workers: 1 });
try {
  const [broker] = benchBrokers(1, 1, false, 'list');
  const topics = topicNames('list-topic', topicCount);
  const admin = await RpcConnection.connect('127.0.0.1', server.port);
  const reg = await admin.send(
    registerFrame(broker!, registerBody(topics, 1, 1_700_000_000_000), {
      opaque: opaque++,
      heartbeatTimeoutMillis: 600_000,
    }),
    120_000,
  );
  if (reg.code !== ResponseCode.SUCCESS) throw new Error(`register: code ${reg.code}`);
  for (let i = 0; i < kvEntries; i++) {
    const put = admin.send(
      frame(RequestCode.PUT_KV_CONFIG, {
        namespace: 'NS',
        key: `order-topic-${i}`,
        value: 'a:8;b:8',
      }),
    );
    if (i % 500 === 499 || i === kvEntries - 1) await put;
  }

  // Lookups back to back, one in flight, for the whole run.
  const lookup = await RpcConnection.connect('127.0.0.1', server.port);
  const lookupFrame = routeRequestFrame(topics[0]!);
  let lookups: number[] = [];
  let running = true;
  const looping = (async () => {
    while (running) {
      const t = performance.now();
      const res = await lookup.send(lookupFrame);
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`lookup: code ${res.code}`);
      lookups.push(performance.now() - t);
    }
  })();

  const cases: Array<{ name: string; change: (r: number) => Promise<void>; ask: () => Buffer }> = [
    {
      name: 'GET_ALL_TOPIC_LIST_FROM_NAMESERVER',
      change: async (r) => {
        const [b] = benchBrokers(1, 1, false, `extra${r}a`);
        await admin.send(
          registerFrame(b!, registerBody([`extra-a-${r}`], 1, 1), { opaque: opaque++ }),
        );
      },
      ask: () => frame(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {}),
    },
    {
      name: 'GET_TOPICS_BY_CLUSTER',
      change: async (r) => {
        const [b] = benchBrokers(1, 1, false, `extra${r}b`);
        await admin.send(
          registerFrame(b!, registerBody([`extra-b-${r}`], 1, 1), { opaque: opaque++ }),
        );
      },
      ask: () => frame(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: broker!.clusterName }),
    },
    {
      name: 'GET_KVLIST_BY_NAMESPACE',
      change: async (r) => {
        await admin.send(
          frame(RequestCode.PUT_KV_CONFIG, { namespace: 'NS', key: `k-${r}`, value: 'v' }),
        );
      },
      ask: () => frame(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'NS' }),
    },
  ];
  console.log(
    `node ${process.version}; ${topicCount} topics, KV namespace of ${kvEntries} keys; ${rounds} rounds; server ${process.env['BENCH_SERVER_ENTRY'] ?? 'this build'}`,
  );
  console.log(
    'request                              list rtt p50 / max   longest lookup while it ran',
  );
  for (const c of cases) {
    const rtts: number[] = [];
    const worst: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await c.change(r);
      await new Promise((resolve) => setTimeout(resolve, 50));
      lookups = [];
      const t = performance.now();
      const res = await admin.send(c.ask(), 60_000);
      rtts.push(performance.now() - t);
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`${c.name}: code ${res.code}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      worst.push(max(lookups));
    }
    console.log(
      `${c.name.padEnd(36)} ${median(rtts).toFixed(1).padStart(6)} / ${max(rtts).toFixed(1).padStart(6)} ms   p50 ${median(worst).toFixed(1)} / max ${max(worst).toFixed(1)} ms`,
    );
  }
  const quiet: number[] = [];
  for (let r = 0; r < rounds; r++) {
    lookups = [];
    await new Promise((resolve) => setTimeout(resolve, 60));
    quiet.push(max(lookups));
  }
  console.log(
    `${'(no list request, 60 ms)'.padEnd(36)} ${''.padStart(15)}      p50 ${median(quiet).toFixed(1)} / max ${max(quiet).toFixed(1)} ms`,
  );
  running = false;
  await looping;
  lookup.destroy();
  admin.destroy();
} finally {
  await server.stop();
}
