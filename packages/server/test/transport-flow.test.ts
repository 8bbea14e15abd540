import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { ResponseCode, encodeCommand } from '@ns/protocol';
import {
  RawClient,
  bigRequest,
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

async function client(port: number, allowHalfOpen = false): Promise<RawClient> {
  const c = await RawClient.connect(port, { allowHalfOpen });
  clients.push(c);
  return c;
}

describe('RemotingServer flow control and lifecycle', () => {
  it('closes a connection with no traffic after the idle time and reports it', async () => {
    // `busy` sends every 20 ms; the idle time is long enough that a stall of this process on a
    // loaded machine (100+ ms seen; two test files share 2 cores in CI) cannot make `busy` look
    // idle too.
    const idleMs = 1_500;
    ts = await startTestServer({ idleTimeoutMillis: idleMs });
    // Taken before `idle` connects: the server's idle timer cannot start earlier, so the close
    // comes at least idleMs after this however long the two connects take.
    const started = Date.now();
    const idle = await client(ts.port);
    const busy = await client(ts.port);
    // Keep `busy` active past the idle time of `idle`.
    let opaque = 1;
    while (!idle.isClosed) {
      await busy.request(echoRequest(opaque++, 'keepalive'));
      if (Date.now() - started > 10_000) throw new Error('idle connection was never closed');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(idleMs - 10);
    expect(busy.isClosed).toBe(false);
    expect(ts.metrics.dropped).toEqual(['idle']);
    await waitFor('close reported', () => ts!.closedIds.length === 1);
  });

  for (const carried of [false, true]) {
    it(`gives each partial frame its own partialFrameTimeoutMillis: one begun ${carried ? 'in the read that completed another' : 'after another completed'} is not cut at the earlier deadline`, async () => {
      const deadline = 1_000;
      ts = await startTestServer({ partialFrameTimeoutMillis: deadline });
      const c = await client(ts.port);
      const closedAt = c.closed.then(() => Date.now());
      const first = encodeCommand(echoRequest(1, 'first'));
      const second = encodeCommand(echoRequest(2, 'second')).subarray(0, 10);
      // The first frame in two reads, completed halfway to its deadline; the next frame is begun
      // in that second read, or in a read of its own once the first is answered, and never
      // finished: its own deadline closes the connection.
      c.socket.write(first.subarray(0, 10));
      await waitFor(
        'the first part held',
        () => ts!.server.connectionInfos()[0]?.partialFrameBytes === 10,
      );
      await new Promise((r) => setTimeout(r, deadline / 2));
      const secondStarted = Date.now();
      if (carried) {
        c.socket.write(Buffer.concat([first.subarray(10), second]));
        await waitFor('the first frame answered', () => c.received.length === 1);
      } else {
        c.socket.write(first.subarray(10));
        await waitFor('the first frame answered', () => c.received.length === 1);
        c.socket.write(second);
      }
      expect((await closedAt) - secondStarted).toBeGreaterThanOrEqual(deadline - 50);
    });
  }

  it('gives back the partial-frame budget a connection held when it closes', async () => {
    ts = await startTestServer({ maxFrameLength: 1 << 20, partialFrameBudgetBytes: 8 << 20 });
    const budget = ts.server.pool.frameBudget;
    const c = await client(ts.port);
    const frame = encodeCommand(echoRequest(1, 'x'.repeat(100_000)));
    c.socket.write(frame.subarray(0, 50_000));
    await waitFor('the partial frame charged', () => budget.totalBytes >= 50_000);
    expect(budget.holderCount).toBe(1);
    c.destroy();
    await waitFor('close reported', () => ts!.closedIds.length === 1);
    await waitFor('the charge given back', () => budget.totalBytes === 0);
    expect(budget.holderCount).toBe(0);
  });

  it('stops reading from a client that never reads; buffered bytes stay bounded; nothing is lost', async () => {
    const hwm = 64 * 1024;
    const responseSize = 8 * 1024;
    ts = await startTestServer({ writeHighWaterMark: hwm, writeHardLimit: 4 * 1024 * 1024 });
    const c = await client(ts.port);
    c.socket.pause(); // never read until we say so
    const n = 4000; // ~32 MiB of responses: far more than the kernel buffers on loopback
    const batch: Buffer[] = [];
    for (let i = 0; i < n; i++) batch.push(encodeCommand(bigRequest(i, responseSize)));
    c.socket.write(Buffer.concat(batch));

    await waitFor(
      'server paused reading',
      () => ts!.server.connectionInfos()[0]?.isPaused === true,
    );
    const info = ts.server.connectionInfos()[0]!;
    // The server has not dispatched everything: the rest waits in the client's / kernel buffers.
    expect(info.requests).toBeLessThan(n);
    // Bound: the high-water mark plus the responses to the frames of one read chunk at most.
    const chunkFrames = Math.ceil((64 * 1024) / encodeCommand(bigRequest(0, responseSize)).length);
    const frameBytes = encodeCommand(bigRequest(0, 0)).length + responseSize + 64;
    expect(info.peakWritableLength).toBeLessThanOrEqual(hwm + frameBytes * (chunkFrames + 1));
    expect(ts.metrics.dropped).toEqual([]);

    c.socket.resume();
    await waitFor('every response', () => c.received.length === n, 20_000);
    const opaques = new Set(c.received.map((r) => r.opaque));
    expect(opaques.size).toBe(n);
    expect(c.received.every((r) => r.body?.length === responseSize)).toBe(true);
    expect(ts.server.connectionInfos()[0]?.peakWritableLength).toBeLessThanOrEqual(
      hwm + frameBytes * (chunkFrames + 1),
    );
  });

  it("a writeHighWaterMark below the socket's own mark still answers pipelined requests", async () => {
    // Paused at 1,000 bytes, a connection would wait for a 'drain' that the stream (16 KiB mark)
    // never emits: the pause point is never below the stream's own mark.
    ts = await startTestServer({ writeHighWaterMark: 1000, writeHardLimit: 1 << 20 });
    const c = await client(ts.port);
    const n = 40;
    const batch: Buffer[] = [];
    for (let i = 0; i < n; i++) batch.push(encodeCommand(echoRequest(i, 'x'.repeat(100))));
    c.socket.write(Buffer.concat(batch));
    await waitFor('every answer', () => c.received.length === n);
    expect(ts.metrics.dropped).toEqual([]);
  });

  it('destroys a connection whose write buffer passes the hard limit', async () => {
    ts = await startTestServer({ writeHighWaterMark: 16 * 1024, writeHardLimit: 32 * 1024 });
    const c = await client(ts.port);
    c.socket.pause();
    // Larger than loopback socket buffers can absorb, so most of it stays queued in the process.
    c.send(bigRequest(1, 32 * 1024 * 1024));
    await waitFor('overflow', () => ts!.metrics.dropped.length > 0);
    expect(ts.metrics.dropped).toEqual(['write-overflow']);
    await waitFor('connection gone', () => ts!.server.connectionCount === 0);
  });

  it('close() answers what was received, ends connections and refuses new ones', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    const pending = c.request(echoRequest(1, 'last'));
    await waitFor('request dispatched', () => ts!.dispatcher.seen.length === 1);
    await ts.server.close(2000);
    expect((await pending).body?.toString()).toBe('last');
    await c.closed;
    expect(ts.server.connectionCount).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: ts!.port });
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        resolve(err.code ?? 'error');
      });
    });
    expect(refused).toBe('ECONNREFUSED');
    // Idempotent.
    await ts.server.close();
  });

  it('close() does not wait out the grace period for a peer that sent a request after our FIN', async () => {
    ts = await startTestServer();
    const c = await client(ts.port);
    expect((await c.request(echoRequest(1, 'x'))).code).toBe(ResponseCode.SUCCESS);
    const started = Date.now();
    const closing = ts.server.close(5000);
    // Leaves after the server ended the connection: never answered, and must not hold the close.
    c.send(echoRequest(2, 'late'));
    await closing;
    expect(Date.now() - started).toBeLessThan(2500);
    await c.closed;
    expect(c.received.map((r) => r.opaque)).toEqual([1]);
  });

  it('close() destroys a peer that never finishes closing after the grace period', async () => {
    ts = await startTestServer();
    const stubborn = await client(ts.port, true); // half-open: it will not answer our FIN
    expect((await stubborn.request(echoRequest(1, 'x'))).code).toBe(ResponseCode.SUCCESS);
    const started = Date.now();
    await ts.server.close(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(ts.server.connectionCount).toBe(0);
    expect(ts.closedIds).toHaveLength(1);
  });
});
