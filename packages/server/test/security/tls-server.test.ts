import { createPrivateKey } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createRequest,
  decodeFrame,
  encodeCommand,
  FrameDecoder,
  newExtFields,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { ServerTlsContext } from '../../src/security/tls/server-tls-context.js';
import { resolveServerTlsSettings } from '../../src/security/tls/tls-settings.js';
import type { TlsConfigKeys } from '../../src/security/tls/tls-settings.js';
import { recordingLogger, waitUntil } from './security-helpers.js';
import { makeTestPki, writePemFiles } from './test-pki.js';
import type { TestPki } from './test-pki.js';
import { startEchoServer } from './tls-test-server.js';
import type { EchoServer } from './tls-test-server.js';

const KEYS: TlsConfigKeys = {
  tlsServerMode: 'permissive',
  tlsConfigFile: '',
  tlsTestModeEnable: true,
  tlsServerCertPath: '',
  tlsServerKeyPath: '',
  tlsServerKeyPassword: '',
  tlsServerTrustCertPath: '',
  tlsServerNeedClientAuth: 'none',
  tlsServerAuthClient: false,
  tlsHandshakeTimeoutMillis: 5000,
};

let pki: TestPki;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  pki = await makeTestPki();
}, 60_000);
afterEach(async () => {
  vi.useRealTimers();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function tlsContext(
  keys: Partial<TlsConfigKeys>,
  pollIntervalMs = 100,
): Promise<ServerTlsContext> {
  const full = { ...KEYS, ...keys };
  const ctx = await ServerTlsContext.create({
    resolveSettings: () => resolveServerTlsSettings(full, () => null),
    logger: recordingLogger().logger,
    pollIntervalMs,
  });
  cleanups.push(() => ctx.close());
  return ctx;
}

async function echo(
  mode: TlsConfigKeys['tlsServerMode'],
  ctx: ServerTlsContext | null,
  firstByteTimeoutMs?: number,
): Promise<EchoServer> {
  const server = await startEchoServer({
    mode,
    tls: ctx,
    ...(firstByteTimeoutMs === undefined ? {} : { firstByteTimeoutMs }),
  });
  cleanups.push(() => server.close());
  return server;
}

/** Sends one request and resolves with the response, or with the error/close that came first. */
function roundTrip(socket: Socket): Promise<RemotingCommand | Error> {
  cleanups.push(() => {
    socket.destroy();
  });
  return new Promise((resolve) => {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      const frames = decoder.push(chunk);
      if (frames.length > 0) resolve(decodeFrame(frames[0]!));
    });
    socket.on('error', (err) => resolve(err));
    socket.on('close', () => resolve(new Error('closed')));
    const send = (): void => {
      const ext = newExtFields();
      ext['topic'] = 'T';
      socket.write(encodeCommand(createRequest({ code: 105, opaque: 7, extFields: ext })));
    };
    if (socket instanceof Object && 'encrypted' in socket) socket.once('secureConnect', send);
    else socket.once('connect', send);
  });
}

function plainClient(port: number): Socket {
  return netConnect({ host: '127.0.0.1', port });
}

function tlsClient(port: number, options: ConnectionOptions = {}): TLSSocket {
  // Like a Java client in its default test mode: encrypt, trust any server certificate.
  return tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
}

