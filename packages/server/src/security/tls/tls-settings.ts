/**
 * Server TLS settings with Java's names and semantics (`TlsSystemConfig`, `TlsHelper`):
 *
 * | our config key | Java name | default |
 * | --- | --- | --- |
 * | tlsServerMode | tls.server.mode | permissive (plain and TLS on one port) |
 * | tlsConfigFile | tls.config.file | /etc/rocketmq/tls.properties (read when it exists) |
 * | tlsTestModeEnable | tls.test.mode.enable | true |
 * | tlsServerCertPath | tls.server.certPath | unset |
 * | tlsServerKeyPath | tls.server.keyPath | unset |
 * | tlsServerKeyPassword | tls.server.keyPassword | unset |
 * | tlsServerTrustCertPath | tls.server.trustCertPath | unset |
 * | tlsServerNeedClientAuth | tls.server.need.client.auth | none |
 * | tlsServerAuthClient | tls.server.authClient | false |
 *
 * As in Java, the file named by tlsConfigFile is Java properties text with the Java names, and
 * its values win over the configuration (Java: over the -D system properties); tls.server.mode
 * and tls.enable are not read from it; tls.client.* entries are for clients and ignored here.
 * A missing file is skipped, as Java does.
 *
 * Where we differ from Java, on purpose:
 * - a configured certificate is served even in test mode (Java's test mode ignores it and serves
 *   a self-signed one); test mode only allows the self-signed fallback when none is configured;
 * - test mode off with TLS on and no certificate is a startup error (Java logs an error and
 *   serves no TLS at all);
 * - a trustCertPath always means client certificates are verified against it (Java only does so
 *   with tls.server.authClient=true and otherwise accepts any client certificate);
 * - bad values are errors naming the key and its source (Java reads any unknown
 *   need.client.auth as none and any boolean other than "true" as false).
 */
import { parsePropertiesEntries } from '@ns/protocol';

export const TLS_SERVER_MODES = ['disabled', 'permissive', 'enforcing'] as const;
export type TlsServerMode = (typeof TLS_SERVER_MODES)[number];
export const CLIENT_AUTH_MODES = ['none', 'optional', 'require'] as const;
export type ClientAuthMode = (typeof CLIENT_AUTH_MODES)[number];

/** The TLS part of the node configuration (NamesrvConfig has these keys). */
export interface TlsConfigKeys {
  readonly tlsServerMode: TlsServerMode;
  readonly tlsConfigFile: string;
  readonly tlsTestModeEnable: boolean;
  readonly tlsServerCertPath: string;
  readonly tlsServerKeyPath: string;
  readonly tlsServerKeyPassword: string;
  readonly tlsServerTrustCertPath: string;
  readonly tlsServerNeedClientAuth: ClientAuthMode;
  readonly tlsServerAuthClient: boolean;
  readonly tlsHandshakeTimeoutMillis: number;
}

/** Java name → our key, for the keys tls.config.file may set. */
export const JAVA_TLS_FILE_KEYS = {
  'tls.test.mode.enable': 'tlsTestModeEnable',
  'tls.server.need.client.auth': 'tlsServerNeedClientAuth',
  'tls.server.keyPath': 'tlsServerKeyPath',
  'tls.server.keyPassword': 'tlsServerKeyPassword',
  'tls.server.certPath': 'tlsServerCertPath',
  'tls.server.authClient': 'tlsServerAuthClient',
  'tls.server.trustCertPath': 'tlsServerTrustCertPath',
} as const satisfies Record<string, keyof TlsConfigKeys>;

export interface ServerTlsSettings {
  readonly mode: TlsServerMode;
  readonly testMode: boolean;
  readonly certPath: string | null;
  readonly keyPath: string | null;
  readonly keyPassword: string | null;
  readonly trustCertPath: string | null;
  readonly needClientAuth: ClientAuthMode;
  readonly authClient: boolean;
  readonly handshakeTimeoutMs: number;
  /** The tls.config.file that was read, or null when absent. */
  readonly configFile: string | null;
  /** Keys whose value came from that file. */
  readonly fromConfigFile: readonly string[];
  /** No certificate configured: serve a self-signed one. */
  readonly selfSigned: boolean;
  /** Client certificates are checked against trustCertPath (or the system CAs). */
  readonly verifyClients: boolean;
}

export class TlsConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`TLS configuration: ${issues.join('; ')}`);
    this.name = 'TlsConfigError';
  }
}

/**
 * Combines the config keys with tls.config.file. `readFile` returns the file's text, or null when
 * it does not exist or cannot be read (then it is skipped, as in Java).
 */
