/**
 * Test helper: a TCP peer that answers each request as a script says (an error code, no answer,
 * an answer and then a closed connection), recording when each request arrived. For nodes a real
 * NameServer cannot be made to imitate: a flapping proxy, a 4.9 node, a refusing node.
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

export interface ScriptedAnswer {
  readonly code: number;
  readonly remark?: string;
  /** Close the connection once the answer is written. */
  readonly thenClose?: boolean;
  readonly delayMs?: number;
}

/** 'silent': no answer at all. */
export type ScriptedReply = 'silent' | ScriptedAnswer;

/** A NameServer's SUCCESS, with the header fields an agent reads (QUERY_DATA_VERSION: unchanged). */
export const SUCCESS: ScriptedAnswer = { code: ResponseCode.SUCCESS };

export interface ScriptedNode {
  readonly addr: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** performance.now() of every request of `code` received, in order. */
  arrivals(code: number): number[];
  close(): Promise<void>;
}

export async function startScriptedNode(
  reply: (code: number) => ScriptedReply,
): Promise<ScriptedNode> {
  const arrivals = new Map<number, number[]>();
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const command = decodeFrame(frame);
        const list = arrivals.get(command.code) ?? [];
        list.push(performance.now());
        arrivals.set(command.code, list);
        const r = reply(command.code);
        if (isOneway(command) || r === 'silent') continue;
        const extFields =
          command.code === RequestCode.QUERY_DATA_VERSION ? { changed: 'false' } : {};
        const answer = encodeCommand(
          createResponse(command, {
            code: r.code,
            extFields,
            ...(r.remark === undefined ? {} : { remark: r.remark }),
          }),
        );
        const send = (): void => {
          if (socket.destroyed) return;
          socket.write(answer);
          if (r.thenClose === true) socket.end();
        };
        if (r.delayMs === undefined) send();
        else setTimeout(send, r.delayMs);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    addr: `127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    arrivals: (code) => [...(arrivals.get(code) ?? [])],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