describe('first-byte sniffer on one listening socket', () => {
  it('permissive (the default) serves a plain and a TLS client on the same port', async () => {
    const server = await echo('permissive', await tlsContext({}));
    const [plain, tls] = await Promise.all([
      roundTrip(plainClient(server.port)),
      roundTrip(tlsClient(server.port)),
    ]);
    expect(plain).toMatchObject({ opaque: 7, remark: 'plain', extFields: { topic: 'T' } });
    expect(tls).toMatchObject({ opaque: 7, remark: 'tls', extFields: { topic: 'T' } });
    expect([...server.outcomes].sort()).toEqual(['plain', 'tls']);
  });

  it('permissive with no certificate serves a self-signed one (test mode), which a verifying client refuses', async () => {
    const ctx = await tlsContext({});
    expect(ctx.settings.selfSigned).toBe(true);
    const server = await echo('permissive', ctx);
    const socket = tlsClient(server.port);
    await expect(roundTrip(socket)).resolves.toMatchObject({ remark: 'tls' });
    expect(socket.getPeerX509Certificate()!.fingerprint256).toBe(ctx.fingerprint256);
    const verifying = await roundTrip(
      tlsClient(server.port, { rejectUnauthorized: true, ca: pki.ca.certPem }),
    );
    expect(verifying).toBeInstanceOf(Error);
    expect((verifying as Error).message).toMatch(/self.signed|unable to verify/i);
  });

  it('enforcing refuses a plain client (closed, logged) and serves TLS', async () => {
    const server = await echo('enforcing', await tlsContext({}));
    await expect(roundTrip(plainClient(server.port))).resolves.toBeInstanceOf(Error);
    await waitUntil(
      () => server.outcomes.includes('plain-refused'),
      'the plain connection to be refused',
    );
    expect(server.logLines.some((l) => l.msg?.includes('tlsServerMode=enforcing'))).toBe(true);
    await expect(roundTrip(tlsClient(server.port))).resolves.toMatchObject({ remark: 'tls' });
  });

  it('disabled refuses TLS and serves plain', async () => {
    const server = await echo('disabled', null);
    await expect(roundTrip(tlsClient(server.port))).resolves.toBeInstanceOf(Error);
    await waitUntil(
      () => server.outcomes.includes('tls-refused'),
      'the TLS connection to be refused',
    );
    await expect(roundTrip(plainClient(server.port))).resolves.toMatchObject({ remark: 'plain' });
  });

  it('closes a connection that sends nothing before the first-byte deadline', async () => {
    const server = await echo('permissive', await tlsContext({}), 200);
    const socket = plainClient(server.port);
    cleanups.push(() => {
      socket.destroy();
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    await closed;
    expect(server.outcomes).toEqual(['no-first-byte']);
  });

  it('closes a connection whose TLS handshake times out (a partial ClientHello)', async () => {
    const server = await echo('permissive', await tlsContext({ tlsHandshakeTimeoutMillis: 300 }));
    const socket = plainClient(server.port);
    cleanups.push(() => {
      socket.destroy();
    });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    // A TLS record header announcing 80 bytes, and one byte of it: the handshake never completes.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x50, 0x01]));
    // Node's handshakeTimeout only reports the timeout: the server must close the socket itself
    // (otherwise it stays open, uncounted, until the client leaves).
    await closed;
    expect(server.outcomes).toEqual(['handshake-failed']);
  });

  it('a client that resets or closes mid-handshake is done with at once, not at the deadline', async () => {
    // 60 s: only a close noticed at once can end these handshakes within the test.
    const ctx = await tlsContext({ tlsHandshakeTimeoutMillis: 60_000 });
    let handshakes = 0;
    const handshake = ctx.handshake.bind(ctx);
    ctx.handshake = (socket) => {
      handshakes++;
      return handshake(socket);
    };
    const server = await echo('permissive', ctx);
    for (const leave of ['reset', 'close'] as const) {
      const socket = plainClient(server.port);
      cleanups.push(() => {
        socket.destroy();
      });
      socket.on('error', () => undefined);
      const before = server.outcomes.length;
      // A TLS record header announcing 80 bytes, and one byte of it.
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x50, 0x01]));
      await waitUntil(() => handshakes > before, 'the sniffer to start the handshake');
      if (leave === 'reset') socket.resetAndDestroy();
      else socket.destroy();
      await waitUntil(() => server.outcomes.length > before, `the ${leave} to end the handshake`);
      expect(server.outcomes[before]).toBe('handshake-failed');
    }
  });

  it('a socket that closed before its handshake began (the certificate still being made) is done with at once', async () => {
    const ctx = await tlsContext({ tlsHandshakeTimeoutMillis: 60_000 });
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer(resolve);
      cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        const client = netConnect({ host: '127.0.0.1', port });
        client.on('error', () => undefined);
        cleanups.push(() => {
          client.destroy();
        });
      });
    });
    const raw = await accepted;
    raw.on('error', () => undefined);
    // The sniffer reads the peer's address first (Node keeps it), then the peer leaves.
    expect(raw.remoteAddress).toBe('127.0.0.1');
    const closed = new Promise((resolve) => raw.once('close', resolve));
    raw.destroy();
    await closed;
    const started = Date.now();
    const result = await ctx.handshake(raw);
    expect(result).toMatchObject({ ok: false, reason: 'handshake-failed' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rate-limits the lines about failed handshakes per process and says how many were left out', async () => {
    const server = await echo('permissive', await tlsContext({}));
    // Only Date is faked (sockets and timers are real): the log's one-second window stays put.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3_600_000);
    const closedLines = () => server.logLines.filter((l) => l.msg === 'TLS connection closed');
    const junkHandshake = async (): Promise<void> => {
      const before = server.outcomes.length;
      const socket = plainClient(server.port);
      cleanups.push(() => {
        socket.destroy();
      });
      socket.on('error', () => undefined);
      socket.resume();
      // A TLS handshake record whose message is garbage: the handshake fails at once.
      socket.write(Buffer.from('1603010005eeeeeeeeee', 'hex'));
      const deadline = performance.now() + 10_000;
      while (server.outcomes.length === before) {
        if (performance.now() > deadline) throw new Error('timed out waiting for the handshake');
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    // One peer, 25 connections that each fail their handshake, all within one second.
    for (let i = 0; i < 25; i++) await junkHandshake();
    expect(server.outcomes.filter((o) => o === 'handshake-failed')).toHaveLength(25);
    expect(closedLines()).toHaveLength(10); // the first ten logged, in full
    expect(closedLines()[0]!.obj).toMatchObject({ reason: 'handshake-failed' });
    // A second later the next one is logged, saying how many were left out.
    vi.setSystemTime(Date.now() + 1000);
    await junkHandshake();
    expect(closedLines()).toHaveLength(11);
    expect(closedLines()[10]!.obj).toMatchObject({ reason: 'handshake-failed', linesLeftOut: 15 });
  });

  it('a plain first frame split into single bytes still arrives whole', async () => {
    const server = await echo('permissive', await tlsContext({}));
    const socket = plainClient(server.port);
    cleanups.push(() => {
      socket.destroy();
    });
    const frame = encodeCommand(createRequest({ code: 105, opaque: 9, extFields: null }));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.setNoDelay(true);
    for (const byte of frame) {
      socket.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 1));
    }
    await waitUntil(() => server.requests.length === 1, 'the byte-by-byte frame');
    expect(server.requests[0]).toMatchObject({ code: 105, opaque: 9 });
  });
});

