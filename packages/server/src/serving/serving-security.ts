/**
 * Access control and TLS of one serving process, built from the node configuration: every
 * process that serves connections (the owner with servingWorkers = 1, each serving worker
 * otherwise) builds its own, because a TLS session cannot move between processes and each
 * process answers its own requests. The credentials and certificate files are watched (and
 * reloaded) by each process on its own.
 *
 * - `sniff`: what the first-byte sniffer needs (tlsServerMode, the TLS context, the deadline for
 *   the first byte); null with tlsServerMode=disabled, where connections are served as plain
 *   remoting at once (a TLS hello then fails as a malformed frame, with a hint in the log).
 * - `access`: the AccessControl the guarded dispatcher asks per request.
 *
 * The self-signed certificate (TLS on, no certificate configured, tlsTestModeEnable) is made once
 * per node and handed in; while it is still being made, TLS handshakes wait for it and plain
 * connections are served at once.
 */
import { readSecurityFile } from '../security/file-stand-ins.js';
import type { NamesrvConfig } from '../config/index.js';
import { AccessControl, SecurityConfigError } from '../security/access-control.js';
import { AclConfigError } from '../security/acl-config.js';
import type { SecurityLogger } from '../security/security-logger.js';
import type { SecurityMetrics } from '../security/security-metrics.js';
import type { IssuedCertificate } from '../security/tls/certificate-factory.js';
import type { SniffOptions, TlsHandshaker } from '../security/tls/first-byte-sniffer.js';
import { ServerTlsContext } from '../security/tls/server-tls-context.js';
import type { HandshakeResult } from '../security/tls/server-tls-context.js';
import { resolveServerTlsSettings, TlsConfigError } from '../security/tls/tls-settings.js';
import type { ServerTlsSettings } from '../security/tls/tls-settings.js';

/** tls.config.file is read when it exists and skipped otherwise, as in Java. */
export function readOptionalFile(path: string): string | null {
  try {
    return readSecurityFile(path).toString('utf8');
  } catch {
    return null;
  }
}

/** The TLS settings the configuration asks for; throws TlsConfigError naming the keys. */
export function serverTlsSettingsOf(config: NamesrvConfig): ServerTlsSettings {
  return resolveServerTlsSettings(config, readOptionalFile);
}

/**
 * The credentials and certificate files this configuration reads: the ACL file (when access
 * control is on), tls.config.file, the server certificate, key and trust file.
 */
export function securityFilePaths(config: NamesrvConfig): string[] {
  const paths: string[] = [];
  if (config.aclEnable && config.aclFile !== '') paths.push(config.aclFile);
  if (config.tlsServerMode !== 'disabled') {
    const tls = serverTlsSettingsOf(config);
    for (const p of [tls.configFile, tls.certPath, tls.keyPath, tls.trustCertPath]) {
      if (p !== null) paths.push(p);
    }
  }
  return paths;
}

/** Whether a node with this configuration needs a self-signed certificate made at start. */
export function needsSelfSignedCertificate(settings: ServerTlsSettings): boolean {
  return settings.mode !== 'disabled' && settings.selfSigned;
}

/**
 * The message of a security setup error (bad acl* or tls* value, unreadable credentials or
 * certificate files), naming the key or file; null for any other error.
 */
export function describeSecurityError(err: unknown): string | null {
  if (err instanceof SecurityConfigError) return err.message;
  if (err instanceof AclConfigError) return `aclFile ${err.message}`;
  if (err instanceof TlsConfigError) return err.message;
  return null;
}

export interface ServingSecurityInit {
  readonly config: NamesrvConfig;
  /** Sniffer, credentials and certificate messages. */
  readonly logger: SecurityLogger;
  /** The dedicated audit logger. */
  readonly auditLogger: SecurityLogger;
  readonly metrics: SecurityMetrics;
  /** The node's self-signed certificate, made or being made; null when none is needed. */
  readonly selfSigned: IssuedCertificate | Promise<IssuedCertificate> | null;
  /** Poll period of the file checks (ms); default 2000 (changes are also watched). */
  readonly pollIntervalMs?: number;
  /** The node's serving processes (each audits its share of the node's bound); default 1. */
  readonly servingProcesses?: number;
  /**
   * Whether the startup lines (what is in force, and warnings about it) are logged; default
   * true. A node with several serving processes has one of them say it, once per node.
   */
  readonly announce?: boolean;
}

