/**
 * Bodies at the edges of the incremental registration path (found by a differential fuzzer of the
 * decode thread + registry owner against the inline decode): a node with 1 and 2 serving
 * processes answers every step as the in-process handler harness, which decodes each body whole.
 *
 * - Static topic mappings with deleteTopicWithBrokerRegistration: rule g is skipped while the
 *   body has mappings (Java too), so a topic the broker dropped meanwhile stays hosted; once the
 *   mappings are gone the whole body removes it. The delta shortcut, which only looks at the
 *   topics a delta removed, must not be taken after such a registration (the topic stayed routed
 *   for ever).
 * - Table keys whose value names another topic (a 4.x broker sends its table as it is, so a
 *   hand-edited topics.json can do it): Java's rule g compares the keys, the puts use the
 *   topicNames; such a body is decoded in full each time (the node dropped or kept the wrong
 *   topics), and applied again even when its bytes repeat (rule g and rule f then undo and redo
 *   each other, as in Java; the inline path skipped it as unchanged).
 *
 * Serving sides run the compiled decode thread (dist/), so `tsc -b` must have run (pnpm test does).
 */
import { describe, expect, it } from 'vitest';
import { RequestCode, Version } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { createHarness, registerRequest, request } from './handlers-harness.js';
import { useNodes } from './node-fixture.js';

const nodes = useNodes('ns-decode-edges');

const tc = (name: string, queues: number): string =>
  `{"order":false,"perm":6,"readQueueNums":${queues},"topicFilterType":"SINGLE_TAG",` +
  `"topicName":${JSON.stringify(name)},"topicSysFlag":0,"writeQueueNums":${queues}}`;

/** A 5.x JSON body: `entries` as [key, topicName, queues], static mappings of `mapped` topics. */
function body(counter: number, entries: [string, string, number][], mapped: string[] = []): Buffer {
  const table = entries.map(([k, name, q]) => `${JSON.stringify(k)}:${tc(name, q)}`).join(',');
  const mappings = mapped
    .map(
      (t) =>
        `${JSON.stringify(t)}:{"bname":"broker-a","dirty":false,"epoch":1,"scope":"__global__",` +
        `"topic":${JSON.stringify(t)},"totalQueues":2}`,
    )
    .join(',');
  return Buffer.from(
    `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":${counter},` +
      `"timestamp":1700000000000},"mappingDataVersion":{"counter":0,"timestamp":1},` +
      `"topicConfigTable":{${table}},"topicQueueMappingDetailMap":{},` +
      `"topicQueueMappingInfoMap":{${mappings}}}}`,
  );
}

const register = (b: Buffer): RemotingCommand =>
  registerRequest({ cluster: 'C', brokerName: 'broker-a', body: b, version: Version.V5_3_3 });

const e = (name: string, q = 4): [string, string, number] => [name, name, q];

const SCRIPTS: Record<string, { bodies: Buffer[]; reads: string[] }> = {
  'static mappings': {
    bodies: [
      body(1, [e('X'), e('S')], ['S']),
      body(2, [e('S')], ['S']),
      body(3, [], []),
      body(4, [e('Y')]),
      body(5, [e('Y', 8)]),
    ],
    reads: ['X', 'S', 'Y'],
  },
  'a value named as another key': {
    bodies: [
      body(1, [e('T0')]),
      // same DataVersion, the value of T0 now names T1
      body(1, [['T0', 'T1', 4]]),
      // swapped names, then key A gone
      body(2, [['A', 'B', 1], ['B', 'A', 2], e('C', 3)]),
      body(3, [['B', 'A', 2], e('C', 3)]),
      // an alias of C, then C gone
      body(4, [['A', 'C', 1], e('C', 3)]),
      body(5, [['A', 'C', 1]]),
      body(6, [e('A'), e('C', 5)]),
      body(7, [e('A'), e('C', 6)]),
    ],
    reads: ['T0', 'T1', 'A', 'B', 'C'],
  },
  'a renamed body sent again byte for byte': {
    bodies: [
      body(1, [
        ['S0', 'S2', 1],
        ['S1', 'S2', 2],
      ]),
      body(2, [
        ['S0', 'S2', 1],
        ['S1', 'S2', 2],
      ]),
      body(2, [
        ['S0', 'S2', 1],
        ['S1', 'S2', 2],
      ]),
    ],
    reads: ['S0', 'S1', 'S2'],
  },
};

function reads(topics: string[]): RemotingCommand[] {
  return [
    ...topics.map((topic) => request(RequestCode.GET_ROUTEINFO_BY_TOPIC, { ext: { topic } })),
    request(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
  ];
}

function seen(cmd: RemotingCommand | null): string {
  if (cmd === null) return 'null';
  return JSON.stringify([cmd.code, cmd.remark, cmd.extFields, cmd.body?.toString('utf8')]);
}

describe('registration bodies at the edges of the incremental path', () => {
  for (const [name, { bodies, reads: topics }] of Object.entries(SCRIPTS)) {
    for (const deleteTopics of [true, false]) {
      it(`${name}: as the inline decode (deleteTopicWithBrokerRegistration=${deleteTopics})`, async () => {
        const h = createHarness({ config: { deleteTopicWithBrokerRegistration: deleteTopics } });
        const expected: string[] = [];
        for (const b of bodies) {
          expected.push(seen(h.dispatch(register(b), { connectionId: 1 })));
          for (const r of reads(topics)) expected.push(seen(h.dispatch(r, { connectionId: 9 })));
        }
        for (const workers of [1, 2]) {
          const { port } = await nodes.start(
            workers,
            `--deleteTopicWithBrokerRegistration=${deleteTopics}`,
          );
          const broker = await nodes.connect(port);
          const reader = await nodes.connect(port);
          const got: string[] = [];
          for (const b of bodies) {
            got.push(seen(await broker.request(register(b))));
            for (const r of reads(topics)) got.push(seen(await reader.request(r)));
          }
          for (let i = 0; i < expected.length; i++) {
            expect(got[i], `answer ${i}, ${workers} serving process(es)`).toBe(expected[i]);
          }
        }
      });
    }
  }
});
