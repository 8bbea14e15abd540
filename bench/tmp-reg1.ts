// throwaway: repeat "changed 1%" registrations under a profiler
import { startNameServer, setCpuProfDir } from './lib/processes.js';
import { RpcConnection } from './lib/rpc.js';
import { OPAQUE_BASE, registerBody, registerFrame, topicNames } from './lib/workload.js';
const n = Number(process.argv[2] ?? 10000);
const reps = Number(process.argv[3] ?? 40);
const prof = process.argv[4];
if (prof) setCpuProfDir(prof, Number(process.env.INTERVAL ?? 100));
const server = await startNameServer({ workers: 1 });
const conn = await RpcConnection.connect('127.0.0.1', server.port);
const broker = { clusterName: 'C', brokerName: 'b', brokerAddr: '10.0.0.1:10911', haServerAddr: '10.0.0.1:10912', brokerId: 0 };
const topics = topicNames('t', n);
const send = async (body: Buffer) => {
  const f = registerFrame(broker, body, { opaque: OPAQUE_BASE, heartbeatTimeoutMillis: 600000 });
  const a = await server.probe();
  const t0 = performance.now();
  const r = await conn.send(f, 60000);
  const rtt = performance.now() - t0;
  const b = await server.probe();
  if (r.code !== 0) throw new Error('code ' + r.code);
  return [rtt, b.eluActiveMs - a.eluActiveMs, b.mainThreadCpuMs! - a.mainThreadCpuMs!, (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000];
};
console.log('first', (await send(registerBody(topics, 1, 1)))[0]!.toFixed(1));
const rows: number[][] = [];
const bodies = [0, 1].map((k) => registerBody(topics, 0, 1, (i) => (i % 100 === 0 ? 5 + k : 4)));
for (let r = 0; r < reps; r++) {
  await new Promise((res) => setTimeout(res, 150));
  const body = registerBody(topics, 2 + r, 1, (i) => (i % 100 === 0 ? 5 + (r % 2) : 4));
  rows.push(await send(body));
}
const med = (k: number) => [...rows.map((x) => x[k]!)].sort((a, b) => a - b)[rows.length >> 1]!.toFixed(2);
console.log('changed1 p50 rtt', med(0), 'loop', med(1), 'main cpu', med(2), 'proc cpu', med(3));
conn.destroy();
await server.stop();
