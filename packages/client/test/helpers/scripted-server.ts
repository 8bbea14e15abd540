/**
 * An in-process TCP server on 127.0.0.1:0 that plays a scripted exchange: each decoded request is
 * handed to `onRequest`, which may answer, stay silent, send garbage or drop the connection.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { RemotingCommand } from '@ns/protocol';
import { createResponse, decodeFrame, encodeCommand, FrameDecoder } from '@ns/protocol';

export interface ScriptContext {
  readonly socket: Socket;
  /** Index of this connection (0 = first accepted). */
  readonly connIndex: number;
  reply(request: RemotingCommand, init?: Partial<Parameters<typeof createResponse>[1]>): void;
}

export type ScriptHandler = (request: RemotingCommand, ctx: ScriptContext) => void;

export interface ScriptedServer {
  readonly addr: string;
  readonly port: number;
  readonly requests: RemotingCommand[];
  /** Each request frame as received, length prefix included. */
  readonly rawFrames: Buffer[];
  readonly sockets: Socket[];
  /** Replace the handler (for later phases of a test). */
  setHandler(handler: ScriptHandler): void;
  close(): Promise<void>;
}

export async function startScriptedServer(handler: ScriptHandler): Promise<ScriptedServer> {
  let current = handler;
  const requests: RemotingCommand[] = [];
  const rawFrames: Buffer[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    const connIndex = sockets.length;
    sockets.push(socket);
    const decoder = new FrameDecoder();
    socket.on('error', () => undefined);
    const ctx: ScriptContext = {
      socket,
      connIndex,
      reply(request, init = {}) {
        const response = createResponse(request, { code: 0, ...init });
        if (!socket.destroyed) socket.write(encodeCommand(response));
      },
    };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const cmd = decodeFrame(frame);
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(frame.length, 0);
        rawFrames.push(Buffer.concat([prefix, frame]));
        requests.push(cmd);
        current(cmd, ctx);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    addr: `127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    rawFrames,
    sockets,
    setHandler(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Polls `predicate` until it is true, failing after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
