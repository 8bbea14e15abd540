import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { takeOverReads } from './direct-reads.js';

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const srv of servers.splice(0)) {
    await new Promise((resolve) => srv.close(resolve));
  }
});

/** A listener (paused accepts unless told otherwise) and one client connected to it. */
async function pair(
  pauseOnConnect: boolean,
): Promise<{ server: Server; client: Socket; accepted: Socket }> {
  const server = createServer({ pauseOnConnect });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const acceptedP = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  sockets.push(client);
  const [accepted] = await acceptedP;
  sockets.push(accepted);
  return { server, client, accepted };
}

/** A sink that copies every read out of one reused buffer, scribbling over it after each read. */
function collector(): {
  sink: Parameters<typeof takeOverReads>[1];
  bytes: () => Buffer;
  length: () => number;
  reads: () => number;
} {
  const scratch = Buffer.alloc(64 * 1024);
  const parts: Buffer[] = [];
  let reads = 0;
  let length = 0;
  return {
    sink: {
      target: () => scratch,
      landed: (n, into) => {
        expect(into).toBe(scratch);
        parts.push(Buffer.from(scratch.subarray(0, n)));
        length += n;
        scratch.fill(0);
        reads++;
        return true;
      },
    },
    bytes: () => Buffer.concat(parts),
    length: () => length,
    reads: () => reads,
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const payload = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 12)) & 0xff;
  return b;
};

describe('takeOverReads', () => {
  it('delivers every byte, in order, into the buffer the sink names, with no buffer per read', async () => {
    const { client, accepted } = await pair(true);
    const data = payload(8 * 1024 * 1024);
    const scratch = Buffer.alloc(64 * 1024);
    let received = 0;
    let mismatches = 0;
    let reads = 0;
    const taken = takeOverReads(accepted, {
      target: () => scratch,
      landed: (n, into) => {
        // Checked in place, so that this sink allocates nothing either.
        if (into !== scratch || data.compare(scratch, 0, n, received, received + n) !== 0) {
          mismatches++;
        }
        received += n;
        reads++;
        return true;
      },
    })!;
    expect(taken).not.toBeNull();
    sockets.push(taken.socket);
    expect(taken.unread).toEqual([]);
    // Node's own reads add each read's bytes as external memory until a collection frees them
    // (8 MiB here); collections only lower it, so this bound cannot fail by their timing.
    const before = getHeapStatistics().external_memory;
    taken.socket.resume();
    client.end(data);
    await until(() => received >= data.length, 'all bytes');
    const grown = getHeapStatistics().external_memory - before;
    expect([received, mismatches]).toEqual([data.length, 0]);
    expect(reads).toBeGreaterThan(8);
    expect(grown).toBeLessThan(512 * 1024);
  });

  it('hands back what the old socket had read already, before any new read', async () => {
    // Not paused: the socket reads at once, like one handed over by another process.
    const { client, accepted } = await pair(false);
    const first = payload(1000);
    client.write(first);
    await until(() => accepted.readableLength >= first.length, 'the first bytes buffered');
    const c = collector();
    const taken = takeOverReads(accepted, c.sink)!;
    sockets.push(taken.socket);
    expect(Buffer.concat(taken.unread).equals(first)).toBe(true);
    const rest = payload(300_000).subarray(1000);
    taken.socket.resume();
    client.end(rest);
    await until(() => c.length() >= rest.length, 'the rest');
    expect(c.bytes().equals(rest)).toBe(true);
  });

  it('the new socket writes, ends and is counted by the server as the old one was', async () => {
    const { server, client, accepted } = await pair(true);
    const c = collector();
    const taken = takeOverReads(accepted, c.sink)!;
    const socket = taken.socket;
    sockets.push(socket);
    socket.resume();
    const answer = once(client, 'data') as Promise<[Buffer]>;
    socket.write('pong');
    expect(String((await answer)[0])).toBe('pong');
    const closed = new Promise((resolve) => server.close(resolve));
    client.end();
    await once(socket, 'end');
    socket.end();
    // net.Server.close() calls back only once its connections are gone: the count moved over.
    await closed;
    servers.length = 0;
  });

  it('leaves a socket it cannot take over untouched (TLS, destroyed)', async () => {
    const { accepted } = await pair(true);
    const c = collector();
    const tls = new TLSSocket(accepted, { isServer: true });
    sockets.push(tls);
    expect(takeOverReads(tls, c.sink)).toBeNull();
    const { accepted: other } = await pair(true);
    other.destroy();
    expect(takeOverReads(other, c.sink)).toBeNull();
  });
});
