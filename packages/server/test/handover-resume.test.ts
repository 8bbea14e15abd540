/**
 * A serving worker that stalls past the hand-over deadline (5 s) with several connections on
 * their way to it, then resumes: the owner gave those hand-overs up and closed its copies while
 * Node's channel still queued them behind the first unacknowledged handle; Node then sends
 * those messages without their socket. The worker must ignore them, not crash (it did:
 * "Cannot read properties of undefined (reading 'resume')", all its connections dropped).
 *
 * Serving workers run the compiled code (dist/), so `tsc -b` must have run.
 */
import { describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { request } from './handlers-harness.js';
import { waitFor } from './transport-helpers.js';
import { useNodes } from './node-fixture.js';

const nodes = useNodes('ns-handover-resume');

describe('hand-overs to a stalled worker', () => {
  it('a worker resumed after the hand-over deadline serves on (no crash, no replacement)', async () => {
    const { node, port } = await nodes.start(2, '--servingWorkerAckTimeoutMillis=30000');
    const workers = node.servingWorkers!;
    const first = [await nodes.connect(port), await nodes.connect(port)];
    let opaque = 1;
    // Answered, so taken in: a hand-over still pending at the stop would be given up (closed).
    for (const c of first) {
      const res = await c.request(
        request(RequestCode.GET_ROUTEINFO_BY_TOPIC, { opaque: opaque++, ext: { topic: 'T' } }),
      );
      expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    }
    expect(workers.connectionCounts).toEqual([1, 1]);
    const [stalled] = workers.pids;
    process.kill(stalled!, 'SIGSTOP');
    try {
      // Least-connections placement: two of these four go to the stopped worker.
      const late = await Promise.all([0, 1, 2, 3].map(() => nodes.connect(port)));
      expect(late).toHaveLength(4);
      await new Promise((r) => setTimeout(r, 6000));
    } finally {
      process.kill(stalled!, 'SIGCONT');
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(workers.restarts).toBe(0);
    expect(workers.pids).toContain(stalled);
    for (const c of first) {
      expect(c.isClosed).toBe(false);
      const res = await c.request(
        request(RequestCode.GET_ROUTEINFO_BY_TOPIC, { opaque: opaque++, ext: { topic: 'T' } }),
      );
      expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    }
  }, 60_000);

  it('new connections go past a worker that has left one untaken for a second', async () => {
    const { node, port } = await nodes.start(2, '--servingWorkerAckTimeoutMillis=30000');
    const workers = node.servingWorkers!;
    let opaque = 1;
    const answered = async (c: Awaited<ReturnType<typeof nodes.connect>>): Promise<void> => {
      const res = await c.request(
        request(RequestCode.GET_ROUTEINFO_BY_TOPIC, { opaque: opaque++, ext: { topic: 'T' } }),
      );
      expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    };
    for (const c of [await nodes.connect(port), await nodes.connect(port)]) await answered(c);
    expect(workers.connectionCounts).toEqual([1, 1]);
    const [stalled] = workers.pids;
    process.kill(stalled!, 'SIGSTOP');
    try {
      // Least connections, the tie to the first: this one is handed to the stopped worker.
      await nodes.connect(port);
      await waitFor('a hand-over to the stopped worker', () => workers.connectionCounts[0] === 2);
      // Past SLOW_HANDOVER_MILLIS (1 s) the stopped worker is passed over, though the other
      // now serves more.
      await new Promise((r) => setTimeout(r, 1_200));
      const more = [];
      for (let i = 0; i < 4; i++) {
        const c = await nodes.connect(port);
        await answered(c);
        more.push(c);
      }
      expect(workers.connectionCounts).toEqual([2, 5]);
    } finally {
      process.kill(stalled!, 'SIGCONT');
    }
  }, 60_000);
});
