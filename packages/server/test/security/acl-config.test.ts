import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AclConfigError, AclConfigFile, parseAclConfig } from '../../src/security/acl-config.js';
import { waitUntil, recordingLogger } from './security-helpers.js';

/** The official distribution's conf/plain_acl.yml (RocketMQ 4.9 / 5.x, ACL 1.0). */
const STOCK_PLAIN_ACL = `
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      # the group should convert to retry topic
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB

  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    # if it is admin, it could access all resources
    admin: true
`;

function issuesOf(text: string): readonly string[] {
  try {
    parseAclConfig(text, '/etc/acl.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(AclConfigError);
    return (err as AclConfigError).issues;
  }
  throw new Error('expected an AclConfigError');
}

describe('plain_acl.yml parsing', () => {
  it('reads the official distribution file as Java does (numbers stay strings)', () => {
    const cfg = parseAclConfig(STOCK_PLAIN_ACL, '/conf/plain_acl.yml');
    expect(cfg.file).toBe('/conf/plain_acl.yml');
    expect(cfg.globalWhiteRemoteAddresses.matchers.map((m) => m.source)).toEqual([
      '10.10.103.*',
      '192.168.0.*',
    ]);
    const rocketmq = cfg.accounts.get('RocketMQ')!;
    expect(rocketmq.secretKey).toBe('12345678');
    expect(rocketmq.admin).toBe(false);
    expect(rocketmq.whiteRemoteAddresses.matchesIp('192.168.1.5')).toBe(false);
    const admin = cfg.accounts.get('rocketmq2')!;
    expect(admin.admin).toBe(true);
    expect(admin.whiteRemoteAddress).toBe('192.168.1.*');
    expect(admin.whiteRemoteAddresses.matchesIp('192.168.1.5')).toBe(true);
  });

  it('keeps leading zeros and YAML 1.1 booleans the way SnakeYAML does for String/boolean fields', () => {
    const cfg = parseAclConfig(
      'accounts:\n  - accessKey: 0123456\n    secretKey: 0x12345678\n    admin: yes\n',
      'f',
    );
    const a = cfg.accounts.get('0123456')!;
    expect(a.secretKey).toBe('0x12345678');
    expect(a.admin).toBe(true);
  });

  it('refuses a file without data, as Java does ("file is not data"), and takes an empty account list', () => {
    expect(issuesOf('')).toEqual(['the file is empty (no YAML document)']);
    expect(issuesOf('# nothing\n')).toEqual(['the file is empty (no YAML document)']);
    expect(issuesOf('{}\n')).toEqual(['the file holds an empty mapping (no data)']);
    expect(parseAclConfig('accounts: []\n', 'f').accounts.size).toBe(0);
  });

  it('names the file, account index and field, and never echoes a secret', () => {
    const issues = issuesOf(
      'accounts:\n  - accessKey: short\n    secretKey: s3cr\n  - accessKey: fine-access\n    secretKey: fine-secret\n    admin: maybe\n',
    );
    expect(issues).toEqual([
      'accounts[0].accessKey: expected a string of at least 7 characters, got "short"',
      'accounts[0].secretKey: expected a string of at least 7 characters, got 4 characters',
      'accounts[1].admin: expected true or false, got "maybe"',
    ]);
    expect(issues.join(' ')).not.toContain('s3cr');
    try {
      parseAclConfig('accounts:\n  - accessKey: short\n', '/etc/acl.yml');
    } catch (err) {
      expect((err as Error).message).toMatch(/^\/etc\/acl\.yml: accounts\[0\]/);
    }
  });

  it.each([
    ['accounts: {a: b}', /accounts: expected a list of accounts/],
    ['accounts:\n  - just-a-string', /accounts\[0\]: expected a mapping/],
    ['acounts: []', /unknown key "acounts"/],
    [
      'accounts:\n  - accessKey: abcdefg\n    secretKey: abcdefg\n    secrtKey: x',
      /accounts\[0\]: unknown key "secrtKey"/,
    ],
    [
      'accounts:\n  - accessKey: abcdefg\n    secretKey: abcdefg\n  - accessKey: abcdefg\n    secretKey: hijklmn',
      /accounts\[1\].accessKey: "abcdefg" is already defined/,
    ],
    [
      'accounts:\n  - accessKey: abcdefg\n    secretKey: abcdefg\n    whiteRemoteAddress: 10.0.0.300',
      /accounts\[0\].whiteRemoteAddress: "10.0.0.300"/,
    ],
    [
      'globalWhiteRemoteAddresses:\n  - 192.168.*.5',
      /globalWhiteRemoteAddresses\[0\]: "192.168.\*.5": only \*/,
    ],
    ['globalWhiteRemoteAddresses: 10.0.0.1', /globalWhiteRemoteAddresses: expected a list/],
    [
      'accounts:\n  - accessKey: abcdefg\n    secretKey: abcdefg\n    defaultTopicPerm: ALL',
      /defaultTopicPerm: expected DENY, PUB, SUB or PUB\|SUB/,
    ],
    [
      'accounts:\n  - accessKey: abcdefg\n    secretKey: abcdefg\n    topicPerms: [topicA]',
      /topicPerms: expected a list of name=PERM/,
    ],
    ['accounts: [\n', /not valid YAML/],
    ['- a\n- b', /expected a mapping at the top/],
    ['accounts: []\naccounts: []', /not valid YAML/],
  ])('rejects %j', (text, issue) => {
    expect(issuesOf(text).join('\n')).toMatch(issue);
  });
});

describe('AclConfigFile reload', () => {
  const dirs: string[] = [];
  const files: AclConfigFile[] = [];
  afterEach(() => {
    for (const f of files.splice(0)) f.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function setup(initial: string): { path: string; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'ns-acl-'));
    dirs.push(dir);
    const path = join(dir, 'plain_acl.yml');
    writeFileSync(path, initial);
    return { path, dir };
  }

  const ACCOUNT = (ak: string): string =>
    `accounts:\n  - accessKey: ${ak}\n    secretKey: secret-${ak}\n    admin: true\n`;

  it('refuses to start with a bad file', () => {
    const { path } = setup('accounts:\n  - accessKey: x\n');
    expect(() => new AclConfigFile({ file: path, logger: recordingLogger().logger })).toThrow(
      AclConfigError,
    );
    expect(
      () => new AclConfigFile({ file: `${path}.missing`, logger: recordingLogger().logger }),
    ).toThrow(/cannot read the file/);
  });

  it('picks up a rewritten file, keeps the last good one when the new one is bad, and never logs secrets', async () => {
    const { path } = setup(ACCOUNT('first-key'));
    const log = recordingLogger();
    const reloads: number[] = [];
    const failures: string[] = [];
    const acl = new AclConfigFile({
      file: path,
      logger: log.logger,
      pollIntervalMs: 100,
      onReload: (c) => reloads.push(c.accounts.size),
      onReloadFailed: (e) => failures.push(e.issues.join()),
    });
    files.push(acl);
    expect([...acl.current.accounts.keys()]).toEqual(['first-key']);

    writeFileSync(path, ACCOUNT('second-key'));
    await waitUntil(() => acl.current.accounts.has('second-key'), 'the rewritten file to load');
    expect(acl.current.accounts.has('first-key')).toBe(false);

    writeFileSync(path, 'accounts:\n  - accessKey: bad\n    secretKey: leaked-secret-1\n');
    await waitUntil(() => failures.length > 0, 'the bad file to be refused');
    expect(acl.current.accounts.has('second-key')).toBe(true);
    expect(failures[0]).toMatch(/accounts\[0\].accessKey/);

    // Editors and ConfigMaps replace the file by rename: still noticed.
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, ACCOUNT('third-key'));
    renameSync(tmp, path);
    await waitUntil(() => acl.current.accounts.has('third-key'), 'the renamed-in file to load');

    const logged = JSON.stringify(log.lines);
    expect(logged).toContain('credentials file refused');
    expect(logged).not.toContain('secret-first-key');
    expect(logged).not.toContain('secret-third-key');
    expect(logged).not.toContain('leaked-secret-1');
    expect(reloads.length).toBeGreaterThanOrEqual(2);
  });

  it('applies a file rewritten in place only once it reads the same twice: a valid prefix is never applied', async () => {
    const { path } = setup(`globalWhiteRemoteAddresses:\n  - 10.0.0.0/16\n${ACCOUNT('key-one')}`);
    const seen: string[][] = [];
    const acl = new AclConfigFile({
      file: path,
      logger: recordingLogger().logger,
      pollIntervalMs: 50,
      reloadSettleMs: 1_500,
      onReload: (c) => seen.push(c.globalWhiteRemoteAddresses.matchers.map((m) => m.source)),
    });
    files.push(acl);
    // Half-written for a while: a prefix that is a valid file itself, its /16 cut to a /1.
    writeFileSync(path, 'globalWhiteRemoteAddresses:\n  - 10.1.0.0/1');
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(path, `globalWhiteRemoteAddresses:\n  - 10.1.0.0/16\n${ACCOUNT('key-one')}`);
    await waitUntil(() => seen.length > 0, 'the rewritten file to load');
    expect(seen).toEqual([['10.1.0.0/16']]);
    expect(acl.current.globalWhiteRemoteAddresses.matchers.map((m) => m.source)).toEqual([
      '10.1.0.0/16',
    ]);
  });

  it('does not reload when the content is unchanged (touch)', async () => {
    const { path } = setup(ACCOUNT('same-key'));
    let reloads = 0;
    const acl = new AclConfigFile({
      file: path,
      logger: recordingLogger().logger,
      pollIntervalMs: 50,
      onReload: () => reloads++,
    });
    files.push(acl);
    writeFileSync(path, ACCOUNT('same-key'));
    acl.reload(); // an explicit reload always re-reads
    expect(reloads).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(reloads).toBe(1);
  });
});
