/**
 * A large response body leaves after its own header, not copied into a frame per answer: a body
 * shared by many answers (the cached topic list) stays one Buffer however many connections have
 * asked for it and not read the answer yet. The bytes on the wire are those of the whole frame.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  encodeCommand,
  ResponseCode,
  SerializeType,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { createSilentLogger } from '../src/logging.js';
import { RemotingServer } from '../src/transport/remoting-server.js';
import { SHARED_BODY_MIN_BYTES } from '../src/transport/connection.js';
import { RawClient, RecordingMetrics, waitFor } from './transport-helpers.js';

const SHARED_CODE = 206;

let server: RemotingServer | null = null;
const sockets: { destroy(): void }[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close(500);
  server = null;
});

/** A server answering SHARED_CODE with `body` (the same Buffer for every answer). */
async function serve(body: Buffer): Promise<{ port: number; answered: () => number }> {
  let answered = 0;
  server = new RemotingServer({
    dispatcher: {
      dispatch(request: RemotingCommand) {
        answered++;
        return createResponse(request, { code: ResponseCode.SUCCESS, body, remark: 'shared' });
      },
    },
    metrics: new RecordingMetrics(),
    logger: createSilentLogger(),
    options: { host: '127.0.0.1', port: 0 },
    onConnectionClosed: () => undefined,
  });
  const { port } = await server.listen();
  return { port, answered: () => answered };
}

describe('large response bodies', () => {
  it('arrive as the frame encodeCommand makes, in either serialize type, also pipelined', async () => {
    const body = Buffer.alloc(SHARED_BODY_MIN_BYTES + 1000, 0x62);
    const { port } = await serve(body);
    const client = await RawClient.connect(port);
    sockets.push(client);
    const requests = [
      createRequest({ code: SHARED_CODE, opaque: 1 }),
      createRequest({ code: SHARED_CODE, opaque: 1234567, serializeType: SerializeType.ROCKETMQ }),
      createRequest({ code: SHARED_CODE, opaque: -5 }),
    ];
    // One write: the three answers leave in one corked batch.
    client.send(Buffer.concat(requests.map((r) => encodeCommand(r))));
    await waitFor('three answers', () => client.received.length === 3);
    for (const request of requests) {
      const expected = encodeCommand(
        createResponse(request, { code: ResponseCode.SUCCESS, body, remark: 'shared' }),
      );
      expect(client.rawByOpaque.get(request.opaque)).toEqual(expected.subarray(4));
    }
    // And one at a time (no batch).
    const single = createRequest({ code: SHARED_CODE, opaque: 99 });
    expect(await client.requestRaw(single)).toEqual(
      encodeCommand(
        createResponse(single, { code: ResponseCode.SUCCESS, body, remark: 'shared' }),
      ).subarray(4),
    );
  });

  it('are not copied per answer: connections that ask and never read hold no copy of a shared body', async () => {
    const size = 16 * 1024 * 1024;
    const body = Buffer.alloc(size, 0x63);
    const { port, answered } = await serve(body);
    const connections = 8;
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < connections; i++) {
      const socket: Socket = connect({ host: '127.0.0.1', port });
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.pause(); // never reads
      socket.write(encodeCommand(createRequest({ code: SHARED_CODE, opaque: i + 1 })));
    }
    await waitFor('every connection answered', () => answered() === connections);
    // Each answer is far larger than the kernel's socket buffers take: a copy per answer would
    // stay in memory until written (8 × 16 MiB); the shared body is already counted in `before`.
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(2 * size);
  });
});
