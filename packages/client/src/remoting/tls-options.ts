/**
 * TLS for the remoting client (nsadmin, NameServerClient, the broker agent).
 *
 * Defaults follow the Java client (`TlsHelper.buildSslContext(forClient)`):
 * - no `ca` (Java's default test mode, tls.test.mode.enable=true): the connection is encrypted
 *   but the server's certificate is not checked, so a node serving its self-signed certificate
 *   works out of the box. This does not stop an active man in the middle;
 * - with `ca` (Java tls.client.authServer=true + tls.client.trustCertPath): the server's chain
 *   must verify against it, and, unlike Java (which never checks names), the host name or IP
 *   must be in the certificate unless `checkServerIdentity: false`;
 * - `rejectUnauthorized: true` without `ca` verifies against Node's bundled public CAs;
 * - `cert` + `key` (Java tls.client.certPath/keyPath) present a client certificate, for nodes
 *   with tlsServerNeedClientAuth=require/optional.
 */
import { connect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionError } from '../errors.js';
import type { SocketFactory } from './socket-factory.js';

export interface ClientTlsOptions {
  /** Trusted CA certificate(s), PEM. Turns on verification of the server. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate chain (PEM), for mutual TLS. */
  readonly cert?: string | Buffer;
  /** Client private key (PEM), for mutual TLS. */
  readonly key?: string | Buffer;
  /** Password of an encrypted `key`. */
  readonly passphrase?: string;
  /** SNI name and the name checked against the certificate; default: the host connected to. */
  readonly servername?: string;
  /** Verify the server's chain. Default: true when `ca` is given, false otherwise (Java test mode). */
  readonly rejectUnauthorized?: boolean;
  /** When verifying, also require the host name/IP in the certificate. Default true. */
  readonly checkServerIdentity?: boolean;
}

/** Checks the options; throws InvalidOptionError naming the problem. */
export function checkTlsOptions(tls: ClientTlsOptions, name = 'tls'): ClientTlsOptions {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new InvalidOptionError(
      name,
      `${name}: give both cert and key for a client certificate, or neither`,
    );
  }
  if (tls.passphrase !== undefined && tls.key === undefined) {
    throw new InvalidOptionError(name, `${name}.passphrase: given without a key`);
  }
  return tls;
}

/** Whether these options verify the server (for logs and CLI messages). */
export function verifiesServer(tls: ClientTlsOptions): boolean {
  return tls.rejectUnauthorized ?? tls.ca !== undefined;
}

export function tlsConnectionOptions(
  tls: ClientTlsOptions,
  host: string,
  port: number,
): ConnectionOptions {
  const verify = verifiesServer(tls);
  const isIp = /^[\d.]+$|:/.test(host);
  const servername = tls.servername ?? (isIp ? undefined : host);
  return {
    host,
    port,
    rejectUnauthorized: verify,
    ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    ...(servername === undefined ? {} : { servername }),
    ...(verify && tls.checkServerIdentity === false
      ? { checkServerIdentity: () => undefined }
      : {}),
  };
}

/** A SocketFactory that opens TLS connections. */
export function tlsSocketFactory(tls: ClientTlsOptions): SocketFactory {
  checkTlsOptions(tls);
  return ({ host, port }) => {
    const socket = connect(tlsConnectionOptions(tls, host, port));
    // Nagle would delay small request frames behind unacknowledged ones; Java sets TCP_NODELAY too.
    socket.setNoDelay(true);
    return socket;
  };
}
