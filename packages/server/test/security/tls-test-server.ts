/**
 * A small remoting server for the TLS tests (the real transport wiring comes later): every
 * accepted socket goes through the first-byte sniffer, then each request frame is answered with
 * SUCCESS and a remark saying how the connection arrived (`plain`, `tls`, `tls cert=<subject>`),
 * plus the request's ext fields echoed back.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import {
  createResponse,
  decodeFrame,
  encodeCommand,
  FrameDecoder,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { sniffConnection } from '../../src/security/tls/first-byte-sniffer.js';
import type { SniffOutcome } from '../../src/security/tls/first-byte-sniffer.js';
import type { ServerTlsContext } from '../../src/security/tls/server-tls-context.js';
import type { TlsServerMode } from '../../src/security/tls/tls-settings.js';
import { recordingLogger } from './security-helpers.js';
import type { LogLine } from './security-helpers.js';

export interface EchoServer {
  readonly port: number;
  readonly addr: string;
  /** Outcome of every sniffed connection, in order. */
  readonly outcomes: SniffOutcome[];
  readonly requests: RemotingCommand[];
  readonly logLines: LogLine[];
  close(): Promise<void>;
}

export async function startEchoServer(options: {
  mode: TlsServerMode;
  tls: ServerTlsContext | null;
  firstByteTimeoutMs?: number;
}): Promise<EchoServer> {
  const outcomes: SniffOutcome[] = [];
  const requests: RemotingCommand[] = [];
  const log = recordingLogger();
  const sockets = new Set<Socket>();
  const serve = (socket: Socket, how: string): void => {
    const decoder = new FrameDecoder();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const req = decodeFrame(frame);
        requests.push(req);
        socket.write(
          encodeCommand(
            createResponse(req, {
              code: ResponseCode.SUCCESS,
              remark: how,
              extFields: req.extFields,
            }),
          ),
        );
      }
    });
    socket.resume();
  };
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    void sniffConnection(raw, {
      mode: options.mode,
      tls: options.tls,
      firstByteTimeoutMs: options.firstByteTimeoutMs ?? 5000,
      logger: log.logger,
    }).then((result) => {
      outcomes.push(result.outcome);
      if (result.outcome === 'plain') serve(result.socket, 'plain');
      else if (result.outcome === 'tls') {
        serve(
          result.socket,
          result.clientCert === null ? 'tls' : `tls cert=${result.clientCert.subject}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    addr: `127.0.0.1:${port}`,
    outcomes,
    requests,
    logLines: log.lines,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