describe('client certificates (tlsServerNeedClientAuth)', () => {
  it('require: refuses a client without a certificate or with one from another CA, accepts one signed by the trusted CA', async () => {
    const files = writePemFiles({
      'ca.pem': pki.ca.certPem,
      'server.pem': pki.server.certPem,
      'server.key': pki.server.keyPem,
    });
    cleanups.push(() => rmSync(files.dir, { recursive: true, force: true }));
    const ctx = await tlsContext({
      tlsServerCertPath: files['server.pem']!,
      tlsServerKeyPath: files['server.key']!,
      tlsServerTrustCertPath: files['ca.pem']!,
      tlsServerNeedClientAuth: 'require',
    });
    const server = await echo('enforcing', ctx);
    const verifyServer = { rejectUnauthorized: true, ca: pki.ca.certPem, servername: 'localhost' };

    await expect(roundTrip(tlsClient(server.port, verifyServer))).resolves.toBeInstanceOf(Error);
    await expect(
      roundTrip(
        tlsClient(server.port, {
          ...verifyServer,
          cert: pki.rogueClient.certPem,
          key: pki.rogueClient.keyPem,
        }),
      ),
    ).resolves.toBeInstanceOf(Error);
    await expect(
      roundTrip(
        tlsClient(server.port, {
          ...verifyServer,
          cert: pki.client.certPem,
          key: pki.client.keyPem,
        }),
      ),
    ).resolves.toMatchObject({ remark: 'tls cert=CN=broker-a' });
    await waitUntil(() => server.outcomes.length === 3, 'three outcomes');
    expect(server.outcomes).toEqual(['client-cert-missing', 'client-cert-rejected', 'tls']);
  });

  it('optional: connects without a certificate; only a verified one becomes an identity', async () => {
    const files = writePemFiles({ 'ca.pem': pki.ca.certPem });
    cleanups.push(() => rmSync(files.dir, { recursive: true, force: true }));
    const server = await echo(
      'permissive',
      await tlsContext({
        tlsServerTrustCertPath: files['ca.pem']!,
        tlsServerNeedClientAuth: 'optional',
      }),
    );
    await expect(roundTrip(tlsClient(server.port))).resolves.toMatchObject({ remark: 'tls' });
    await expect(
      roundTrip(
        tlsClient(server.port, { cert: pki.rogueClient.certPem, key: pki.rogueClient.keyPem }),
      ),
    ).resolves.toMatchObject({ remark: 'tls' });
    await expect(
      roundTrip(tlsClient(server.port, { cert: pki.client.certPem, key: pki.client.keyPem })),
    ).resolves.toMatchObject({ remark: 'tls cert=CN=broker-a' });
  });

  it('none: a client certificate is not even asked for', async () => {
    const server = await echo('permissive', await tlsContext({}));
    await expect(
      roundTrip(tlsClient(server.port, { cert: pki.client.certPem, key: pki.client.keyPem })),
    ).resolves.toMatchObject({ remark: 'tls' });
  });
});

