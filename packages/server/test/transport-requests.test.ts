import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  ResponseCode,
  createRequest,
  createResponse,
  encodeCommand,
  newExtFields,
} from '@ns/protocol';
import { RemotingServer } from '../src/transport/remoting-server.js';
import { TransportError } from '../src/transport/transport-error.js';
import { createSilentLogger } from '../src/logging.js';
import {
  RawClient,
  ScriptedDispatcher,
  ECHO_CODE,
  THROW_CODE,
  capturingLogger,
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

describe('RemotingServer request path', () => {
  it('reports the OS-chosen port and answers many concurrent requests by opaque', async () => {
    ts = await startTestServer();
    expect(ts.port).toBeGreaterThan(0);
    const c = await client(ts.port);
    const n = 500;
    // All requests leave in one write, so the server cuts many frames from each chunk.
    const frames = Array.from({ length: n }, (_, i) =>
      encodeCommand(echoRequest(1000 + i, `topic-${i}`)),
    );
    c.send(Buffer.concat(frames));
    await waitFor('all responses', () => c.received.length === n);
    const byOpaque = new Map(c.received.map((r) => [r.opaque, r]));
    expect(byOpaque.size).toBe(n);
    for (let i = 0; i < n; i++) {
      const res = byOpaque.get(1000 + i);
      expect(res?.code).toBe(ResponseCode.SUCCESS);
      expect(res?.flag).toBe(1);
      expect(res?.body?.toString('utf8')).toBe(`topic-${i}`);
    }
  });

  for (const directReads of [true, false]) {
    it(`reads ${directReads ? 'into reused buffers (the default)' : "through 'data' events"}: small and large frames, all answered`, async () => {
      ts = await startTestServer(directReads ? {} : { directReads: false });
      const c = await client(ts.port);
      // A 1 MiB request (assembled in place: read straight into its buffer when direct) between
      // many small ones, all in one write.
      const big = createRequest({
        code: ECHO_CODE,
        opaque: 7,
        extFields: Object.assign(newExtFields(), { topic: 'big' }),
        body: Buffer.alloc(1024 * 1024, 0x5a),
      });
      const frames = [
        ...Array.from({ length: 300 }, (_, i) => encodeCommand(echoRequest(1000 + i, `t${i}`))),
        encodeCommand(big),
        ...Array.from({ length: 300 }, (_, i) => encodeCommand(echoRequest(2000 + i, `u${i}`))),
      ];
      c.send(Buffer.concat(frames));
      await waitFor('all responses', () => c.received.length === 601);
      const bodies = new Map(c.received.map((r) => [r.opaque, r.body?.toString('utf8')]));
      expect([bodies.get(1000), bodies.get(7), bodies.get(2299)]).toEqual(['t0', 'big', 'u299']);
      expect(ts.server.connectionInfos()[0]?.directReads).toBe(directReads);
    });
  }

  it('answers requests split at every byte boundary', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    const bytes = Buffer.concat([
      encodeCommand(echoRequest(1, 'a')),
      encodeCommand(echoRequest(2, 'b')),
    ]);
    for (let i = 0; i < bytes.length; i++) {
      c.socket.write(bytes.subarray(i, i + 1));
    }
    await waitFor('two responses', () => c.received.length === 2);
    expect(c.received.map((r) => r.opaque).sort()).toEqual([1, 2]);
  });

  it('names an IPv4 peer of a dual-stack listener by its IPv4 address (no ::ffff: prefix)', async (t) => {
    try {
      ts = await startTestServer({ host: '::' });
    } catch {
      console.warn(
        '[transport-requests] SKIPPED the dual-stack peer name: this host cannot listen on :: (IPv6 off)',
      );
      t.skip();
      return;
    }
    const c = await client(ts.port);
    await c.request(echoRequest(1, 'from IPv4'));
    expect(ts.dispatcher.seen[0]!.ctx.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(ts.server.connectionInfos()[0]!.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('processes a one-way request and never answers it', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    c.send(echoRequest(7, 'oneway', true));
    // Same connection, sent after: when its answer arrives, an answer to 7 would have come first.
    const res = await c.request(echoRequest(8, 'normal'));
    expect(res.opaque).toBe(8);
    expect(ts.dispatcher.onewayCount).toBe(1);
    expect(c.received.map((r) => r.opaque)).toEqual([8]);
  });

  it('never answers a one-way request, even when the dispatcher returns an answer or throws', async () => {
    ts = await startTestServer();
    const scripted = ts.dispatcher;
    const dispatch = scripted.dispatch.bind(scripted);
    // A dispatcher that forgets the one-way bit (answers it), and one that throws for it: the
    // transport itself must keep both off the wire.
    scripted.dispatch = (request, ctx) => {
      if (request.opaque === 7) return createResponse(request, { code: ResponseCode.SUCCESS });
      if (request.opaque === 8) throw new Error('dispatcher failed on a one-way request');
      return dispatch(request, ctx);
    };
    const c = await client(ts.port);
    c.send(echoRequest(7, 'answered', true));
    c.send(echoRequest(8, 'thrown', true));
    // Same connection, sent after: when its answer arrives, an answer to 7 or 8 would have come first.
    const res = await c.request(echoRequest(9, 'normal'));
    expect(res.opaque).toBe(9);
    expect(c.received.map((r) => r.opaque)).toEqual([9]);
  });

  it('drops a command with the response bit set and keeps the connection; warns once per connection', async () => {
    const log = capturingLogger();
    ts = await startTestServer({}, log.logger);
    const c = await client(ts.port);
    for (let i = 0; i < 5; i++) c.send({ ...echoRequest(9 + i * 100, 'x'), flag: 1 });
    const res = await c.request(echoRequest(10, 'after'));
    expect(res.opaque).toBe(10);
    expect(ts.dispatcher.seen.map((s) => s.opaque)).toEqual([10]);
    expect(c.received).toHaveLength(1);
    const dropped = log.lines.filter((l) =>
      String(l['msg']).startsWith('dropping a response command'),
    );
    expect(dropped).toHaveLength(5);
    // pino levels: 40 = warn, 20 = debug.
    expect(dropped.map((l) => l['level'])).toEqual([40, 20, 20, 20, 20]);
  });

  it('answers SYSTEM_ERROR when the dispatcher throws, and keeps serving', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    const res = await c.request(createRequest({ code: THROW_CODE, opaque: 3 }));
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBe('boom');
    expect((await c.request(echoRequest(4, 'ok'))).code).toBe(ResponseCode.SUCCESS);
  });

  it('hands the dispatcher a per-connection id and remote address', async () => {
    ts = await startTestServer();
    const a = await client(ts.port);
    const b = await client(ts.port);
    await a.request(echoRequest(1, 'a'));
    await b.request(echoRequest(1, 'b'));
    const [ca, cb] = ts.dispatcher.seen.map((s) => s.ctx);
    expect(ca?.connectionId).not.toBe(cb?.connectionId);
    expect(ca?.remoteAddress).toBe(`127.0.0.1:${a.socket.localPort}`);
    expect(ts.server.connectionCount).toBe(2);
    expect(ts.metrics.opened).toBe(2);
  });

  it('reports each closed connection once, whoever closed it', async () => {
    ts = await startTestServer();
    const a = await client(ts.port);
    const b = await client(ts.port);
    await a.request(echoRequest(1, 'a'));
    await b.request(echoRequest(1, 'b'));
    const idA = ts.dispatcher.seen[0]!.ctx.connectionId;
    const idB = ts.dispatcher.seen[1]!.ctx.connectionId;
    a.destroy();
    await waitFor('client close reported', () => ts!.closedIds.includes(idA));
    expect(ts.server.closeConnection(idB)).toBe(true);
    await b.closed;
    await waitFor('server close reported', () => ts!.closedIds.includes(idB));
    expect(ts.closedIds).toEqual([idA, idB]);
    expect(ts.server.closeConnection(idB)).toBe(false);
    expect(ts.server.connectionCount).toBe(0);
    expect(ts.metrics.closed).toBe(2);
  });

  it('fails listen() with a typed error when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    const server = new RemotingServer({
      dispatcher: new ScriptedDispatcher(),
      logger: createSilentLogger(),
      options: { host: '127.0.0.1', port },
    });
    try {
      const err: unknown = await server.listen().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('NS_LISTEN_FAILED');
      expect((err as TransportError).message).toContain('EADDRINUSE');
    } finally {
      await server.close();
      await new Promise((r) => blocker.close(r));
    }
  });

  it('rejects invalid options naming the option', () => {
    expect(
      () =>
        new RemotingServer({
          dispatcher: new ScriptedDispatcher(),
          logger: createSilentLogger(),
          options: { port: 70000 },
        }),
    ).toThrow(/port/);
  });
});
