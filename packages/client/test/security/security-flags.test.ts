/**
 * Security flags shared by nsadmin and ns-broker-agent: an empty value is refused (it read as
 * "not given" and silently turned TLS or signing off), and messages name the flag as the CLI at
 * hand spells it.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  credentialsFromCli,
  SecurityOptionError,
  tlsFromCli,
} from '../../src/cli/security-options.js';

const KEBAB = {
  accessKey: '--access-key',
  secretKey: '--secret-key',
  toolsYml: '--tools-yml',
  tls: '--tls',
  tlsCa: '--tls-ca',
  tlsCert: '--tls-cert',
  tlsKey: '--tls-key',
  tlsServerName: '--tls-server-name',
};
const noFile = (path: string): string => {
  throw new Error(`read ${path}`);
};

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SecurityOptionError);
    return (err as Error).message;
  }
  throw new Error('did not throw');
}

describe('security flags', () => {
  it.each(['tlsCa', 'tlsCert', 'tlsKey', 'tlsServerName'] as const)(
    'an empty %s is refused, not read as absent',
    (name) => {
      expect(messageOf(() => tlsFromCli({ [name]: '' }, { readFile: noFile }))).toBe(
        `--${name}: expected a value, got an empty one`,
      );
      expect(messageOf(() => tlsFromCli({ [name]: ' ' }, { readFile: noFile, flags: KEBAB }))).toBe(
        `${KEBAB[name]}: expected a value, got an empty one`,
      );
    },
  );

  it.each(['accessKey', 'secretKey', 'toolsYml'] as const)(
    'an empty %s is refused, even when the environment has credentials',
    (name) => {
      const env = { NS_ACCESS_KEY: 'ak', NS_SECRET_KEY: 'sk' };
      expect(messageOf(() => credentialsFromCli({ [name]: '' }, env, { readFile: noFile }))).toBe(
        `--${name}: expected a value, got an empty one`,
      );
    },
  );

  it("names the flags as the caller's command line spells them", () => {
    expect(messageOf(() => credentialsFromCli({ secretKey: 's' }, {}, { flags: KEBAB }))).toBe(
      '--secret-key needs --access-key',
    );
    expect(messageOf(() => credentialsFromCli({ accessKey: 'a' }, {}, { flags: KEBAB }))).toBe(
      '--access-key needs --secret-key (or NS_SECRET_KEY)',
    );
    expect(messageOf(() => tlsFromCli({ tlsCert: '/c.pem' }, { flags: KEBAB }))).toBe(
      '--tls-cert and --tls-key go together',
    );
    expect(
      messageOf(() => tlsFromCli({ tlsCa: '/ca.pem' }, { readFile: noFile, flags: KEBAB })),
    ).toBe('--tls-ca /ca.pem: cannot read (read /ca.pem)');
    expect(
      messageOf(() =>
        credentialsFromCli({ toolsYml: '/t.yml' }, {}, { readFile: noFile, flags: KEBAB }),
      ),
    ).toBe('--tools-yml /t.yml: cannot read (read /t.yml)');
    // From the environment, the message names the variable.
    expect(
      messageOf(() => credentialsFromCli({}, { NS_TOOLS_YML: '/e.yml' }, { readFile: noFile })),
    ).toBe('NS_TOOLS_YML /e.yml: cannot read (read /e.yml)');
  });

  it('nsadmin exits 2 on an empty --tlsCa instead of connecting in plain', async () => {
    let err = '';
    const code = await main(['clusterList', '-n', '127.0.0.1:1', '--tlsCa', ''], {
      stdout: { write: () => undefined },
      stderr: { write: (t: string) => (err += t) },
      env: {},
    });
    expect({ code, err }).toEqual({
      code: 2,
      err: 'nsadmin: clusterList: --tlsCa: expected a value, got an empty one\n',
    });
  });
});
