/**
 * The server side of TLS for accepted connections: the current certificate, key and trusted CAs
 * (reloaded when their files change, without a restart), and the handshake of one socket.
 *
 * Handshakes run through a `tls.Server` that never listens: `emit('connection', socket)` is
 * Node's own accept path, which applies the handshake timeout and computes `authorized` for
 * client certificates. A reload builds a new one; connections already up keep their session,
 * new connections get the new certificate.
 *
 * Client certificates (tlsServerNeedClientAuth): `none` asks for none; `optional` asks, and a
 * certificate that verifies becomes the connection's identity (anything else is ignored);
 * `require` closes a connection without a certificate, or (when clients are verified) whose
 * certificate does not verify. Checking after the handshake rather than inside it makes every
 * outcome observable (TLS 1.3 clients learn about a refused certificate only after their own
 * handshake completed anyway).
 *
 * `require` concerns TLS connections only: in tlsServerMode=permissive plain TCP clients are still
 * served, with no certificate at all (as in Java). That combination is logged as a warning once
 * (when the context is made, or when a reload brings it about), naming what to set instead.
 */
import { X509Certificate } from 'node:crypto';
import { readSecurityFile } from '../file-stand-ins.js';
import { hostname as osHostname } from 'node:os';
import type { Socket } from 'node:net';
import { createSecureContext, createServer } from 'node:tls';
import type { Server as TlsServer, TLSSocket, TlsOptions } from 'node:tls';
import type { VerifiedClientCert } from '../access-policy.js';
import { FileWatch } from '../file-watch.js';
import type { SecurityLogger } from '../security-logger.js';
import { createSelfSignedServerCertificate } from './certificate-factory.js';
import type { IssuedCertificate } from './certificate-factory.js';
import { TlsConfigError } from './tls-settings.js';
import type { ServerTlsSettings } from './tls-settings.js';

export interface ServerTlsContextOptions {
  /** Current settings; called at start and on every reload (so tls.config.file is re-read). */
  readonly resolveSettings: () => ServerTlsSettings;
  readonly logger: SecurityLogger;
  /** Name in the self-signed certificate; default os.hostname(). */
  readonly hostname?: string;
  /** Poll period of the file change check (ms); default 2000. */
  readonly pollIntervalMs?: number;
  readonly onReload?: (result: 'ok' | 'failed') => void;
  /**
   * Whether the startup lines (what is in force, and warnings about it) are logged; default
   * true. A node with several serving processes has one of them say it, once per node.
   */
  readonly announce?: boolean;
}

export type HandshakeResult =
  | {
      readonly ok: true;
      readonly socket: TLSSocket;
      readonly clientCert: VerifiedClientCert | null;
    }
  | {
      readonly ok: false;
      readonly reason: 'handshake-failed' | 'client-cert-missing' | 'client-cert-rejected';
      readonly detail: string;
    };

interface Material {
  readonly options: TlsOptions;
  readonly fingerprint256: string;
  readonly files: readonly string[];
}

function readPem(path: string, what: string): Buffer {
  try {
    return readSecurityFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TlsConfigError([`${what} ${path}: cannot read (${reason})`]);
  }
}

