/**
 * Socket-level fuzz against the real composition root: mutated captures of every request the
 * 4.9.7 NameServer was sent, plus random bytes, each round on a throw-away connection, while one
 * steady connection keeps reading a KV entry nobody else can touch and must always get it.
 *
 * What each fuzzed connection must see (the node must never hang a peer nor answer garbage):
 *  - every frame it receives is a well-formed response to a request it sent (its opaque);
 *  - every well-formed request it sent before the first malformed frame is answered (or, for
 *    one-way requests, not), unless the node closed the connection: no request is left hanging;
 *  - once it half-closes, the node closes the connection too, promptly;
 *  - a lone request that is refused (malformed, or answered with an error) leaves the node's state
 *    (routes, KV, configuration) exactly as it was.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRequest,
  decodeFrame,
  FrameDecoder,
  isOneway,
  isResponse,
  newExtFields,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { listFixtures, loadFixture } from '../../protocol/test/fixtures.js';
import { loadConfig } from '../src/config/index.js';
import { NameServer } from '../src/name-server.js';
import { RawClient, waitFor } from './transport-helpers.js';

const MAX_FRAME = 65_536;
/** How long a fuzzed connection may wait for its answers, or for the node to close it. */
const PEER_DEADLINE_MS = 10_000;

let dir = '';
let server: NameServer | null = null;
const clients: RawClient[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

/** What a fuzzed connection got back. */
interface FuzzPeer {
  socket: Socket;
  responses: RemotingCommand[];
  /** Bytes that did not cut or decode as a frame (must stay empty). */
  garbage: string[];
  closed: Promise<void>;
  isClosed: boolean;
}

function openFuzzPeer(port: number): Promise<FuzzPeer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const decoder = new FrameDecoder();
    let markClosed = (): void => undefined;
    const peer: FuzzPeer = {
      socket,
      responses: [],
      garbage: [],
      isClosed: false,
      closed: new Promise((r) => {
        markClosed = r;
      }),
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) peer.responses.push(decodeFrame(frame));
      } catch (err) {
        peer.garbage.push(`${String(err)}: ${chunk.subarray(0, 64).toString('hex')}`);
      }
    });
    socket.on('error', () => {
      // A reset after a malformed frame is a close like any other.
    });
    socket.once('close', () => {
      peer.isClosed = true;
      markClosed();
    });
    socket.once('connect', () => resolve(peer));
    socket.once('error', reject);
  });
}

/**
 * The requests the node will dispatch from `bytes`, cut and decoded the way the node does it: in
 * order, up to the first frame that does not cut or decode (where the node closes).
 */
function dispatchable(bytes: Buffer[]): { requests: RemotingCommand[] } {
  const decoder = new FrameDecoder({ maxFrameLength: MAX_FRAME });
  const requests: RemotingCommand[] = [];
  try {
    for (const b of bytes) {
      for (const frame of decoder.push(b)) {
        const cmd = decodeFrame(frame);
        if (!isResponse(cmd)) requests.push(cmd);
      }
    }
  } catch {
    // the node closes the connection here
  }
  return { requests };
}

/** Routes, KV and configuration as one comparable string. */
function stateOf(node: NameServer): string {
  const info = node.routeInfoManager.getAllClusterInfo();
  return JSON.stringify({
    brokers: [...info.brokerAddrTable].map(([n, bd]) => [n, bd.cluster, [...bd.brokerAddrs]]),
    clusters: [...info.clusterAddrTable],
    topics: node.routeInfoManager
      .getAllTopicList()
      .map((t) => [t, node.routeInfoManager.pickupTopicRouteData(t)?.queueDatas]),
    live: node.routeInfoManager.getBrokerLiveViews().map((b) => [b.brokerAddr, b.dataVersion]),
    kv: [...node.kvConfigManager.snapshot()].map(([ns, m]) => [ns, [...m]]),
    config: node.config,
  });
}

