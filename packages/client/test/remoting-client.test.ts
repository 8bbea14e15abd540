import { createServer, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRequest,
  encodeCommand,
  isResponse,
  RemotingFlag,
  SerializeType,
} from '@ns/protocol';
import {
  ProtocolViolationError,
  RemotingClosedError,
  RemotingConnectError,
  RemotingTimeoutError,
} from '../src/errors.js';
import { createMemoryLogger } from '../src/logger.js';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import type { ScriptedServer } from './helpers/scripted-server.js';
import { startScriptedServer, waitFor } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function server(handler: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedServer> {
  const s = await startScriptedServer(handler);
  cleanups.push(() => s.close());
  return s;
}

function client(options: ConstructorParameters<typeof RemotingClient>[0] = {}): RemotingClient {
  const c = new RemotingClient(options);
  cleanups.push(() => c.close());
  return c;
}

describe('RemotingClient', () => {
  it('sends a request stamped with version 407 and JAVA and returns the matching response', async () => {
    const s = await server((req, ctx) => {
      ctx.reply(req, { code: 0, extFields: { value: `got-${req.extFields?.key ?? ''}` } });
    });
    const c = client();
    const res = await c.invoke(s.addr, { code: 101, extFields: { namespace: 'ns', key: 'k' } });
    expect(res.code).toBe(0);
    expect(res.extFields?.value).toBe('got-k');
    const req = s.requests[0]!;
    expect(req.version).toBe(407);
    expect(req.language).toBe('JAVA');
    expect(req.flag).toBe(0);
    expect(req.serializeType).toBe(SerializeType.JSON);
    expect(req.extFields).toEqual({ namespace: 'ns', key: 'k' });
  });

  it('stringifies numeric and boolean ext fields and skips null ones', async () => {
    const s = await server((req, ctx) => {
      ctx.reply(req);
    });
    const c = client({ version: 479 });
    await c.invoke(s.addr, {
      code: 103,
      extFields: { brokerId: 0, compressed: false, haServerAddr: null, x: undefined },
    });
    expect(s.requests[0]!.extFields).toEqual({ brokerId: '0', compressed: 'false' });
    expect(s.requests[0]!.version).toBe(479);
  });

  it('decodes responses in both serialize types, and sends ROCKETMQ when configured', async () => {
    const s = await server((req, ctx) => {
      // Answer ROCKETMQ-encoded regardless of the request (a 5.x server configured that way).
      const res = {
        ...createRequest({ code: 0, opaque: req.opaque, serializeType: SerializeType.ROCKETMQ }),
        flag: RemotingFlag.RESPONSE,
        remark: 'binary',
        body: Buffer.from('{"a":1}'),
      };
      ctx.socket.write(encodeCommand(res));
    });
    const json = client();
    const r1 = await json.invoke(s.addr, { code: 106 });
    expect(r1.serializeType).toBe(SerializeType.ROCKETMQ);
    expect(r1.remark).toBe('binary');
    expect(r1.body?.toString()).toBe('{"a":1}');

    const bin = client({ serializeType: SerializeType.ROCKETMQ });
    const r2 = await bin.invoke(s.addr, { code: 106, extFields: { k: 'v' } });
    expect(r2.remark).toBe('binary');
    expect(s.requests[1]!.serializeType).toBe(SerializeType.ROCKETMQ);
    expect(s.requests[1]!.extFields).toEqual({ k: 'v' });
  });

  it('times out a slow reply, drops the late response and keeps the connection usable', async () => {
    const records = createMemoryLogger();
    let seen = 0;
    const s = await server((req, ctx) => {
      seen += 1;
      if (seen === 2) {
        // Answer only after the caller has given up.
        setTimeout(() => {
          ctx.reply(req, { remark: 'late' });
        }, 150);
      } else {
        ctx.reply(req, { remark: 'fast' });
      }
    });
    const c = client({ logger: records });
    // Connect first: the 50 ms budget below covers the connect too, and a slow connect on a loaded
    // machine would time out before the request is even sent.
    expect((await c.invoke(s.addr, { code: 105 })).remark).toBe('fast');
    const err = await c.invoke(s.addr, { code: 105 }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingTimeoutError);
    expect((err as RemotingTimeoutError).retriable).toBe(true);
    await waitFor(
      () => records.records.some((r) => r.msg === 'response with unknown opaque dropped'),
      2_000,
      'late response to be dropped',
    );
    const res = await c.invoke(s.addr, { code: 105 });
    expect(res.remark).toBe('fast');
    expect(s.sockets).toHaveLength(1);
  });

  it('drops a response whose opaque is unknown and still matches the real one', async () => {
    const s = await server((req, ctx) => {
      ctx.reply({ ...req, opaque: req.opaque + 1000 }, { remark: 'stray' });
      ctx.reply(req, { remark: 'mine' });
    });
    const c = client();
    const res = await c.invoke(s.addr, { code: 106 });
    expect(res.remark).toBe('mine');
  });

  it('times out when the server sends half a frame and then goes silent', async () => {
    const s = await server((req, ctx) => {
      const frame = encodeCommand({
        ...createRequest({ code: 0, opaque: req.opaque }),
        flag: RemotingFlag.RESPONSE,
      });
      ctx.socket.write(frame.subarray(0, Math.floor(frame.length / 2)));
    });
    const c = client();
    // The budget covers the connect too: a shorter one could end in the connect on a loaded
    // machine (a RemotingConnectError, not the timeout this test is about).
    await expect(c.invoke(s.addr, { code: 106 }, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(
      RemotingTimeoutError,
    );
  });

  it('fails every pending call at once with RemotingClosedError when the connection resets', async () => {
    let seen = 0;
    const s = await server((_req, ctx) => {
      seen += 1;
      if (seen === 3) ctx.socket.resetAndDestroy();
    });
    const c = client({ requestTimeoutMs: 10_000 });
    const started = Date.now();
    const results = await Promise.allSettled([
      c.invoke(s.addr, { code: 105 }),
      c.invoke(s.addr, { code: 105 }),
      c.invoke(s.addr, { code: 105 }),
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as RemotingClosedError;
      expect(reason).toBeInstanceOf(RemotingClosedError);
      expect(reason.retriable).toBe(true);
    }
  });

  // A TLS-only node closes a plain connection without a word; an operator saw only "closed with
  // 1 request(s) pending" and had to guess.
  it('says a silent close may be a TLS-only node, but not once the node has answered', async () => {
    let seen = 0;
    const s = await server((req, ctx) => {
      seen += 1;
      if (seen === 1 || seen === 3) ctx.socket.destroy();
      else ctx.reply(req, { code: 0 });
    });
    const c = client({ requestTimeoutMs: 10_000 });
    const causes: (Error | undefined)[] = [];
    c.on('disconnect', (_addr, cause) => causes.push(cause));
    const first = await c.invoke(s.addr, { code: 105 }).catch((err: unknown) => err);
    expect(first).toBeInstanceOf(RemotingClosedError);
    expect((first as Error).message).toContain('tlsServerMode=enforcing');
    expect(causes[0]?.message).toContain('tlsServerMode=enforcing');
    expect((await c.invoke(s.addr, { code: 105 })).code).toBe(0);
    const third = await c.invoke(s.addr, { code: 105 }).catch((err: unknown) => err);
    expect(third).toBeInstanceOf(RemotingClosedError);
    expect((third as Error).message).not.toContain('TLS');
  });

  it('gives no such hint when the client closed the connection itself', async () => {
    const s = await server(() => undefined); // never answers
    const c = client({ requestTimeoutMs: 10_000, maxConsecutiveTimeouts: 1 });
    const quick = c.invoke(s.addr, { code: 105 }, { timeoutMs: 100 }).catch((e: unknown) => e);
    const slow = c.invoke(s.addr, { code: 105 }).catch((e: unknown) => e);
    expect(await quick).toBeInstanceOf(RemotingTimeoutError);
    const closed = await slow;
    expect(closed).toBeInstanceOf(RemotingClosedError);
    expect((closed as Error).message).toContain('consecutive timeouts');
    expect((closed as Error).message).not.toContain('TLS');
  });

  it('says a TLS handshake cut off by the peer may be a node without TLS', async () => {
    const plain = createServer((socket) => {
      socket.once('data', () => socket.destroy());
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    const addr = `127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const c = client({ requestTimeoutMs: 10_000, tls: true });
    const err = await c.invoke(addr, { code: 105 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingConnectError);
    expect((err as Error).message).toContain('does not speak TLS');
  });

  it('reconnects transparently after the server closed an idle connection', async () => {
    const s = await server((req, ctx) => {
      ctx.reply(req, { remark: `conn${ctx.connIndex}` });
    });
    const c = client();
    expect((await c.invoke(s.addr, { code: 106 })).remark).toBe('conn0');
    s.sockets[0]!.end();
    await waitFor(() => !c.isConnected(s.addr), 2_000, 'client to notice the close');
    expect((await c.invoke(s.addr, { code: 106 })).remark).toBe('conn1');
  });

  it('times out against a server that accepts but never answers', async () => {
    const s = await server(() => undefined);
    const c = client({ maxConsecutiveTimeouts: 0 });
    // Room for the connect, which the budget covers (see above).
    const err = await c
      .invoke(s.addr, { code: 106 }, { timeoutMs: 1_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingTimeoutError);
    expect((err as RemotingTimeoutError).addr).toBe(s.addr);
    expect(c.isConnected(s.addr)).toBe(true);
  });

  it('fails with RemotingConnectError when a connect never completes', async () => {
    const sockets: Socket[] = [];
    const c = client({
      connectTimeoutMs: 80,
      socketFactory: () => {
        // Never asked to connect: it stays in limbo like a SYN to a black-holed host.
        const s = new Socket();
        sockets.push(s);
        return s;
      },
    });
    const started = Date.now();
    const err = await c.invoke('10.255.255.1:9876', { code: 106 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingConnectError);
    expect((err as RemotingConnectError).retriable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sockets[0]!.destroyed).toBe(true);
  });

  it("ends a call whose connect outlasts the call's timeout, leaving the connect to go on", async () => {
    const c = client({
      connectTimeoutMs: 20_000,
      // Never asked to connect: it stays in limbo like a SYN to a black-holed host.
      socketFactory: () => new Socket(),
    });
    const started = Date.now();
    const err = await c
      .invoke('10.255.255.1:9876', { code: 106 }, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    // Without the call's budget the wait would be the 20 s connect timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(RemotingConnectError);
    expect((err as RemotingConnectError).message).toMatch(/did not complete within 100 ms/);
    // Still being opened, for any other call that wants it.
    expect(c.hasConnection('10.255.255.1:9876')).toBe(true);
    await c.close();
    expect(c.hasConnection('10.255.255.1:9876')).toBe(false);
  });

  it('fails with RemotingConnectError when the connection is refused or the factory throws', async () => {
    const s = await server(() => undefined);
    const port = s.port;
    await s.close();
    const c = client();
    await expect(c.invoke(`127.0.0.1:${port}`, { code: 106 })).rejects.toBeInstanceOf(
      RemotingConnectError,
    );
    const throwing = client({
      socketFactory: () => {
        throw new Error('no sockets today');
      },
    });
    await expect(throwing.invoke('127.0.0.1:1', { code: 106 })).rejects.toBeInstanceOf(
      RemotingConnectError,
    );
  });

  it('closes a connection after N consecutive timeouts (half-open) and opens a new one', async () => {
    const s = await server((req, ctx) => {
      if (ctx.connIndex > 0) ctx.reply(req, { remark: 'fresh' });
    });
    const c = client({ maxConsecutiveTimeouts: 3 });
    const disconnects: string[] = [];
    c.on('disconnect', (addr) => disconnects.push(addr));
    // Open the connection first (a oneway needs no answer): a connect that used up the 40 ms
    // budget would time out in invoke() before any request waits on the connection, and such a
    // timeout is not one of the connection's consecutive timeouts.
    await c.invokeOneway(s.addr, { code: 106 });
    for (let i = 0; i < 2; i++) {
      await expect(c.invoke(s.addr, { code: 106 }, { timeoutMs: 40 })).rejects.toBeInstanceOf(
        RemotingTimeoutError,
      );
      expect(c.isConnected(s.addr)).toBe(true);
    }
    await expect(c.invoke(s.addr, { code: 106 }, { timeoutMs: 40 })).rejects.toBeInstanceOf(
      RemotingTimeoutError,
    );
    expect(c.isConnected(s.addr)).toBe(false);
    expect(disconnects).toEqual([s.addr]);
    expect((await c.invoke(s.addr, { code: 106 })).remark).toBe('fresh');
    expect(s.sockets).toHaveLength(2);
  });

  it('matches many concurrent calls on one connection by opaque, answered in reverse order', async () => {
    const held: { req: Parameters<Parameters<typeof startScriptedServer>[0]>[0] }[] = [];
    const n = 200;
    const s = await server((req, ctx) => {
      held.push({ req });
      if (held.length === n) {
        for (const h of held.reverse()) {
          ctx.reply(h.req, { remark: h.req.extFields?.i ?? 'missing' });
        }
      }
    });
    const c = client();
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => c.invoke(s.addr, { code: 106, extFields: { i } })),
    );
    results.forEach((r, i) => {
      expect(r.remark).toBe(String(i));
    });
    expect(s.sockets).toHaveLength(1);
    expect(new Set(s.requests.map((r) => r.opaque)).size).toBe(n);
  });

  it('sends one-way requests with flag bit 1 and expects nothing back', async () => {
    const s = await server(() => undefined);
    const c = client();
    await c.invokeOneway(s.addr, { code: 904, extFields: { brokerName: 'b' } });
    await waitFor(() => s.requests.length === 1, 2_000, 'oneway request');
    expect(s.requests[0]!.flag & RemotingFlag.ONEWAY).toBe(RemotingFlag.ONEWAY);
  });

  it('closes the connection on an undecodable frame and fails pending calls', async () => {
    const s = await server((_req, ctx) => {
      const bad = Buffer.alloc(12);
      bad.writeInt32BE(8, 0);
      bad.writeUInt32BE((7 << 24) | 4, 4); // serialize type 7 does not exist
      ctx.socket.write(bad);
    });
    const c = client();
    const err = await c.invoke(s.addr, { code: 106 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingClosedError);
    expect((err as RemotingClosedError).cause).toBeInstanceOf(ProtocolViolationError);
  });

  it('hands requests from the peer to the request event and sends the reply', async () => {
    const s = await server((req, ctx) => {
      if (isResponse(req)) return; // our client's reply to the 905 below
      // Server-initiated request on the same connection, then the answer to the client.
      ctx.socket.write(encodeCommand(createRequest({ code: 905, opaque: 77 })));
      ctx.reply(req);
    });
    const c = client();
    const seen: number[] = [];
    c.on('request', (_addr, request, reply) => {
      seen.push(request.code);
      reply({ ...request, flag: RemotingFlag.RESPONSE, code: 0 });
    });
    await c.invoke(s.addr, { code: 106 });
    await waitFor(() => s.requests.some((r) => r.opaque === 77), 2_000, 'reply to peer request');
    expect(seen).toEqual([905]);
  });

  it('closes its own idle connections and reopens on the next call', async () => {
    const s = await server((req, ctx) => {
      ctx.reply(req, { remark: `conn${ctx.connIndex}` });
    });
    const c = client({ idleTimeoutMs: 50 });
    const disconnects: (Error | undefined)[] = [];
    c.on('disconnect', (_addr, cause) => disconnects.push(cause));
    expect((await c.invoke(s.addr, { code: 106 })).remark).toBe('conn0');
    await waitFor(() => disconnects.length === 1, 2_000, 'idle close');
    expect(disconnects[0]).toBeUndefined();
    expect((await c.invoke(s.addr, { code: 106 })).remark).toBe('conn1');
  });

  it('closes an idle connection after a call outlived the idle timeout and timed out', async () => {
    // The server never answers: the idle timer fires while the call waits, then the call times out
    // and nothing more is sent.
    const s = await server(() => undefined);
    const c = client({ idleTimeoutMs: 50 });
    const disconnects: (Error | undefined)[] = [];
    c.on('disconnect', (_addr, cause) => disconnects.push(cause));
    await expect(c.invoke(s.addr, { code: 106 }, { timeoutMs: 200 })).rejects.toBeInstanceOf(
      RemotingTimeoutError,
    );
    await waitFor(() => disconnects.length === 1, 2_000, 'idle close after the timed-out call');
    expect(disconnects[0]).toBeUndefined();
  });

  it('rejects calls after close()', async () => {
    const c = new RemotingClient();
    await c.close();
    await expect(c.invoke('127.0.0.1:9876', { code: 106 })).rejects.toBeInstanceOf(
      RemotingClosedError,
    );
  });
});