describe('certificate rotation without restart', () => {
  it('new connections get the new certificate once the files change; open ones keep working', async () => {
    const files = writePemFiles({
      'server.pem': pki.server.certPem,
      'server.key': pki.server.keyPem,
    });
    cleanups.push(() => rmSync(files.dir, { recursive: true, force: true }));
    const ctx = await tlsContext(
      { tlsServerCertPath: files['server.pem']!, tlsServerKeyPath: files['server.key']! },
      100,
    );
    const server = await echo('enforcing', ctx);
    const first = tlsClient(server.port);
    await expect(roundTrip(first)).resolves.toMatchObject({ remark: 'tls' });
    expect(first.getPeerX509Certificate()!.fingerprint256).toBe(pki.server.fingerprint256);

    // Only the certificate replaced: it does not match the old key, so the old pair stays in use.
    writeFileSync(files['server.pem']!, pki.server2.certPem);
    await new Promise((r) => setTimeout(r, 400)); // several polls

    expect(ctx.fingerprint256).toBe(pki.server.fingerprint256);
    writeFileSync(files['server.key']!, pki.server2.keyPem);
    await waitUntil(
      () => ctx.fingerprint256 === pki.server2.fingerprint256,
      'the rotated certificate',
    );

    const second = tlsClient(server.port);
    await expect(roundTrip(second)).resolves.toMatchObject({ remark: 'tls' });
    expect(second.getPeerX509Certificate()!.fingerprint256).toBe(pki.server2.fingerprint256);
    // The connection made before the rotation still works.
    const again = new Promise<RemotingCommand>((resolve) => {
      const decoder = new FrameDecoder();
      first.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) resolve(decodeFrame(f));
      });
    });
    first.write(encodeCommand(createRequest({ code: 105, opaque: 8, extFields: null })));
    await expect(again).resolves.toMatchObject({ opaque: 8 });
  });
});

