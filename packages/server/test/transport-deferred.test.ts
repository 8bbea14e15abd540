/** Deferred responses: a request the dispatcher answers later through RemotingServer.reply. */
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

describe('RemotingServer deferred responses', () => {
  it('sends a response later on the request connection, while other requests are answered', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    const held = c.request(createRequest({ code: DEFER_CODE, opaque: 41 }));
    await waitFor('deferred request dispatched', () => ts!.dispatcher.deferred.length === 1);
    // The held request does not block the connection.
    const echoed = await c.request(echoRequest(42, 'meanwhile'));
    expect(echoed.body?.toString('utf8')).toBe('meanwhile');
    expect(c.received.map((r) => r.opaque)).toEqual([42]);

    const { request, ctx } = ts.dispatcher.deferred[0]!;
    const sent = ts.server.reply(
      ctx.connectionId,
      createResponse(request, { code: ResponseCode.SUCCESS, remark: 'later' }),
    );
    expect(sent).toBe(true);
    const response = await held;
    expect(response.opaque).toBe(41);
    expect(response.remark).toBe('later');
    expect(response.flag).toBe(1);
  });

  it('sends a pre-encoded frame as is', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    const held = c.request(createRequest({ code: DEFER_CODE, opaque: 7 }));
    await waitFor('deferred request dispatched', () => ts!.dispatcher.deferred.length === 1);
    const { request, ctx } = ts.dispatcher.deferred[0]!;
    const response = createResponse(request, { code: ResponseCode.SUCCESS });
    const frame = encodeCommand({ ...response, remark: 'from the frame' });
    expect(ts.server.reply(ctx.connectionId, { ...response, encodedFrame: frame })).toBe(true);
    expect((await held).remark).toBe('from the frame');
  });

  it('drops a reply to a connection that closed, and to an unknown id', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    c.send(createRequest({ code: DEFER_CODE, opaque: 1 }));
    await waitFor('deferred request dispatched', () => ts!.dispatcher.deferred.length === 1);
    const { request, ctx } = ts.dispatcher.deferred[0]!;
    c.destroy();
    await waitFor('close reported', () => ts!.closedIds.includes(ctx.connectionId));
    expect(ts.server.reply(ctx.connectionId, createResponse(request, { code: 0 }))).toBe(false);
    expect(ts.server.reply(987_654, createResponse(request, { code: 0 }))).toBe(false);
  });

  it('drops a reply once a graceful close has begun', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    c.send(createRequest({ code: DEFER_CODE, opaque: 1 }));
    await waitFor('deferred request dispatched', () => ts!.dispatcher.deferred.length === 1);
    const { request, ctx } = ts.dispatcher.deferred[0]!;
    const closing = ts.server.close(2_000);
    expect(ts.server.reply(ctx.connectionId, createResponse(request, { code: 0 }))).toBe(false);
    await closing;
    expect(c.received).toEqual([]);
  });
});
