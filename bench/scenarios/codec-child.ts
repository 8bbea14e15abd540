/**
 * Codec micro-benchmarks, in a process of their own (no server, no load): hand loops with a
 * warm-up, timed in batches until the measuring time is spent. Receives the profile's codec
 * section as argv[2] (JSON) and sends the results back over IPC.
 */
import {
  decodeFrame,
  decodeRegisterBrokerBody,
  decodeTopicRouteData,
  encodeCommand,
  encodeRegisterBrokerBody,
  encodeTopicRouteData,
  Version,
} from '../lib/ns.js';
import type { TopicRouteData } from '../lib/ns.js';
import {
  benchBrokers,
  expectedRoute,
  registerBody,
  routeRequestFrame,
  topicNames,
} from '../lib/workload.js';
import type { CodecCase } from './codec.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as {
  warmupMs: number;
  measureMs: number;
  registerTopics: number;
};

let sink = 0;

function bench(name: string, bytes: number, fn: () => unknown): CodecCase {
  const deadline = (ms: number): number => performance.now() + ms;
  // Batch size chosen so a batch takes ~1 ms: timing calls stay out of the measurement.
  let batch = 1;
  const w = deadline(cfg.warmupMs);
  while (performance.now() < w) {
    const s = performance.now();
    for (let i = 0; i < batch; i++) sink ^= fn() === null ? 1 : 0;
    if (performance.now() - s < 1) batch *= 2;
  }
  let ops = 0;
  const start = performance.now();
  const end = start + cfg.measureMs;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) sink ^= fn() === null ? 1 : 0;
    ops += batch;
  }
  const secs = (performance.now() - start) / 1000;
  return {
    name,
    bytes,
    opsPerSec: ops / secs,
    usPerOp: (secs * 1e6) / ops,
    mbPerSec: (bytes * ops) / secs / 1e6,
  };
}

const brokers = benchBrokers(2, 4, true);
const route: TopicRouteData = expectedRoute(brokers);
const routeStd = encodeTopicRouteData(route, { standardJson: true });
const routeLegacy = encodeTopicRouteData(route, { standardJson: false });
const topics = topicNames('bench-topic', cfg.registerTopics);
const regBody = registerBody(topics, 1, 1_700_000_000_000);
const regDecoded = decodeRegisterBrokerBody(regBody, {
  compressed: false,
  version: Version.V4_9_7,
});
const regCompressed = encodeRegisterBrokerBody(regDecoded, {
  compressed: true,
  version: Version.V4_9_7,
});
const routeReq = routeRequestFrame('bench-topic-000042');

const cases: CodecCase[] = [
  bench('encode TopicRouteData (standard JSON, 8 groups × 2 addrs)', routeStd.length, () =>
    encodeTopicRouteData(route, { standardJson: true }),
  ),
  bench('encode TopicRouteData (legacy JSON)', routeLegacy.length, () =>
    encodeTopicRouteData(route, { standardJson: false }),
  ),
  bench('decode TopicRouteData (standard JSON)', routeStd.length, () =>
    decodeTopicRouteData(routeStd),
  ),
  bench(`decode RegisterBrokerBody (${topics.length} topics, JSON)`, regBody.length, () =>
    decodeRegisterBrokerBody(regBody, { compressed: false, version: Version.V4_9_7 }),
  ),
  bench(
    `decode RegisterBrokerBody (${topics.length} topics, compressed)`,
    regCompressed.length,
    () => decodeRegisterBrokerBody(regCompressed, { compressed: true, version: Version.V4_9_7 }),
  ),
  bench(`encode RegisterBrokerBody (${topics.length} topics, JSON)`, regBody.length, () =>
    encodeRegisterBrokerBody(regDecoded, { version: Version.V4_9_7 }),
  ),
  bench('decodeFrame (GET_ROUTEINFO_BY_TOPIC request)', routeReq.length, () =>
    decodeFrame(routeReq.subarray(4)),
  ),
  bench('encodeCommand (GET_ROUTEINFO_BY_TOPIC request)', routeReq.length, () =>
    encodeCommand(decodeFrame(routeReq.subarray(4))),
  ),
];
process.send?.({ type: 'codec', cases, sink });
process.disconnect?.();
