/**
 * REGISTER_BROKER bodies decoded off the event loop, against the broker's previous body
 * (serving/register-path.ts, serving/decode/, registry/registration-bases.ts), leave the registry
 * exactly as decoding each body whole in the handler does: a node (1 and 2 serving processes) and
 * the in-process handler harness run the same script — unchanged bodies, changed topics with and
 * without a new DataVersion, added and removed topics, admin edits in between, an unregister
 * (after which the broker's next body is decoded in full), a wrong CRC on a plain and on a
 * compressed body — and every answer matches. A broker that registered through another serving
 * process meanwhile makes the owner ask for the whole body ('resend'), with the same answers.
 *
 * Serving sides run the compiled decode thread (dist/), so `tsc -b` must have run (pnpm test does).
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand, RequestCode, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { NameServer } from '../src/name-server.js';
import { createHarness, registerRequest, request } from './handlers-harness.js';
import type { Harness, RegisterInit, TestTopic } from './handlers-harness.js';
import { RawClient, waitFor } from './transport-helpers.js';
import { useNodes } from './node-fixture.js';

const nodes = useNodes('ns-decode');

function startNode(workers: number, deleteTopics: boolean) {
  return nodes.start(workers, `--deleteTopicWithBrokerRegistration=${deleteTopics}`);
}

const N = 400;
/** Broker names one connection registers and unregisters in the last test. */
const NAMES = 1_000;
const base: TestTopic[] = Array.from({ length: N }, (_, i) => ({ name: `T${i}` }));

function withTopic(topics: TestTopic[], i: number, t: Partial<TestTopic>): TestTopic[] {
  return topics.map((x, j) => (j === i ? { ...x, ...t } : x));
}

/** What one step sends, on which connection ('a', 'a2': two connections of the same broker). */
type Step = { on: 'a' | 'a2' | 'b' | 'admin'; cmd: () => RemotingCommand };

function script(): Step[] {
  const a = (topics: TestTopic[], counter: number, more: Partial<RegisterInit> = {}): Step => ({
    on: 'a',
    cmd: () =>
      registerRequest({
        cluster: 'C',
        brokerName: 'broker-a',
        brokerAddr: '10.0.0.1:10911',
        topics,
        counter,
        ...more,
      }),
  });
  const step1 = base;
  const step3 = withTopic(step1, 5, { perm: 4 });
  const step4 = [...step3.filter((t) => t.name !== 'T7'), { name: 'T400' }];
  const step5 = withTopic(step4, 9, { queues: 8 });
  const moved = [step5[20]!, ...step5.filter((_, i) => i !== 20)];
  return [
    a(step1, 1),
    a(step1, 1), // unchanged
    a(step3, 2), // one topic changed, new DataVersion
    a(step4, 3), // one added, one removed
    a(step5, 3), // changed without a new DataVersion (Java leaves the existing QueueData)
    a(step4, 4), // back
    a(moved, 5), // order changed
    {
      on: 'admin',
      cmd: () =>
        request(RequestCode.WIPE_WRITE_PERM_OF_BROKER, { ext: { brokerName: 'broker-a' } }),
    },
    a(withTopic(moved, 30, { queues: 2 }), 6), // after an admin edit of the broker's QueueData
    {
      on: 'admin',
      cmd: () =>
        request(RequestCode.DELETE_TOPIC_IN_NAMESRV, { ext: { topic: 'T11', clusterName: 'C' } }),
    },
    a(withTopic(moved, 30, { queues: 2 }), 6), // same body: re-adds the deleted topic (rule f)
    a(withTopic(moved, 31, { queues: 2 }), 7, { compressed: true }),
    // The same broker on another connection, then back on the first.
    {
      on: 'a2',
      cmd: () =>
        registerRequest({
          cluster: 'C',
          brokerName: 'broker-a',
          brokerAddr: '10.0.0.1:10911',
          topics: withTopic(moved, 32, { queues: 2 }),
          counter: 8,
        }),
    },
    a(withTopic(moved, 33, { queues: 2 }), 9),
    {
      on: 'a',
      cmd: () =>
        request(RequestCode.UNREGISTER_BROKER, {
          ext: {
            clusterName: 'C',
            brokerName: 'broker-a',
            brokerAddr: '10.0.0.1:10911',
            brokerId: '0',
          },
        }),
    },
    // The unregister made the decode thread forget the base: decoded in full, as the owner (which
    // dropped its own base with the broker) needs it — not a delta it would send back.
    a(withTopic(moved, 34, { queues: 2 }), 10),
    a(withTopic(moved, 34, { queues: 3 }), 11),
    // Another broker name serving some of the same topics; then a's body changes again.
    {
      on: 'b',
      cmd: () =>
        registerRequest({
          cluster: 'C',
          brokerName: 'broker-b',
          brokerAddr: '10.0.0.2:10911',
          topics: base.slice(0, 50),
        }),
    },
    a(withTopic(moved, 35, { queues: 3 }), 12),
    // Bodies without a timestamp: a changed version each time (the NameServer's clock stamps
    // it), so a changed topic is applied with the same counter, and the same bytes are no
    // "unchanged" body. The mark must survive the decode thread and the owner's channel.
    // (moved[34] is T35, which READS reads.)
    a(withTopic(withTopic(moved, 35, { queues: 3 }), 34, { queues: 5 }), 12, { timestamp: null }),
    a(withTopic(withTopic(moved, 35, { queues: 3 }), 34, { queues: 6 }), 12, { timestamp: null }),
    a(withTopic(withTopic(moved, 35, { queues: 3 }), 34, { queues: 6 }), 12, { timestamp: null }),
    { on: 'a', cmd: () => registerRequest({ bodyCrc32: '1', cluster: 'C', topics: base }) },
    // A compressed body's CRC is checked too (over the bytes sent, before inflating them).
    {
      on: 'a',
      cmd: () => registerRequest({ compressed: true, bodyCrc32: '1', cluster: 'C', topics: base }),
    },
  ];
}

