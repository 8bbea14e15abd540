import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createRequest, decodeFrame, FrameDecoder, newExtFields } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { OnewaySender } from '../src/transport/oneway-sender.js';
import { capturingLogger, waitFor } from './transport-helpers.js';

/** A TCP listener standing in for a broker: records connections and decoded frames. */
interface FakeBroker {
  server: Server;
  address: string;
  connections: number;
  closedConnections: number;
  received: RemotingCommand[];
  sockets: Socket[];
}

const brokers: FakeBroker[] = [];
const senders: OnewaySender[] = [];

afterEach(async () => {
  for (const s of senders.splice(0)) await s.close();
  for (const b of brokers.splice(0)) {
    // A paused socket never sees the sender's FIN; the listener would wait for it forever.
    b.sockets.forEach((s) => s.destroy());
    await new Promise((r) => b.server.close(r));
  }
});

/** `reading: false`: a port that accepts and never reads (its sockets stay paused). */
async function fakeBroker({ reading = true } = {}): Promise<FakeBroker> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    broker.connections++;
    socket.on('error', () => undefined);
    if (!reading) {
      socket.pause();
      return;
    }
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) broker.received.push(decodeFrame(frame));
    });
    socket.on('close', () => broker.closedConnections++);
  });
  const broker: FakeBroker = {
    server,
    address: '',
    connections: 0,
    closedConnections: 0,
    received: [],
    sockets,
  };
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  broker.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  brokers.push(broker);
  return broker;
}

function sender(options: Partial<ConstructorParameters<typeof OnewaySender>[0]> = {}) {
  const log = capturingLogger();
  const s = new OnewaySender({ logger: log.logger, ...options });
  senders.push(s);
  return { s, lines: log.lines };
}

function notify(opaque: number, body?: Buffer): RemotingCommand {
  const extFields = newExtFields();
  extFields.minBrokerId = '0';
  return createRequest({ code: 905, opaque, extFields, oneway: true, ...(body ? { body } : {}) });
}

describe('OnewaySender', () => {
  it('connects to the address, sends frames in order, and reuses the connection', async () => {
    const broker = await fakeBroker();
    const { s } = sender();
    s.send(broker.address, notify(1)); // queued while connecting
    s.send(broker.address, notify(2));
    await waitFor('two frames', () => broker.received.length === 2);
    s.send(broker.address, notify(3));
    await waitFor('the third frame', () => broker.received.length === 3);
    expect(broker.received.map((c) => [c.code, c.opaque, c.flag])).toEqual([
      [905, 1, 2],
      [905, 2, 2],
      [905, 3, 2],
    ]);
    expect(broker.connections).toBe(1);
    expect(s.connectedAddresses).toEqual([broker.address]);
  });

  it('drops what it cannot deliver with a warning, and never throws', async () => {
    const gone = await fakeBroker();
    const address = gone.address;
    await new Promise((r) => gone.server.close(r));
    brokers.splice(brokers.indexOf(gone), 1);
    const { s, lines } = sender();
    expect(() => s.send(address, notify(1))).not.toThrow();
    expect(() => s.send('no-port', notify(2))).not.toThrow();
    await waitFor('a failed-connection warning', () =>
      lines.some((l) => l.msg === 'one-way connection to broker failed'),
    );
    expect(lines.some((l) => l.msg === 'one-way request dropped: not a host:port address')).toBe(
      true,
    );
    await waitFor('the failed peer to be forgotten', () => s.connectedAddresses.length === 0);
    // A later send to a live broker still goes through.
    const live = await fakeBroker();
    s.send(live.address, notify(3));
    await waitFor('the frame at the live broker', () => live.received.length === 1);
  });

  it('closes an idle connection, and opens a new one for the next send', async () => {
    const broker = await fakeBroker();
    const { s } = sender({ idleTimeoutMillis: 50 });
    s.send(broker.address, notify(1));
    await waitFor('the idle connection closed', () => broker.closedConnections === 1);
    await waitFor('the peer forgotten', () => s.connectedAddresses.length === 0);
    s.send(broker.address, notify(2));
    await waitFor('the second frame', () => broker.received.length === 2);
    expect(broker.connections).toBe(2);
  });

  it('an idle timer that fires while the connection is still opening loses no frame', async () => {
    const broker = await fakeBroker();
    const { s } = sender({ idleTimeoutMillis: 1 });
    s.send(broker.address, notify(1));
    // Hold the loop past the idle timeout: its timer fires in the next turn's timers phase,
    // before the poll phase sees the connect complete (a stalled loop on a loaded machine).
    const until = performance.now() + 20;
    while (performance.now() < until);
    await waitFor('the frame at the broker', () => broker.received.length === 1);
    await waitFor('the idle connection closed after it', () => broker.closedConnections === 1);
  });

  it('drops frames while a broker that never reads holds the cap of unsent bytes', async () => {
    const stuck = await fakeBroker({ reading: false });
    const live = await fakeBroker();
    const cap = 1 << 20;
    const { s, lines } = sender({ maxBufferedBytes: cap });
    const body = Buffer.alloc(256 << 10, 0x61);
    const dropped = () =>
      lines.some((l) => l.msg === 'one-way request dropped: the broker is not reading');
    s.send(stuck.address, notify(0));
    await waitFor('the connection to the stuck broker', () => stuck.connections === 1);
    // The kernel buffers of a loopback connection take a few MiB before anything stays in the
    // socket; 128 MiB is far more than they hold. Without a cap, all of it would stay queued.
    let maxBuffered = 0;
    for (let i = 1; i <= 512 && !dropped(); i++) {
      s.send(stuck.address, notify(i, body));
      maxBuffered = Math.max(maxBuffered, s.bufferedBytes(stuck.address));
      // Let the socket hand what it can to the kernel before the next frame.
      await new Promise((r) => setImmediate(r));
    }
    expect(dropped()).toBe(true);
    for (let i = 0; i < 16; i++) {
      s.send(stuck.address, notify(1000 + i, body));
      maxBuffered = Math.max(maxBuffered, s.bufferedBytes(stuck.address));
    }
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(cap);
    const warning = lines.find(
      (l) => l.msg === 'one-way request dropped: the broker is not reading',
    );
    expect(warning).toMatchObject({ address: stuck.address });
    // Another broker that reads is not affected.
    s.send(live.address, notify(1, body));
    s.send(live.address, notify(2));
    await waitFor('both frames at the reading broker', () => live.received.length === 2);
    expect(live.received.map((c) => c.opaque)).toEqual([1, 2]);
    // Hang up on the sender (so close() need not wait out the stuck socket); it forgets the peer.
    stuck.sockets.forEach((socket) => socket.destroy());
    await waitFor('the stuck peer forgotten', () => !s.connectedAddresses.includes(stuck.address));
  });

  it('close() ends every connection; later sends are ignored', async () => {
    const broker = await fakeBroker();
    const { s } = sender();
    s.send(broker.address, notify(1));
    await waitFor('the frame', () => broker.received.length === 1);
    await s.close();
    await waitFor('the connection closed', () => broker.closedConnections === 1);
    s.send(broker.address, notify(2));
    expect(s.connectedAddresses).toEqual([]);
    expect(broker.connections).toBe(1);
  });
});
