#!/usr/bin/env node
// Resident memory of one NameServer node holding a realistic route table, for the Kubernetes
// resource requests in deploy/ (run after `pnpm build`):
//
//   node scripts/measure-node-memory.mjs [topicsPerGroup=10000] [clusters=2] [groupsPerCluster=4]
//
// Starts the built ns-server, registers clusters × groups broker groups (a master and a slave
// each, every group carrying all the topics, as in the route benchmark), then does what a
// watched production node does: Prometheus scrapes (which build the route digest), console
// topic searches, and one route lookup per topic (which fills the route cache). Prints RSS now
// and the peak (VmHWM) from /proc, in MiB, as one JSON line.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { RemotingClient } from '../packages/client/dist/index.js';
import { RequestCode, ResponseCode } from '../packages/protocol/dist/index.js';

const topicsPerGroup = Number(process.argv[2] ?? 10_000);
const clusters = Number(process.argv[3] ?? 2);
const groupsPerCluster = Number(process.argv[4] ?? 4);

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: +(kib('VmRSS') / 1024).toFixed(1), peakMiB: +(kib('VmHWM') / 1024).toFixed(1) };
}

const child = spawn(
  process.execPath,
  [
    'packages/server/dist/main.js',
    '--listenPort=0',
    '--httpPort=0',
    '--bindAddress=127.0.0.1',
    '--httpBindAddress=127.0.0.1',
    '--kvConfigPath=/tmp/ns-mem-kv.json',
    '--configStorePath=/tmp/ns-mem.properties',
    '--logLevel=warn',
    // As the Kubernetes ConfigMap runs it: one process (more workers: each holds its own copy).
    '--servingWorkers=1',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const listening = await new Promise((resolve, reject) => {
  createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l)));
  child.once('exit', (code) => reject(new Error(`ns-server exited with ${code}`)));
});
const addr = `127.0.0.1:${listening.port}`;
const http = `http://127.0.0.1:${listening.httpPort}`;
const empty = status(child.pid);

const topics = Array.from({ length: topicsPerGroup }, (_, i) => `mem-topic-${i}`);
const table = {};
for (const t of topics) {
  table[t] = {
    order: false,
    perm: 6,
    readQueueNums: 8,
    topicFilterType: 'SINGLE_TAG',
    topicName: t,
    topicSysFlag: 0,
    writeQueueNums: 8,
  };
}
const body = Buffer.from(
  JSON.stringify({
    filterServerList: [],
    topicConfigSerializeWrapper: {
      dataVersion: { counter: 1, timestamp: 1_700_000_000_000 },
      topicConfigTable: table,
    },
  }),
);
const client = new RemotingClient({ requestTimeoutMs: 120_000 });
for (let c = 0; c < clusters; c++) {
  for (let g = 0; g < groupsPerCluster; g++) {
    for (const brokerId of [0, 1]) {
      const brokerAddr = `10.${c}.${g}.${brokerId + 1}:10911`;
      const reply = await client.invoke(addr, {
        code: RequestCode.REGISTER_BROKER,
        extFields: {
          brokerName: `mem-broker-${c}-${g}`,
          brokerAddr,
          clusterName: `MemCluster${c}`,
          haServerAddr: brokerAddr,
          brokerId,
          compressed: false,
          bodyCrc32: 0,
          heartbeatTimeoutMillis: 600_000,
        },
        body,
      });
      if (reply.code !== ResponseCode.SUCCESS) throw new Error(`register: code ${reply.code}`);
    }
  }
}
const registered = status(child.pid);
for (let i = 0; i < 3; i++) {
  await (await fetch(`${http}/metrics`)).text();
  await (await fetch(`${http}/topics?q=topic-1&limit=100`)).text();
}
let next = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < topics.length) {
      const topic = topics[next++];
      const r = await client.invoke(addr, {
        code: RequestCode.GET_ROUTEINFO_BY_TOPIC,
        extFields: { topic },
      });
      if (r.code !== ResponseCode.SUCCESS) throw new Error(`route ${topic}: code ${r.code}`);
    }
  }),
);
const watched = status(child.pid);
await client.close();
child.kill('SIGTERM');
console.log(
  JSON.stringify({
    topics: topicsPerGroup,
    brokerGroups: clusters * groupsPerCluster,
    brokers: clusters * groupsPerCluster * 2,
    queueEntries: topicsPerGroup * clusters * groupsPerCluster,
    node: process.version,
    empty,
    registered,
    watched,
  }),
);