describe('NameServer under fuzzed input', () => {
  it('mutated real requests: well-formed answers or a clean close, never a hang, refused input changes nothing, and a steady connection is never disturbed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-fuzz-'));
    const config = loadConfig({
      argv: [
        '--bindAddress=127.0.0.1',
        '--listenPort=0',
        '--httpPort=-1',
        `--maxFrameLength=${MAX_FRAME}`,
        '--servingWorkers=1',
      ],
      env: {},
      readFile: (p) => readFileSync(p, 'utf8'),
      homeDir: dir,
    }).config;
    server = new NameServer({ config, defaultMetrics: false });
    const { port } = await server.start();

    const steady = await RawClient.connect(port);
    clients.push(steady);
    const ns = `fuzz-guard-${process.pid}-${Date.now()}`;
    const put = newExtFields();
    put.namespace = ns;
    put.key = 'k';
    put.value = 'expected';
    const putRes = await steady.request(
      createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 1, extFields: put }),
    );
    expect(putRes.code).toBe(ResponseCode.SUCCESS);

    const seeds = listFixtures().map((name) => loadFixture(name).request);
    let seed = 0x9e3779b9;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const mutate = (): Buffer => {
      const base = seeds[rand(seeds.length)]!;
      const b = Buffer.from(base);
      switch (rand(5)) {
        case 0:
          return Buffer.from(Array.from({ length: 1 + rand(48) }, () => rand(256)));
        case 1:
          for (let k = 0; k < 1 + rand(8); k++) b[rand(b.length)] = rand(256);
          return b;
        case 2:
          return b.subarray(0, rand(b.length)); // truncated
        case 3: {
          // Flip bytes in the header only: keeps the framing, breaks JSON / binary fields.
          if (b.length < 9) return b;
          const headerEnd = Math.min(b.length, 8 + (b.readUInt32BE(4) & 0xffffff));
          for (let k = 0; k < 1 + rand(3); k++) b[8 + rand(Math.max(1, headerEnd - 8))] = rand(256);
          return b;
        }
        default:
          return b; // unmodified: real requests interleaved with garbage
      }
    };

    let opaque = 100;
    let refusedAlone = 0;
    let answered = 0;
    let closedByNode = 0;
    for (let round = 0; round < 300; round++) {
      const peer = await openFuzzPeer(port);
      const sent = Array.from({ length: rand(10) < 7 ? 1 : 2 + rand(3) }, mutate);
      // Writes of earlier rounds may still be going (a PUT_KV_CONFIG dispatched before the node
      // closed that round's connection for the garbage after it landed 4 rounds later, in CI).
      await server.writesSettled();
      const before = stateOf(server);
      for (const b of sent) peer.socket.write(b);
      const { requests } = dispatchable(sent);
      const expected = requests.filter((r) => !isOneway(r));
      await waitFor(
        `round ${round}: ${expected.length} answers or a close`,
        () => peer.isClosed || peer.responses.length >= expected.length,
        PEER_DEADLINE_MS,
      );
      if (peer.isClosed) closedByNode++;
      answered += peer.responses.length;
      // Only well-formed responses, each to a request of this connection.
      expect(peer.garbage).toEqual([]);
      const sentOpaques = new Set(requests.map((r) => r.opaque));
      for (const res of peer.responses) {
        expect(isResponse(res)).toBe(true);
        expect(sentOpaques.has(res.opaque)).toBe(true);
      }
      // A lone request the node refused (it did not cut or decode, or was answered with an
      // error) changes nothing.
      if (sent.length === 1) {
        const only = requests[0];
        const refused =
          requests.length === 0 ||
          (requests.length === 1 &&
            !isOneway(only!) &&
            peer.responses.length === 1 &&
            peer.responses[0]!.code !== ResponseCode.SUCCESS);
        if (refused) {
          refusedAlone++;
          expect(stateOf(server), `round ${round}`).toBe(before);
        }
      }
      // Half-close: the node must close its side promptly.
      peer.socket.end();
      await Promise.race([
        peer.closed,
        new Promise((_, reject) =>
          setTimeout(() => {
            reject(new Error(`round ${round}: the node did not close after our FIN`));
          }, PEER_DEADLINE_MS),
        ),
      ]);

      // The node's side is gone too, and with it whatever brokers this connection registered,
      // before the next round takes its snapshot: the removal is a write the close queues at the
      // registry owner, applied after the connection count drops (a loaded run once saw the
      // next round's snapshot taken in between).
      await waitFor(`round ${round}: connection released`, () => server!.connectionCount === 1);
      await server.writesSettled();

      const get = newExtFields();
      get.namespace = ns;
      get.key = 'k';
      const res = await steady.request(
        createRequest({ code: RequestCode.GET_KV_CONFIG, opaque: opaque++, extFields: get }),
      );
      expect(res.code).toBe(ResponseCode.SUCCESS);
      expect(res.extFields?.value).toBe('expected');
    }
    // The fuzz reached all the cases it claims to check.
    expect(refusedAlone).toBeGreaterThan(50);
    expect(answered).toBeGreaterThan(50);
    expect(closedByNode).toBeGreaterThan(20);
    expect(steady.isClosed).toBe(false);
    await waitFor('fuzz connections closed', () => server!.connectionCount === 1);
  }, 60_000);
});