function buildMaterial(
  settings: ServerTlsSettings,
  selfSigned: IssuedCertificate | null,
): Material {
  const files: string[] = [];
  let key: Buffer | string;
  let cert: Buffer | string;
  if (settings.certPath !== null && settings.keyPath !== null) {
    cert = readPem(settings.certPath, 'tlsServerCertPath');
    key = readPem(settings.keyPath, 'tlsServerKeyPath');
    files.push(settings.certPath, settings.keyPath);
  } else if (selfSigned !== null) {
    cert = selfSigned.certPem;
    key = selfSigned.keyPem;
  } else {
    throw new TlsConfigError([
      'no certificate configured (tlsServerCertPath/tlsServerKeyPath); a node started with one cannot fall back to self-signed without a restart',
    ]);
  }
  let ca: Buffer | undefined;
  if (settings.trustCertPath !== null) {
    ca = readPem(settings.trustCertPath, 'tlsServerTrustCertPath');
    files.push(settings.trustCertPath);
  }
  const options: TlsOptions = {
    key,
    cert,
    ...(settings.keyPassword === null ? {} : { passphrase: settings.keyPassword }),
    ...(ca === undefined ? {} : { ca }),
    requestCert: settings.needClientAuth !== 'none',
    // Decided after the handshake (see the file comment).
    rejectUnauthorized: false,
    handshakeTimeout: settings.handshakeTimeoutMs,
  };
  let fingerprint256: string;
  try {
    // Fails on a key that does not match the certificate, a wrong passphrase, bad PEM.
    createSecureContext(options);
    fingerprint256 = new X509Certificate(cert).fingerprint256;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const which =
      settings.certPath === null
        ? 'self-signed certificate'
        : `tlsServerCertPath ${settings.certPath} / tlsServerKeyPath ${settings.keyPath ?? ''}`;
    throw new TlsConfigError([`${which}: ${reason}`]);
  }
  return { options, fingerprint256, files };
}

/** The warning about `plainBypassesClientAuth` settings. */
export const PLAIN_BYPASSES_CLIENT_AUTH_WARNING =
  'tlsServerNeedClientAuth=require applies to TLS connections only: with tlsServerMode=permissive ' +
  'plain TCP clients are still served, without any certificate; set tlsServerMode=enforcing to ' +
  'refuse them';

/** Client certificates are required of TLS clients, while plain clients are served anyway. */
export function plainBypassesClientAuth(settings: ServerTlsSettings): boolean {
  return settings.mode === 'permissive' && settings.needClientAuth === 'require';
}

function connectionKey(s: {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}): string | null {
  if (s.remoteAddress === undefined || s.remotePort === undefined) return null;
  return `${s.remoteAddress}|${s.remotePort}|${s.localAddress ?? ''}|${s.localPort ?? ''}`;
}

type Waiter = (event: { secure: TLSSocket } | { error: Error }) => void;

export class ServerTlsContext {
  #settings: ServerTlsSettings;
  #material: Material;
  #engine: TlsServer;
  #watch: FileWatch | null = null;
  readonly #selfSigned: IssuedCertificate | null;
  readonly #options: ServerTlsContextOptions;
  readonly #waiters = new Map<string, Waiter>();

  private constructor(
    options: ServerTlsContextOptions,
    settings: ServerTlsSettings,
    selfSigned: IssuedCertificate | null,
  ) {
    this.#options = options;
    this.#settings = settings;
    this.#selfSigned = selfSigned;
    this.#material = buildMaterial(settings, selfSigned);
    this.#engine = this.#createEngine(this.#material);
    this.#rewatch();
  }

  /** Reads the settings and files; throws TlsConfigError (stop startup) when they are unusable. */
  static async create(options: ServerTlsContextOptions): Promise<ServerTlsContext> {
    const settings = options.resolveSettings();
    // Made once, at start, only when needed (RSA key generation takes a while). A reload that
    // removes a configured certificate is refused rather than silently switching to self-signed.
    const selfSigned =
      settings.selfSigned && settings.mode !== 'disabled'
        ? await createSelfSignedServerCertificate(options.hostname ?? osHostname())
        : null;
    return ServerTlsContext.open(options, selfSigned);
  }

  /**
   * Like `create`, with the self-signed certificate (when the settings need one) made elsewhere:
   * a node makes it once and gives it to each of its serving processes.
   */
  static open(
    options: ServerTlsContextOptions,
    selfSigned: IssuedCertificate | null,
  ): ServerTlsContext {
    const settings = options.resolveSettings();
    if (settings.mode === 'disabled') {
      // The sniffer closes TLS attempts by itself in this mode (pass tls: null).
      throw new TlsConfigError(['tlsServerMode=disabled: no TLS context is needed']);
    }
    const ctx = new ServerTlsContext(options, settings, selfSigned);
    if (options.announce ?? true) {
      ctx.#logInUse('TLS certificate in use');
      ctx.#warnIfPlainBypassesClientAuth(null);
    }
    return ctx;
  }

