import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { TlsConfigError, resolveServerTlsSettings } from '../../src/security/tls/tls-settings.js';
import type { TlsConfigKeys } from '../../src/security/tls/tls-settings.js';
import { accessControlSettings, SecurityConfigError } from '../../src/security/access-control.js';

function configOf(argv: string[]) {
  return loadConfig({ argv, env: {}, readFile: () => '', homeDir: '/home/u' }).config;
}

const files = (map: Record<string, string>) => (path: string) => map[path] ?? null;

describe('server TLS settings (Java names and semantics)', () => {
  it('defaults: permissive, test mode, self-signed, no client auth, /etc/rocketmq/tls.properties', () => {
    const config = configOf([]);
    expect(config.tlsServerMode).toBe('permissive');
    expect(config.tlsConfigFile).toBe('/etc/rocketmq/tls.properties');
    const s = resolveServerTlsSettings(config, files({}));
    expect(s).toMatchObject({
      mode: 'permissive',
      testMode: true,
      selfSigned: true,
      needClientAuth: 'none',
      verifyClients: false,
      configFile: null,
      fromConfigFile: [],
    });
  });

  it('reads tls.config.file with the Java names; its values win, as in Java; client keys are ignored', () => {
    const config: TlsConfigKeys = configOf([
      '--tlsConfigFile=/etc/rmq/tls.properties',
      '--tlsServerCertPath=/cli/cert.pem',
      '--tlsServerKeyPath=/cli/key.pem',
    ]);
    const s = resolveServerTlsSettings(
      config,
      files({
        '/etc/rmq/tls.properties': [
          'tls.test.mode.enable=false',
          'tls.server.need.client.auth=REQUIRE',
          'tls.server.keyPath=/etc/rmq/server.key',
          'tls.server.keyPassword=pw',
          'tls.server.certPath=/etc/rmq/server.pem',
          'tls.server.authClient=true',
          'tls.server.trustCertPath=/etc/rmq/ca.pem',
          'tls.client.keyPath=/etc/rmq/client.key',
          'tls.server.mode=disabled',
        ].join('\n'),
      }),
    );
    expect(s).toMatchObject({
      mode: 'permissive', // never from the file (Java: neither)
      testMode: false,
      needClientAuth: 'require',
      certPath: '/etc/rmq/server.pem',
      keyPath: '/etc/rmq/server.key',
      keyPassword: 'pw',
      trustCertPath: '/etc/rmq/ca.pem',
      authClient: true,
      selfSigned: false,
      verifyClients: true,
      configFile: '/etc/rmq/tls.properties',
    });
    expect(s.fromConfigFile).toContain('tlsServerCertPath');
  });

  it('a trust path alone turns on client verification (Java would accept any client certificate)', () => {
    const s = resolveServerTlsSettings(
      { ...configOf([]), tlsServerTrustCertPath: '/ca.pem', tlsServerNeedClientAuth: 'optional' },
      files({}),
    );
    expect(s.verifyClients).toBe(true);
  });

  it.each([
    [{ tlsServerCertPath: '/c.pem' }, /tlsServerCertPath is set but tlsServerKeyPath is not/],
    [{ tlsServerKeyPath: '/k.pem' }, /tlsServerKeyPath is set but tlsServerCertPath is not/],
    [{ tlsServerKeyPassword: 'x' }, /tlsServerKeyPassword is set but tlsServerKeyPath is not/],
    [{ tlsTestModeEnable: false }, /needs a certificate/],
  ])('rejects %j', (override, message) => {
    expect(() => resolveServerTlsSettings({ ...configOf([]), ...override }, files({}))).toThrow(
      message,
    );
  });

  it('names the file and line of a bad value in tls.config.file', () => {
    let caught: unknown;
    try {
      resolveServerTlsSettings(
        { ...configOf([]), tlsConfigFile: '/t.properties' },
        files({
          '/t.properties':
            '# tls\ntls.server.need.client.auth=sometimes\ntls.test.mode.enable=yes\n',
        }),
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TlsConfigError);
    expect((caught as TlsConfigError).issues).toEqual([
      "tls.server.need.client.auth (/t.properties line 2): expected one of none, optional, require, got 'sometimes'",
      "tls.test.mode.enable (/t.properties line 3): expected true or false, got 'yes'",
    ]);
  });

  it('test mode off without a certificate is fine when TLS is disabled', () => {
    const s = resolveServerTlsSettings(
      { ...configOf([]), tlsServerMode: 'disabled', tlsTestModeEnable: false },
      files({}),
    );
    expect(s.mode).toBe('disabled');
  });
});

describe('ACL and TLS config keys', () => {
  it('bad policies, addresses and modes stop startup naming the key, the source and what was expected', () => {
    const issues = (argv: string[]): string[] => {
      try {
        configOf(argv);
      } catch (err) {
        return (err as { issues: { message: string }[] }).issues.map((i) => i.message);
      }
      return [];
    };
    expect(issues(['--aclAdminWrite=everyone'])).toEqual([
      "aclAdminWrite: expected 'open' or a comma list of signed, admin, address, cert (e.g. 'signed,address,cert'), got 'everyone' (from --aclAdminWrite)",
    ]);
    expect(issues(['--aclAllowedAddresses=10.0.0.0/8;192.168.*.5'])[0]).toMatch(
      /^aclAllowedAddresses: expected ';'-separated address patterns .*got '10.0.0.0\/8;192.168.\*.5' \(from --aclAllowedAddresses\)$/,
    );
    expect(issues(['--tlsServerMode=strict'])).toEqual([
      "tlsServerMode: expected one of disabled, permissive, enforcing, got 'strict' (from --tlsServerMode)",
    ]);
    expect(issues(['--tlsServerNeedClientAuth=yes'])[0]).toMatch(
      /expected one of none, optional, require/,
    );
  });

  it('aclEnable=false is open whatever the policies say; aclEnable=true needs aclFile', () => {
    expect(
      accessControlSettings(configOf(['--aclAdminWrite=admin'])).policy['admin-write'],
    ).toEqual({ kind: 'open' });
    expect(() => accessControlSettings(configOf(['--aclEnable=true']))).toThrow(
      SecurityConfigError,
    );
    expect(() => accessControlSettings(configOf(['--aclEnable=true']))).toThrow(
      /aclFile: required when aclEnable=true/,
    );
    const s = accessControlSettings(
      configOf([
        '--aclEnable=true',
        '--aclFile=/etc/acl.yml',
        '--aclAllowedAddresses=10.0.0.0/8; 192.168.1.*',
      ]),
    );
    expect(s.enabled).toBe(true);
    expect(s.policy['route-read']).toEqual({ kind: 'open' });
    expect(s.allowedAddresses.matchesIp('192.168.1.7')).toBe(true);
  });
});