const READS: (() => RemotingCommand)[] = [
  ...['T0', 'T5', 'T7', 'T9', 'T11', 'T20', 'T30', 'T34', 'T35', 'T399', 'T400'].map(
    (topic) => () => request(RequestCode.GET_ROUTEINFO_BY_TOPIC, { ext: { topic } }),
  ),
  () => request(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
  () => request(RequestCode.GET_BROKER_CLUSTER_INFO),
  () => request(RequestCode.GET_TOPICS_BY_CLUSTER, { ext: { cluster: 'C' } }),
];

/** What a client can see of an answer (opaques differ between the two). */
function seen(cmd: RemotingCommand | null): string {
  if (cmd === null) return 'null';
  return JSON.stringify([cmd.code, cmd.remark, cmd.extFields, cmd.body?.toString('utf8')]);
}

async function runOnNode({ port }: { port: number }): Promise<string[]> {
  const conns: Record<Step['on'], RawClient> = {
    a: await nodes.connect(port),
    a2: await nodes.connect(port),
    b: await nodes.connect(port),
    admin: await nodes.connect(port),
  };
  const reader = await nodes.connect(port);
  const out: string[] = [];
  for (const step of script()) {
    // A version stamped "now" must be another one at the next step, as on the harness (its
    // clock moves 1 ms a step): 15 loopback round trips can take less than a millisecond.
    await new Promise((resolve) => setTimeout(resolve, 2));
    out.push(seen(await conns[step.on].request(step.cmd())));
    for (const read of READS) out.push(seen(await reader.request(read())));
  }
  return out;
}

function runOnHarness(h: Harness): string[] {
  const ids: Record<Step['on'], number> = { a: 1, a2: 2, b: 3, admin: 4 };
  const out: string[] = [];
  for (const step of script()) {
    // Time passes between steps, as on a node: a version stamped "now" is another one each step.
    h.clock.t += 1;
    out.push(seen(h.dispatch(step.cmd(), { connectionId: ids[step.on] })));
    for (const read of READS) out.push(seen(h.dispatch(read(), { connectionId: 9 })));
  }
  return out;
}

async function decodes(node: NameServer): Promise<Record<string, number>> {
  const text = (await node.scrapeMetrics()).body;
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^namesrv_register_body_decodes_total\{kind="(\w+)"\} (\d+)/gm)) {
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** namesrv_register_body_decode_seconds: count and sum per kind. */
async function decodeTimes(node: NameServer): Promise<Record<string, { n: number; s: number }>> {
  const text = (await node.scrapeMetrics()).body;
  const out: Record<string, { n: number; s: number }> = {};
  for (const m of text.matchAll(
    /^namesrv_register_body_decode_seconds_(count|sum)\{kind="(\w+)"\} (\S+)/gm,
  )) {
    const e = (out[m[2]!] ??= { n: 0, s: 0 });
    if (m[1] === 'count') e.n = Number(m[3]);
    else e.s = Number(m[3]);
  }
  return out;
}

describe('registration bodies decoded off the event loop', () => {
  for (const deleteTopics of [false, true]) {
    it(`leaves the registry as the inline decode does (deleteTopicWithBrokerRegistration=${deleteTopics})`, async () => {
      const expected = runOnHarness(
        createHarness({ config: { deleteTopicWithBrokerRegistration: deleteTopics } }),
      );
      const one = await startNode(1, deleteTopics);
      const two = await startNode(2, deleteTopics);
      const [got1, got2] = [await runOnNode(one), await runOnNode(two)];
      for (let i = 0; i < expected.length; i++) {
        expect(got1[i], `answer ${i}, 1 serving process`).toBe(expected[i]);
        expect(got2[i], `answer ${i}, 2 serving processes`).toBe(expected[i]);
      }
      // The paths this script is about were taken.
      const counts = await decodes(one.node);
      expect(counts['delta']).toBeGreaterThanOrEqual(8);
      expect(counts['unchanged']).toBeGreaterThanOrEqual(2);
      // No delta against a base the owner dropped (see the step after the unregister).
      expect(counts['resend'] ?? 0).toBe(0);
      // The two bodies with a wrong CRC, plain and compressed.
      expect(counts['invalid']).toBe(2);
      // Every decode's thread time is in the histogram, by the same kinds (the workers' added
      // up with 2 serving processes).
      for (const node of [one.node, two.node]) {
        const [times, kinds] = [await decodeTimes(node), await decodes(node)];
        for (const kind of ['full', 'delta', 'unchanged', 'invalid']) {
          expect(times[kind]?.n, kind).toBe(kinds[kind]);
          expect(times[kind]!.s, kind).toBeGreaterThan(0);
        }
      }
    });
  }
});

// 3,000 topics: a body large enough to be moved to the decode thread (not copied), so the
// 'resend' is decoded from the thread's copy, and decodes large enough to be sealed (SEAL_MIN_ROWS).
for (const topics of [base, Array.from({ length: 3_000 }, (_, i) => ({ name: `T${i}` }))]) {
  it(`a broker that registered through another serving process meanwhile: the owner asks for the whole body ('resend') and the answers match the inline decode (${topics.length} topics)`, async () => {
    const { node, port } = await startNode(2, false);
    const workers = node.servingWorkers!;
    const placed = (n: number) => workers.connectionCounts.reduce((x, y) => x + y, 0) === n;
    // One connection on each serving process (each has its own decode thread and bases).
    const a = await nodes.connect(port);
    await waitFor('the first connection placed', () => placed(1));
    const a2 = await nodes.connect(port);
    await waitFor('the second connection placed', () => placed(2));
    expect(workers.connectionCounts).toEqual([1, 1]);
    const reader = await nodes.connect(port);
    const reg = (topics: TestTopic[], counter: number): RemotingCommand =>
      registerRequest({
        cluster: 'C',
        brokerName: 'broker-a',
        brokerAddr: '10.0.0.1:10911',
        topics,
        counter,
      });
    const steps: { on: 'a' | 'a2'; cmd: () => RemotingCommand }[] = [
      { on: 'a', cmd: () => reg(topics, 1) },
      // Through the other process: the owner now holds that process's base.
      { on: 'a2', cmd: () => reg(withTopic(topics, 1, { queues: 2 }), 2) },
      // Back on the first: its thread still holds its own base and sends a delta against it.
      { on: 'a', cmd: () => reg(withTopic(topics, 5, { queues: 8 }), 3) },
    ];
    const h = createHarness();
    const conns = { a, a2 };
    const ids = { a: 1, a2: 2 };
    for (const [i, step] of steps.entries()) {
      expect(seen(await conns[step.on].request(step.cmd())), `step ${i}`).toBe(
        seen(h.dispatch(step.cmd(), { connectionId: ids[step.on] })),
      );
      for (const read of READS) {
        expect(seen(await reader.request(read())), `step ${i}`).toBe(
          seen(h.dispatch(read(), { connectionId: 9 })),
        );
      }
    }
    expect(await decodes(node)).toMatchObject({ resend: 1 });
  });
}

it('a registration whose header lacks a field is answered by the owner, as Java does', async () => {
  const { port } = await startNode(1, false);
  const c = await nodes.connect(port);
  const broken = (): RemotingCommand => {
    const cmd = registerRequest({ cluster: 'C' });
    delete cmd.extFields!['brokerAddr'];
    return cmd;
  };
  const answer = await c.request(broken());
  expect(answer.remark).toMatch(/brokerAddr/);
  expect(seen(answer)).toBe(seen(createHarness().dispatch(broken(), {})));
});

it("UNREGISTER_BROKER drops the broker's base in the decode thread: 1,000 broker names registered and unregistered on one open connection leave none", async () => {
  const { node, port } = await startNode(1, false);
  const serving = node.servingNode!;
  const c = await nodes.connect(port);
  const before = await serving.registerDecodeBases();
  const names = Array.from({ length: NAMES }, (_, i) => ({
    cluster: 'C',
    brokerName: `many-${i}`,
    brokerAddr: `10.1.${i >> 8}.${i & 255}:10911`,
  }));
  // Pipelined, as a peer may send them (the node reads them at its own pace).
  const answered = async (cmds: RemotingCommand[]) => {
    const from = c.received.length;
    c.send(Buffer.concat(cmds.map((cmd) => encodeCommand(cmd))));
    await waitFor('every answer', () => c.received.length === from + cmds.length, 60_000, 10);
    expect(c.received.slice(from).every((r) => r.code === ResponseCode.SUCCESS)).toBe(true);
  };
  await answered(
    names.map((n, i) => registerRequest({ ...n, topics: [{ name: `many-topic-${i}` }] })),
  );
  // The thread keeps one base per broker registered with a body (what this test counts).
  expect(await serving.registerDecodeBases()).toBe(before + NAMES);
  await answered(
    names.map((n) =>
      request(RequestCode.UNREGISTER_BROKER, {
        ext: {
          clusterName: n.cluster,
          brokerName: n.brokerName,
          brokerAddr: n.brokerAddr,
          brokerId: '0',
        },
      }),
    ),
  );
  expect(node.routeInfoManager.getCounts().brokers).toBe(0);
  // The connection is still open: only the unregisters can have dropped the bases.
  expect(c.isClosed).toBe(false);
  expect(await serving.registerDecodeBases()).toBe(before);
});
