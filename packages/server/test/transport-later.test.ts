/**
 * Responses that come later (a write answered by the registry owner, a held route watch): the
 * dispatcher returns a promise, the connection writes its answer when it settles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, createResponse, encodeCommand, ResponseCode } from '@ns/protocol';
import {
  DEFER_CODE,
  HELD_CODE,
  SLOW_CODE,
  RawClient,
  echoRequest,
  startTestServer,
  waitFor,
} from './transport-helpers.js';
import type { TestServer } from './transport-helpers.js';

let ts: TestServer | null = null;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await ts?.server.close(500);
  ts = null;
});

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

describe('responses that come later', () => {
  it('are written when they come, while other requests on the connection are answered', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    const held = c.request(createRequest({ code: DEFER_CODE, opaque: 41 }));
    await waitFor('request dispatched', () => ts!.dispatcher.deferred.length === 1);
    // The pending request does not block the connection.
    const echoed = await c.request(echoRequest(42, 'meanwhile'));
    expect(echoed.body?.toString('utf8')).toBe('meanwhile');
    expect(c.received.map((r) => r.opaque)).toEqual([42]);
    expect(ts.server.connectionInfos()[0]?.inFlight).toBe(1);

    const { request, answer } = ts.dispatcher.deferred[0]!;
    answer(createResponse(request, { code: ResponseCode.SUCCESS, remark: 'later' }));
    const response = await held;
    expect(response.opaque).toBe(41);
    expect(response.remark).toBe('later');
    expect(response.flag).toBe(1);
    await waitFor('nothing in flight', () => ts!.server.connectionInfos()[0]?.inFlight === 0);
  });

  it('go out as their pre-encoded frame when they have one', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    const held = c.request(createRequest({ code: DEFER_CODE, opaque: 7 }));
    await waitFor('request dispatched', () => ts!.dispatcher.deferred.length === 1);
    const { request, answer } = ts.dispatcher.deferred[0]!;
    const response = createResponse(request, { code: ResponseCode.SUCCESS });
    const frame = encodeCommand({ ...response, remark: 'from the frame' });
    answer({ ...response, encodedFrame: frame });
    expect((await held).remark).toBe('from the frame');
  });

  it('are dropped when the connection closed first, and nothing breaks', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    c.send(createRequest({ code: DEFER_CODE, opaque: 1 }));
    await waitFor('request dispatched', () => ts!.dispatcher.deferred.length === 1);
    const { request, ctx, answer } = ts.dispatcher.deferred[0]!;
    c.destroy();
    await waitFor('close reported', () => ts!.closedIds.includes(ctx.connectionId));
    answer(createResponse(request, { code: 0 }));
    // The server still serves others.
    const other = await client(ts.port);
    expect((await other.request(echoRequest(2, 'alive'))).body?.toString('utf8')).toBe('alive');
  });

  it('are still written when a graceful close began while they were awaited, before the FIN', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    c.send(createRequest({ code: DEFER_CODE, opaque: 1 }));
    c.send(createRequest({ code: DEFER_CODE, opaque: 2 }));
    await waitFor('requests dispatched', () => ts!.dispatcher.deferred.length === 2);
    const closing = ts.server.close(2_000);
    await new Promise((r) => setTimeout(r, 50));
    // No FIN yet: both answers are awaited (a KV write waiting for its fsync).
    expect(c.isClosed).toBe(false);
    for (const { request, answer } of ts.dispatcher.deferred) {
      answer(createResponse(request, { code: 0 }));
    }
    await closing;
    await waitFor('closed by the server', () => c.isClosed);
    expect(c.received.map((r) => r.opaque).sort()).toEqual([1, 2]);
  });

  it('a graceful close ends the connection as soon as its last awaited answer is written, not at the grace period', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    c.send(createRequest({ code: DEFER_CODE, opaque: 1 }));
    c.send(createRequest({ code: DEFER_CODE, opaque: 2 }));
    await waitFor('requests dispatched', () => ts!.dispatcher.deferred.length === 2);
    // A grace period longer than the wait below: only the FIN after the last answer closes it.
    const closing = ts.server.close(15_000);
    const [first, second] = ts.dispatcher.deferred;
    first!.answer(createResponse(first!.request, { code: 0 }));
    await waitFor('the first answer', () => c.received.length === 1);
    expect(c.isClosed).toBe(false);
    second!.answer(createResponse(second!.request, { code: 0 }));
    await waitFor('closed by the server after the last answer', () => c.isClosed, 5_000);
    expect(c.received.map((r) => r.opaque).sort()).toEqual([1, 2]);
    await closing;
  });

  it('an answered held request (a route watch) gives back no in-flight slot it never took', async () => {
    ts = await startTestServer({ maxInFlightPerConnection: 2 });
    const c = await client(ts.port);
    c.send(createRequest({ code: HELD_CODE, opaque: 1 }));
    await waitFor('held request dispatched', () => ts!.dispatcher.deferred.length === 1);
    const held = ts.dispatcher.deferred.pop()!;
    held.answer(createResponse(held.request, { code: 0 }));
    await waitFor('held request answered', () => c.received.length === 1);
    // Still two slots, not three: the third waits behind the cap.
    for (let i = 2; i <= 4; i++) c.send(createRequest({ code: DEFER_CODE, opaque: i }));
    await waitFor('two dispatched', () => ts!.dispatcher.deferred.length === 2);
    await waitFor('reading paused', () => ts!.server.connectionInfos()[0]?.isPaused === true);
    expect(ts.dispatcher.deferred).toHaveLength(2);
    for (const d of ts.dispatcher.deferred.splice(0))
      d.answer(createResponse(d.request, { code: 0 }));
    await waitFor('the last dispatched', () => ts!.dispatcher.deferred.length === 1);
    const last = ts.dispatcher.deferred.pop()!;
    last.answer(createResponse(last.request, { code: 0 }));
    await waitFor('every answer', () => c.received.length === 4);
  });

  it('a held answer (a route watch) does not hold a graceful close, and is dropped', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    c.send(createRequest({ code: HELD_CODE, opaque: 1 }));
    await waitFor('request dispatched', () => ts!.dispatcher.deferred.length === 1);
    const started = performance.now();
    await ts.server.close(2_000);
    expect(performance.now() - started).toBeLessThan(1_500);
    const { request, answer } = ts.dispatcher.deferred[0]!;
    answer(createResponse(request, { code: 0 }));
    expect(c.received).toEqual([]);
  });

  it('past maxInFlightPerConnection the connection stops reading until one is answered', async () => {
    ts = await startTestServer({ maxInFlightPerConnection: 2 });
    const c = await client(ts.port);
    for (let i = 1; i <= 3; i++) c.send(createRequest({ code: DEFER_CODE, opaque: i }));
    const echoed = c.request(echoRequest(10, 'after'));
    await waitFor('two dispatched', () => ts!.dispatcher.deferred.length === 2);
    await waitFor('reading paused', () => ts!.server.connectionInfos()[0]?.isPaused === true);
    // The third and the echo wait behind the cap.
    expect(ts.dispatcher.seen).toHaveLength(2);
    const first = ts.dispatcher.deferred[0]!;
    first.answer(createResponse(first.request, { code: 0 }));
    await waitFor('third dispatched', () => ts!.dispatcher.deferred.length === 3);
    const second = ts.dispatcher.deferred[1]!;
    second.answer(createResponse(second.request, { code: 0 }));
    expect((await echoed).body?.toString('utf8')).toBe('after');
  });

  it('requests waiting for answers count against the frame budget: past half of it no connection with one takes more, and partial frames wait', async () => {
    // A budget of 256 KiB: answers pending of 128 KiB or more are "over budget".
    ts = await startTestServer({ maxFrameLength: 65_536, partialFrameBudgetBytes: 262_144 });
    const budget = ts.server.pool.frameBudget;
    const deferred = (opaque: number) =>
      createRequest({ code: DEFER_CODE, opaque, body: Buffer.alloc(50_000, 0x42) });
    const a = await client(ts.port);
    for (let i = 1; i <= 4; i++) a.send(deferred(i));
    // Three frames of ~50 KB are past half the budget: the fourth is not taken.
    await waitFor('three dispatched', () => ts!.dispatcher.deferred.length === 3);
    await waitFor('a paused', () => ts!.server.connectionInfos()[0]?.isPaused === true);
    expect(budget.answeringBytes).toBeGreaterThanOrEqual(150_000);
    expect(budget.answersOverBudget).toBe(true);
    // Another connection is still served: lookups, and one write of its own.
    const b = await client(ts.port);
    expect((await b.request(echoRequest(10, 'lookup'))).body?.toString('utf8')).toBe('lookup');
    b.send(deferred(11));
    b.send(deferred(12));
    await waitFor('b dispatched one', () => ts!.dispatcher.deferred.length === 4);
    // A frame arriving in parts waits while answers pending fill the budget's wait share.
    const c = await client(ts.port);
    const big = encodeCommand(createRequest({ code: 105, opaque: 20, body: Buffer.alloc(60_000) }));
    c.socket.write(big.subarray(0, 30_000));
    await waitFor('the partial frame waits', () =>
      ts!.server.connectionInfos().some((info) => info.waitingForBudget),
    );
    expect(ts.dispatcher.deferred).toHaveLength(4);
    // Answers free the budget: every connection goes on, nothing is lost.
    const answerAll = () => {
      for (const d of ts!.dispatcher.deferred.splice(0)) {
        d.answer(createResponse(d.request, { code: 0 }));
      }
    };
    answerAll();
    c.socket.write(big.subarray(30_000));
    await waitFor('the rest dispatched', () => ts!.dispatcher.deferred.length === 2);
    answerAll();
    await waitFor(
      'a answered 4, b 2, c 1',
      () => a.received.length === 4 && b.received.length === 3 && c.received.length === 1,
    );
    await waitFor('nothing pending', () => budget.answeringBytes === 0);
  });

  it('a frame whose memory the handler moved away (a registration to its decode thread) still counts until answered', async () => {
    // Frames of 256 KiB or more are assembled in a buffer of their own, which the handler moves.
    ts = await startTestServer({ maxFrameLength: 1 << 20, partialFrameBudgetBytes: 4 << 20 });
    ts.dispatcher.moveDeferredBodies = true;
    const budget = ts.server.pool.frameBudget;
    const a = await client(ts.port);
    for (let i = 1; i <= 5; i++) {
      a.send(createRequest({ code: DEFER_CODE, opaque: i, body: Buffer.alloc(600_000, 0x43) }));
    }
    // Four frames of 600 KB are past half the budget (2 MiB): the fifth is not taken (not even
    // read whole: as a partial frame it waits for the budget).
    await waitFor('four dispatched', () => ts!.dispatcher.deferred.length === 4);
    await waitFor('a stopped', () => {
      const info = ts!.server.connectionInfos()[0];
      return info?.isPaused === true || info?.waitingForBudget === true;
    });
    expect(ts.dispatcher.deferred[0]!.request.body!.length).toBe(0);
    expect(budget.answeringBytes).toBeGreaterThanOrEqual(2_400_000);
    for (const d of ts.dispatcher.deferred.splice(0))
      d.answer(createResponse(d.request, { code: 0 }));
    await waitFor('the fifth dispatched', () => ts!.dispatcher.deferred.length === 1);
    const last = ts.dispatcher.deferred.pop()!;
    last.answer(createResponse(last.request, { code: 0 }));
    await waitFor('all answered', () => a.received.length === 5);
    await waitFor('nothing pending', () => budget.answeringBytes === 0);
  });

  it('a pipeline of costly requests does not hold the loop: another connection is answered in between', async () => {
    ts = await startTestServer();
    const a = await client(ts.port);
    const b = await client(ts.port);
    const slow = (opaque: number) =>
      encodeCommand(createRequest({ code: SLOW_CODE, opaque, extFields: { millis: '3' } }));
    // 100 requests of 3 ms in one write: one read, 300 ms of work.
    a.socket.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => slow(i + 1))));
    await waitFor('a first answer', () => a.received.length > 0);
    const echoed = await b.request(echoRequest(100, 'between'));
    expect(echoed.body?.toString('utf8')).toBe('between');
    expect(a.received.length).toBeLessThan(100);
    await waitFor('every answer', () => a.received.length === 100);
    expect(a.received.map((r) => r.opaque)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
