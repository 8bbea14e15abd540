/**
 * Responses that come later (a write answered by the registry owner, a held route watch): the
 * dispatcher returns a promise, the connection writes its answer when it settles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, createResponse, encodeCommand, ResponseCode } from '@ns/protocol';
import {
  DEFER_CODE,
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

  it('are dropped once a graceful close has begun; the close does not wait for them', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    c.send(createRequest({ code: DEFER_CODE, opaque: 1 }));
    await waitFor('request dispatched', () => ts!.dispatcher.deferred.length === 1);
    const { request, answer } = ts.dispatcher.deferred[0]!;
    const closing = ts.server.close(2_000);
    answer(createResponse(request, { code: 0 }));
    await closing;
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
});