export function resolveServerTlsSettings(
  keys: TlsConfigKeys,
  readFile: (path: string) => string | null,
): ServerTlsSettings {
  const issues: string[] = [];
  const values: Record<string, string | boolean> = {
    tlsTestModeEnable: keys.tlsTestModeEnable,
    tlsServerNeedClientAuth: keys.tlsServerNeedClientAuth,
    tlsServerKeyPath: keys.tlsServerKeyPath,
    tlsServerKeyPassword: keys.tlsServerKeyPassword,
    tlsServerCertPath: keys.tlsServerCertPath,
    tlsServerAuthClient: keys.tlsServerAuthClient,
    tlsServerTrustCertPath: keys.tlsServerTrustCertPath,
  };
  const fromFile: string[] = [];
  const file = keys.tlsConfigFile.trim();
  const text = file === '' ? null : readFile(file);
  if (text !== null) {
    for (const { key, value, line } of parsePropertiesEntries(text)) {
      if (!Object.hasOwn(JAVA_TLS_FILE_KEYS, key)) continue;
      const ours = JAVA_TLS_FILE_KEYS[key as keyof typeof JAVA_TLS_FILE_KEYS];
      const v = value.trim();
      const at = `${key} (${file} line ${line})`;
      if (ours === 'tlsTestModeEnable' || ours === 'tlsServerAuthClient') {
        if (v !== 'true' && v !== 'false') {
          issues.push(`${at}: expected true or false, got '${v}'`);
          continue;
        }
        values[ours] = v === 'true';
      } else if (ours === 'tlsServerNeedClientAuth') {
        const lower = v.toLowerCase();
        if (!(CLIENT_AUTH_MODES as readonly string[]).includes(lower)) {
          issues.push(`${at}: expected one of ${CLIENT_AUTH_MODES.join(', ')}, got '${v}'`);
          continue;
        }
        values[ours] = lower;
      } else {
        values[ours] = v;
      }
      if (!fromFile.includes(ours)) fromFile.push(ours);
    }
  }
  const str = (k: string): string | null => {
    const v = values[k];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
  };
  const from = (k: string): string => (fromFile.includes(k) ? ` (from ${file})` : '');
  const certPath = str('tlsServerCertPath');
  const keyPath = str('tlsServerKeyPath');
  const keyPassword =
    typeof values['tlsServerKeyPassword'] === 'string' && values['tlsServerKeyPassword'] !== ''
      ? values['tlsServerKeyPassword']
      : null;
  const trustCertPath = str('tlsServerTrustCertPath');
  const testMode = values['tlsTestModeEnable'] === true;
  const authClient = values['tlsServerAuthClient'] === true;
  const needClientAuth = values['tlsServerNeedClientAuth'] as ClientAuthMode;

  if ((certPath === null) !== (keyPath === null)) {
    issues.push(
      certPath === null
        ? `tlsServerKeyPath${from('tlsServerKeyPath')} is set but tlsServerCertPath is not: set both or neither`
        : `tlsServerCertPath${from('tlsServerCertPath')} is set but tlsServerKeyPath is not: set both or neither`,
    );
  }
  if (keyPassword !== null && keyPath === null) {
    issues.push('tlsServerKeyPassword is set but tlsServerKeyPath is not');
  }
  const selfSigned = certPath === null && keyPath === null;
  if (selfSigned && !testMode && keys.tlsServerMode !== 'disabled') {
    issues.push(
      `tlsServerMode=${keys.tlsServerMode} with tlsTestModeEnable=false${from('tlsTestModeEnable')} needs a certificate: ` +
        'set tlsServerCertPath and tlsServerKeyPath, or tlsTestModeEnable=true to serve a self-signed one, or tlsServerMode=disabled',
    );
  }
  if (!Number.isInteger(keys.tlsHandshakeTimeoutMillis) || keys.tlsHandshakeTimeoutMillis < 1) {
    issues.push(
      `tlsHandshakeTimeoutMillis: expected a positive integer, got ${keys.tlsHandshakeTimeoutMillis}`,
    );
  }
  if (issues.length > 0) throw new TlsConfigError(issues);
  return {
    mode: keys.tlsServerMode,
    testMode,
    certPath,
    keyPath,
    keyPassword,
    trustCertPath,
    needClientAuth,
    authClient,
    handshakeTimeoutMs: keys.tlsHandshakeTimeoutMillis,
    configFile: text === null ? null : file,
    fromConfigFile: fromFile,
    selfSigned,
    verifyClients: needClientAuth !== 'none' && (trustCertPath !== null || authClient),
  };
}