export class ServingSecurity {
  readonly access: AccessControl;
  readonly metrics: SecurityMetrics;
  readonly tlsSettings: ServerTlsSettings;
  /** Null with tlsServerMode=disabled (no sniffing). */
  readonly sniff: SniffOptions | null;
  private tls: ServerTlsContext | null = null;
  private closed = false;

  /** Throws SecurityConfigError, AclConfigError or TlsConfigError (see describeSecurityError). */
  constructor(init: ServingSecurityInit) {
    const { config, logger, metrics } = init;
    this.metrics = metrics;
    const poll = init.pollIntervalMs === undefined ? {} : { pollIntervalMs: init.pollIntervalMs };
    const announce = init.announce === undefined ? {} : { announce: init.announce };
    this.tlsSettings = serverTlsSettingsOf(config);
    const settings = this.tlsSettings;
    let handshaker: TlsHandshaker | null = null;
    if (settings.mode !== 'disabled') {
      const tlsOptions = {
        resolveSettings: () => serverTlsSettingsOf(config),
        logger,
        ...announce,
        onReload: (result: 'ok' | 'failed') => {
          metrics.reload('tls', result);
        },
        ...poll,
      };
      const selfSigned = needsSelfSignedCertificate(settings) ? init.selfSigned : null;
      if (needsSelfSignedCertificate(settings) && selfSigned === null) {
        throw new TlsConfigError(['no certificate configured and no self-signed one made']);
      }
      if (selfSigned instanceof Promise) {
        handshaker = this.deferredTls(selfSigned, tlsOptions, logger);
      } else {
        this.tls = ServerTlsContext.open(tlsOptions, selfSigned);
        handshaker = this.tls;
      }
    }
    try {
      this.access = new AccessControl({
        keys: config,
        logger,
        auditLogger: init.auditLogger,
        metrics,
        tlsVerifiesClients:
          settings.mode !== 'disabled' && settings.verifyClients && settings.trustCertPath !== null,
        servingProcesses: init.servingProcesses ?? 1,
        ...announce,
        ...poll,
      });
    } catch (err) {
      this.tls?.close();
      throw err;
    }
    const idle = config.serverChannelMaxIdleTimeSeconds * 1000;
    this.sniff =
      handshaker === null
        ? null
        : {
            mode: settings.mode,
            tls: handshaker,
            // Never longer than the idle timer would have allowed a silent connection.
            firstByteTimeoutMs:
              idle > 0
                ? Math.min(config.tlsHandshakeTimeoutMillis, idle)
                : config.tlsHandshakeTimeoutMillis,
            logger,
          };
  }

  /** The TLS context in use (null while the self-signed certificate is being made, or off). */
  get tlsContext(): ServerTlsContext | null {
    return this.tls;
  }

  /** Stops watching the credentials and certificate files. */
  close(): void {
    this.closed = true;
    this.access.close();
    this.tls?.close();
  }

  private deferredTls(
    selfSigned: Promise<IssuedCertificate>,
    options: Parameters<typeof ServerTlsContext.open>[0],
    logger: SecurityLogger,
  ): TlsHandshaker {
    const ready: Promise<ServerTlsContext | Error> = selfSigned.then(
      (cert) => {
        if (this.closed) return new Error('closed');
        try {
          this.tls = ServerTlsContext.open(options, cert);
          return this.tls;
        } catch (err) {
          logger.error({ err }, 'TLS could not be set up with the self-signed certificate');
          return err instanceof Error ? err : new Error(String(err));
        }
      },
      (err: unknown) => {
        logger.error({ err }, 'the self-signed TLS certificate could not be made; TLS refused');
        return err instanceof Error ? err : new Error(String(err));
      },
    );
    return {
      handshake: async (socket): Promise<HandshakeResult> => {
        const tls = await ready;
        if (tls instanceof Error) {
          socket.destroy();
          return {
            ok: false,
            reason: 'handshake-failed',
            detail: `no certificate: ${tls.message}`,
          };
        }
        return tls.handshake(socket);
      },
    };
  }
}
