/**
 * Test helper: a TCP peer that records every frame it receives (raw bytes, length prefix
 * included) and answers two-way requests with SUCCESS, as a NameServer would for a master.
 */
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import {
  createResponse,
  decodeFrame,
  encodeCommand,
  FrameDecoder,
  isOneway,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';

export interface CapturedFrame {
  /** The whole frame as sent, length prefix included. */
  readonly raw: Buffer;
  readonly command: RemotingCommand;
}

export interface CaptureServer {
  readonly addr: string;
  readonly frames: CapturedFrame[];
  close(): Promise<void>;
}

/** `replyDelayMs`: how long the answer to a request of that code waits (default none). */
export async function startCaptureServer(
  replyDelayMs: (code: number) => number = () => 0,
): Promise<CaptureServer> {
  const frames: CapturedFrame[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(frame.length, 0);
        const command = decodeFrame(frame);
        frames.push({ raw: Buffer.concat([prefix, frame]), command });
        if (isOneway(command)) continue;
        const extFields =
          command.code === RequestCode.QUERY_DATA_VERSION
            ? { changed: 'true' }
            : command.code === RequestCode.REGISTER_BROKER
              ? {}
              : null;
        const answer = encodeCommand(
          createResponse(command, { code: ResponseCode.SUCCESS, extFields }),
        );
        const delay = replyDelayMs(command.code);
        if (delay === 0) socket.write(answer);
        else setTimeout(() => socket.write(answer), delay);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    addr: `127.0.0.1:${address.port}`,
    frames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
