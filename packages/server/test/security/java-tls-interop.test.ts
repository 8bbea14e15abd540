/**
 * Interop with the JDK's TLS as a RocketMQ Java client uses it with -Dtls.enable=true in its
 * default test mode (see java/JavaTlsClient.java): against a permissive node serving its
 * self-signed certificate, the handshake succeeds and a captured Java request gets its answer —
 * from the TLS building blocks alone, and from a real NameServer with default settings, whose
 * answer over the JDK's TLS is byte for byte its answer over plain TCP. No RocketMQ jars are
 * available here, so this is the JDK's TLS stack with RocketMQ's test-mode trust settings, not a
 * RocketMQ client itself. Needs a JDK (11+, single-file source launch); without `java` on PATH it
 * skips, saying so.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame } from '@ns/protocol';
import { RawClient } from '../transport-helpers.js';
import { ServerTlsContext } from '../../src/security/tls/server-tls-context.js';
import { resolveServerTlsSettings } from '../../src/security/tls/tls-settings.js';
import { readFixtureFrame } from './fixture-frames.js';
import { recordingLogger } from './security-helpers.js';
import { startSecureNode } from './secure-node.js';
import { startEchoServer } from './tls-test-server.js';

function javaVersion(): string | null {
  try {
    return (
      execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) ||
      'java'
    );
  } catch {
    return null;
  }
}
const JAVA = javaVersion();
if (JAVA === null) {
  console.warn(
    'SKIPPED java-tls-interop: no `java` on PATH; install a JDK 11+ to check TLS interop with the JDK',
  );
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe.skipIf(JAVA === null)('JDK TLS client (RocketMQ -Dtls.enable=true, test mode)', () => {
  it('completes the handshake with the self-signed certificate and gets the answer to a real request', async () => {
    const ctx = await ServerTlsContext.create({
      resolveSettings: () =>
        resolveServerTlsSettings(
          {
            tlsServerMode: 'permissive',
            tlsConfigFile: '',
            tlsTestModeEnable: true,
            tlsServerCertPath: '',
            tlsServerKeyPath: '',
            tlsServerKeyPassword: '',
            tlsServerTrustCertPath: '',
            tlsServerNeedClientAuth: 'none',
            tlsServerAuthClient: false,
            tlsHandshakeTimeoutMillis: 10_000,
          },
          () => null,
        ),
      logger: recordingLogger().logger,
    });
    cleanups.push(() => ctx.close());
    const server = await startEchoServer({ mode: 'permissive', tls: ctx });
    cleanups.push(() => server.close());

    const request = readFixtureFrame('4.9.7', 'get-route-client.request');
    const sent = decodeFrame(request.subarray(4));
    const source = fileURLToPath(new URL('./java/JavaTlsClient.java', import.meta.url));
    // JDK 8 before 8u261 speaks TLS 1.2 only; newer JDKs prefer 1.3.
    for (const protocol of ['TLSv1.2', 'TLSv1.3']) {
      const { stdout } = await promisify(execFile)(
        'java',
        [
          `-Djdk.tls.client.protocols=${protocol}`,
          source,
          '127.0.0.1',
          String(server.port),
          request.toString('hex'),
        ],
        { timeout: 60_000 },
      );
      const [negotiated, responseHex] = stdout.trim().split('\n');
      expect(negotiated).toBe(protocol);
      const response = decodeFrame(Buffer.from(responseHex!, 'hex').subarray(4));
      expect(response).toMatchObject({
        opaque: sent.opaque,
        remark: 'tls',
        extFields: sent.extFields,
      });
    }
    expect(server.outcomes).toEqual(['tls', 'tls']);
  }, 90_000);

  it('gets from a default NameServer over TLS exactly the bytes a plain client gets', async () => {
    const node = await startSecureNode();
    cleanups.push(() => node.close());
    const request = readFixtureFrame('4.9.7', 'get-route-client.request');
    const plain = await RawClient.connect(node.port);
    cleanups.push(() => plain.destroy());
    const sent = decodeFrame(request.subarray(4));
    const overPlain = await plain.requestRaw(sent);
    const source = fileURLToPath(new URL('./java/JavaTlsClient.java', import.meta.url));
    for (const protocol of ['TLSv1.2', 'TLSv1.3']) {
      const { stdout } = await promisify(execFile)(
        'java',
        [
          `-Djdk.tls.client.protocols=${protocol}`,
          source,
          '127.0.0.1',
          String(node.port),
          request.toString('hex'),
        ],
        { timeout: 60_000 },
      );
      const [negotiated, responseHex] = stdout.trim().split('\n');
      expect(negotiated).toBe(protocol);
      const overTls = Buffer.from(responseHex!, 'hex').subarray(4);
      expect(overTls.equals(overPlain)).toBe(true);
    }
    expect(await node.metric('namesrv_connections_sniffed_total', { outcome: 'tls' })).toBe(2);
  }, 90_000);
});