describe('tlsServerNeedClientAuth=require under tlsServerMode=permissive', () => {
  function openContext(keys: Partial<TlsConfigKeys>, configText = '') {
    const files = writePemFiles({
      'server.pem': pki.server.certPem,
      'server.key': pki.server.keyPem,
      'tls.properties': configText,
    });
    cleanups.push(() => rmSync(files.dir, { recursive: true, force: true }));
    const full: TlsConfigKeys = {
      ...KEYS,
      tlsServerCertPath: files['server.pem']!,
      tlsServerKeyPath: files['server.key']!,
      tlsConfigFile: files['tls.properties']!,
      ...keys,
    };
    const log = recordingLogger();
    const ctx = ServerTlsContext.open(
      {
        resolveSettings: () => resolveServerTlsSettings(full, (p) => readFileSync(p, 'utf8')),
        logger: log.logger,
        pollIntervalMs: 60_000,
      },
      null,
    );
    cleanups.push(() => ctx.close());
    return {
      ctx,
      configFile: files['tls.properties']!,
      warnings: () => log.lines.filter((l) => l.level === 'warn'),
    };
  }

  it('warns once that plain clients are still served, naming both keys and tlsServerMode=enforcing', () => {
    const risky = openContext({ tlsServerNeedClientAuth: 'require' });
    expect(risky.warnings()).toHaveLength(1);
    const [line] = risky.warnings();
    expect(line!.msg).toMatch(/tlsServerNeedClientAuth=require .*TLS connections only/);
    expect(line!.msg).toContain('tlsServerMode=permissive plain TCP clients are still served');
    expect(line!.msg).toContain('set tlsServerMode=enforcing');
    expect(line!.obj).toEqual({ tlsServerMode: 'permissive', tlsServerNeedClientAuth: 'require' });
    // Not again on a reload that changes nothing about it.
    expect(risky.ctx.reload()).toBe(true);
    expect(risky.warnings()).toHaveLength(1);

    // Nothing to warn about: TLS only, or no certificate required.
    expect(
      openContext({ tlsServerMode: 'enforcing', tlsServerNeedClientAuth: 'require' }).warnings(),
    ).toEqual([]);
    expect(openContext({ tlsServerNeedClientAuth: 'optional' }).warnings()).toEqual([]);
    expect(openContext({}).warnings()).toEqual([]);
  });

  it('warns when tls.config.file brings it about, at start or on a reload', () => {
    const fromFile = openContext({}, 'tls.server.need.client.auth=require\n');
    expect(fromFile.warnings()).toHaveLength(1);
    expect(fromFile.warnings()[0]!.obj).toMatchObject({
      tlsServerNeedClientAuth: 'require',
      needClientAuthFrom: `tls.server.need.client.auth in ${fromFile.configFile}`,
    });

    const later = openContext({});
    expect(later.warnings()).toEqual([]);
    writeFileSync(later.configFile, 'tls.server.need.client.auth=require\n');
    expect(later.ctx.reload()).toBe(true);
    expect(later.warnings()).toHaveLength(1);
  });
});

describe('key password and unverified client certificates', () => {
  it('serves an encrypted key with tlsServerKeyPassword; a wrong password stops startup naming the files', async () => {
    const encrypted = createPrivateKey(pki.server.keyPem).export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'key-pass-1',
    }) as string;
    const files = writePemFiles({ 'server.pem': pki.server.certPem, 'server.key': encrypted });
    cleanups.push(() => rmSync(files.dir, { recursive: true, force: true }));
    const keys = {
      tlsServerCertPath: files['server.pem']!,
      tlsServerKeyPath: files['server.key']!,
    };
    const ctx = await tlsContext({ ...keys, tlsServerKeyPassword: 'key-pass-1' });
    expect(ctx.fingerprint256).toBe(pki.server.fingerprint256);
    const server = await echo('enforcing', ctx);
    await expect(roundTrip(tlsClient(server.port))).resolves.toMatchObject({ remark: 'tls' });
    await expect(tlsContext({ ...keys, tlsServerKeyPassword: 'wrong' })).rejects.toThrow(
      /tlsServerCertPath .*server\.pem \/ tlsServerKeyPath .*server\.key/,
    );
  });

  it('require without any trust configured (Java authClient=false): any certificate connects, none proves an identity', async () => {
    const ctx = await tlsContext({ tlsServerNeedClientAuth: 'require' });
    expect(ctx.settings.verifyClients).toBe(false);
    const server = await echo('enforcing', ctx);
    await expect(roundTrip(tlsClient(server.port))).resolves.toBeInstanceOf(Error);
    await expect(
      roundTrip(
        tlsClient(server.port, { cert: pki.rogueClient.certPem, key: pki.rogueClient.keyPem }),
      ),
    ).resolves.toMatchObject({ remark: 'tls' });
  });
});
