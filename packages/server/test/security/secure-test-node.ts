/**
 * A test-only node that composes the security building blocks the way the transport will (the
 * real wiring comes with the new transport): first-byte sniffer → frames → AccessControl →
 * the real Dispatcher (handlers harness) → response, with the audit written per request.
 * Used by the TCP tests of the server, client, nsadmin and broker agent.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { decodeFrame, encodeCommand, FrameDecoder } from '@ns/protocol';
import { AccessControl } from '../../src/security/access-control.js';
import type { AclConfigKeys } from '../../src/security/access-control.js';
import type { VerifiedClientCert } from '../../src/security/access-policy.js';
import { sniffConnection } from '../../src/security/tls/first-byte-sniffer.js';
import type { SniffOutcome } from '../../src/security/tls/first-byte-sniffer.js';
import type { ServerTlsContext } from '../../src/security/tls/server-tls-context.js';
import type { TlsServerMode } from '../../src/security/tls/tls-settings.js';
import { createHarness, syncResult } from '../handlers-harness.js';
import type { Harness } from '../handlers-harness.js';
import { recordingLogger } from './security-helpers.js';
import type { LogLine } from './security-helpers.js';

export const OPEN_ACL_KEYS: AclConfigKeys = {
  aclEnable: false,
  aclFile: '',
  aclRouteRead: 'open',
  aclBrokerControl: 'signed,address,cert',
  aclAdminRead: 'signed',
  aclAdminWrite: 'admin',
  aclAllowedAddresses: '',
};

export interface SecureTestNode {
  readonly addr: string;
  readonly port: number;
  readonly harness: Harness;
  readonly access: AccessControl;
  readonly outcomes: SniffOutcome[];
  /** Lines of the audit logger. */
  readonly audit: LogLine[];
  /** Lines of the security logger (sniffer, credentials). */
  readonly log: LogLine[];
  close(): Promise<void>;
}

export async function startSecureTestNode(options: {
  acl?: Partial<AclConfigKeys>;
  mode?: TlsServerMode;
  tls?: ServerTlsContext | null;
}): Promise<SecureTestNode> {
  const harness = createHarness();
  const log = recordingLogger();
  const audit = recordingLogger();
  const access = new AccessControl({
    keys: { ...OPEN_ACL_KEYS, ...options.acl },
    logger: log.logger,
    auditLogger: audit.logger,
    pollIntervalMs: 100,
  });
  const outcomes: SniffOutcome[] = [];
  const sockets = new Set<Socket>();
  let nextId = 1;

  const serve = (
    socket: Socket,
    remoteAddress: string,
    clientCert: VerifiedClientCert | null,
  ): void => {
    const connectionId = nextId++;
    const decoder = new FrameDecoder();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const request = decodeFrame(frame);
        const decision = access.check({ ...request, remoteAddress, clientCert });
        const response = decision.allowed
          ? syncResult(harness.dispatcher.dispatch(request, { connectionId, remoteAddress }))
          : access.refusal(request, decision);
        access.audit(request, decision, response?.code ?? null);
        if (response !== null) socket.write(encodeCommand(response));
      }
    });
    socket.resume();
  };

  const server = createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    const remoteAddress = `${(raw.remoteAddress ?? '').replace(/^::ffff:/, '')}:${raw.remotePort ?? 0}`;
    void sniffConnection(raw, {
      mode: options.mode ?? 'permissive',
      tls: options.tls ?? null,
      firstByteTimeoutMs: 5000,
      logger: log.logger,
    }).then((result) => {
      outcomes.push(result.outcome);
      if (result.outcome === 'plain') serve(result.socket, remoteAddress, null);
      else if (result.outcome === 'tls') serve(result.socket, remoteAddress, result.clientCert);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    addr: `127.0.0.1:${port}`,
    port,
    harness,
    access,
    outcomes,
    audit: audit.lines,
    log: log.lines,
    close: () =>
      new Promise<void>((resolve) => {
        access.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