  get settings(): ServerTlsSettings {
    return this.#settings;
  }

  /** SHA-256 fingerprint of the certificate new connections get. */
  get fingerprint256(): string {
    return this.#material.fingerprint256;
  }

  #createEngine(material: Material): TlsServer {
    const engine = createServer(material.options);
    engine.on('secureConnection', (socket: TLSSocket) => {
      const key = connectionKey(socket);
      const waiter = key === null ? undefined : this.#waiters.get(key);
      if (waiter !== undefined) waiter({ secure: socket });
      else socket.destroy(); // its sniff already gave up (deadline)
    });
    engine.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      const key = connectionKey(socket);
      const waiter = key === null ? undefined : this.#waiters.get(key);
      if (waiter !== undefined) waiter({ error: err });
      // Most handshake errors destroy the socket, but the handshake timeout only reports: a
      // client that sent part of a ClientHello would keep its socket (and, its slot released,
      // outside every connection limit) for as long as it liked.
      socket.destroy();
    });
    return engine;
  }

  #rewatch(): void {
    const files = [...this.#material.files];
    if (this.#settings.configFile !== null) files.push(this.#settings.configFile);
    this.#watch?.close();
    this.#watch =
      files.length === 0
        ? null
        : new FileWatch({
            files,
            ...(this.#options.pollIntervalMs === undefined
              ? {}
              : { pollIntervalMs: this.#options.pollIntervalMs }),
            onChange: () => {
              this.reload();
            },
          });
  }

  /**
   * Re-reads the settings and files; on success new connections use them. A certificate that does
   * not match its key (one of the pair replaced, the other not yet) keeps the old pair until the
   * files agree again.
   */
  reload(): boolean {
    let settings: ServerTlsSettings;
    let material: Material;
    try {
      settings = this.#options.resolveSettings();
      material = buildMaterial(settings, this.#selfSigned);
    } catch (err) {
      const issues = err instanceof TlsConfigError ? err.issues : [String(err)];
      this.#options.logger.error(
        { issues },
        'TLS files refused; the previous certificate stays in use',
      );
      this.#options.onReload?.('failed');
      return false;
    }
    const filesChanged =
      material.files.join('\n') !== this.#material.files.join('\n') ||
      settings.configFile !== this.#settings.configFile;
    const previous = this.#settings;
    this.#settings = settings;
    this.#material = material;
    this.#engine = this.#createEngine(material);
    if (filesChanged) this.#rewatch();
    this.#logInUse('TLS certificate reloaded');
    this.#warnIfPlainBypassesClientAuth(previous);
    this.#options.onReload?.('ok');
    return true;
  }

  #logInUse(msg: string): void {
    const s = this.#settings;
    this.#options.logger.info(
      {
        mode: s.mode,
        certificate: s.selfSigned ? 'self-signed' : s.certPath,
        fingerprint256: this.#material.fingerprint256,
        needClientAuth: s.needClientAuth,
        verifyClients: s.verifyClients,
        trustCertPath: s.trustCertPath,
        fromConfigFile: s.fromConfigFile,
      },
      msg,
    );
  }

  /**
   * Warns when the settings require client certificates of TLS clients while plain clients are
   * served anyway (see the file comment); `previous`: the settings before a reload, which already
   * had that warning when they were in the same state.
   */
  #warnIfPlainBypassesClientAuth(previous: ServerTlsSettings | null): void {
    const s = this.#settings;
    if (!plainBypassesClientAuth(s)) return;
    if (previous !== null && plainBypassesClientAuth(previous)) return;
    this.#options.logger.warn(
      {
        tlsServerMode: s.mode,
        tlsServerNeedClientAuth: s.needClientAuth,
        ...(s.fromConfigFile.includes('tlsServerNeedClientAuth') && s.configFile !== null
          ? { needClientAuthFrom: `tls.server.need.client.auth in ${s.configFile}` }
          : {}),
      },
      PLAIN_BYPASSES_CLIENT_AUTH_WARNING,
    );
  }

  /**
   * Runs the server handshake on `socket` (whose first byte, a TLS record, is still unread) and
   * applies the client certificate rule. Never throws; on failure the socket is destroyed.
   */
  handshake(socket: Socket): Promise<HandshakeResult> {
    const key = connectionKey(socket);
    const settings = this.#settings;
    return new Promise<HandshakeResult>((resolve) => {
      let done = false;
      const finish = (result: HandshakeResult): void => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        socket.off('close', onClose);
        if (key !== null) this.#waiters.delete(key);
        resolve(result);
      };
      // A peer that resets or closes mid-handshake: Node's tlsClientError then names a socket
      // whose address is already gone, so it matches no waiter; without this the connection
      // would hold its place in the connection limits until the deadline below.
      const onClose = (): void => {
        finish({ ok: false, reason: 'handshake-failed', detail: 'closed during the handshake' });
      };
      socket.once('close', onClose);
      // Node's handshakeTimeout reports through tlsClientError; this only catches a socket whose
      // address vanished before the error could be matched to it.
      const deadline = setTimeout(() => {
        socket.destroy();
        finish({ ok: false, reason: 'handshake-failed', detail: 'no handshake result in time' });
      }, settings.handshakeTimeoutMs + 1000);
      deadline.unref();
      // Gone already (e.g. while the self-signed certificate was still being made): its 'close'
      // has been emitted, so nothing below would ever end the handshake but the deadline.
      if (key === null || socket.destroyed) {
        socket.destroy();
        finish({ ok: false, reason: 'handshake-failed', detail: 'socket already closed' });
        return;
      }
      this.#waiters.set(key, (event) => {
        if ('error' in event) {
          socket.destroy(); // as promised above, whatever the TLS layer did with it
          finish({ ok: false, reason: 'handshake-failed', detail: event.error.message });
          return;
        }
        finish(this.#checkClient(event.secure, settings));
      });
      this.#engine.emit('connection', socket);
    });
  }

  #checkClient(tlsSocket: TLSSocket, settings: ServerTlsSettings): HandshakeResult {
    const peer = settings.needClientAuth === 'none' ? null : tlsSocket.getPeerX509Certificate();
    if (settings.needClientAuth === 'require') {
      if (peer === undefined || peer === null) {
        tlsSocket.destroy();
        return {
          ok: false,
          reason: 'client-cert-missing',
          detail: 'tlsServerNeedClientAuth=require and the client sent no certificate',
        };
      }
      if (settings.verifyClients && !tlsSocket.authorized) {
        tlsSocket.destroy();
        return {
          ok: false,
          reason: 'client-cert-rejected',
          detail: `client certificate not trusted: ${String(tlsSocket.authorizationError)}`,
        };
      }
    }
    // The `cert` proof of the access policy: a certificate verified against the operator's own
    // CA file only. Verified against the system CAs (tlsServerAuthClient without a trust file),
    // any certificate bought from a public CA registered brokers (review finding); such a client
    // is let in, but proves nothing.
    const verified =
      peer !== undefined &&
      peer !== null &&
      settings.verifyClients &&
      settings.trustCertPath !== null &&
      tlsSocket.authorized;
    return {
      ok: true,
      socket: tlsSocket,
      clientCert: verified
        ? { subject: peer.subject.split('\n').join(','), fingerprint256: peer.fingerprint256 }
        : null,
    };
  }

  close(): void {
    this.#watch?.close();
    this.#watch = null;
  }
}
