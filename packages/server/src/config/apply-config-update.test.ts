import { describe, expect, it } from 'vitest';
import { decodePropertiesBody } from '@ns/protocol';
import { loadFixture } from '../../../protocol/test/fixtures.js';
import type { FixtureSet } from '../../../protocol/test/fixtures.js';
import {
  applyConfigUpdate,
  REMARK_BLACK_LIST,
  REMARK_CONFIG_PATH,
  REMARK_UPDATE_DISABLED,
} from './apply-config-update.js';
import { loadConfig } from './load-config.js';
import type { NamesrvConfig } from './schema.js';

/** Body of the request of a captured exchange (4.9.7 unless said otherwise). */
function requestBody(name: string, set: FixtureSet = 'rocketmq-4.9.7'): Buffer {
  const frame = loadFixture(name, set).request;
  const headerLength = frame.readUInt32BE(4) & 0xffffff;
  return frame.subarray(8 + headerLength);
}

function config(argv: string[] = []): NamesrvConfig {
  return loadConfig({ argv, env: {}, homeDir: '/home/u', readFile: () => '' }).config;
}

function props(text: string): Map<string, string> {
  return decodePropertiesBody(Buffer.from(text, 'utf8'));
}

describe('applyConfigUpdate', () => {
  it('applies the mqadmin updateNamesrvConfig fixture (orderMessageEnable=true)', () => {
    const current = config();
    const result = applyConfigUpdate(
      current,
      decodePropertiesBody(requestBody('update-namesrv-config')),
    );
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.changedKeys).toEqual(['orderMessageEnable']);
    expect(result.config.orderMessageEnable).toBe(true);
    expect(Object.isFrozen(result.config)).toBe(true);
    expect(current.orderMessageEnable).toBe(false);
    expect({ ...result.config, orderMessageEnable: false }).toEqual({ ...current });
  });

  it('answers the 4.9.7 remark for a path key under compatibilityLine=4.9 (its fixture)', () => {
    const result = applyConfigUpdate(
      config(['--compatibilityLine=4.9']),
      decodePropertiesBody(requestBody('update-namesrv-config-forbidden')),
    );
    expect(result).toEqual({ kind: 'denied', remark: 'Can not update config path' });
  });

  it('answers the 5.3.3 remark for a path key under compatibilityLine=5.x (its fixture)', () => {
    const result = applyConfigUpdate(
      config(),
      decodePropertiesBody(requestBody('update-namesrv-config-forbidden', 'rocketmq-5.3.3')),
    );
    expect(result).toEqual({ kind: 'denied', remark: 'Can not update config in black list.' });
  });

  it('applies several live keys at once and reports only real changes', () => {
    const result = applyConfigUpdate(
      config(),
      props(
        'enableTopicList=false\nenableAllTopicList=true\nlogLevel=DEBUG\ndeleteTopicWithBrokerRegistration=true\nreturnOrderTopicConfigToBroker = false\n',
      ),
    );
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect([...result.changedKeys].sort()).toEqual([
      'deleteTopicWithBrokerRegistration',
      'enableTopicList',
      'logLevel',
      'returnOrderTopicConfigToBroker',
    ]);
    expect(result.config.logLevel).toBe('debug');
  });

  it('returns the same object when nothing changes (and for an empty body)', () => {
    const current = config();
    expect(applyConfigUpdate(current, props('orderMessageEnable=false\n'))).toEqual({
      kind: 'ok',
      config: current,
      changedKeys: [],
    });
    const empty = applyConfigUpdate(current, new Map());
    expect(empty.kind === 'ok' && empty.config === current).toBe(true);
  });

  it('refuses non-live, unknown and black-listed keys, all or nothing', () => {
    const current = config();
    expect(applyConfigUpdate(current, props('orderMessageEnable=true\nlistenPort=1\n'))).toEqual({
      kind: 'denied',
      remark: 'Can not update config at runtime: listenPort',
    });
    expect(applyConfigUpdate(current, props('noSuchKey=1\nserverWorkerThreads=1\n'))).toEqual({
      kind: 'denied',
      remark: 'Can not update config at runtime: noSuchKey, serverWorkerThreads',
    });
    expect(applyConfigUpdate(current, props('rocketmqHome=/tmp\n'))).toEqual({
      kind: 'denied',
      remark: REMARK_BLACK_LIST,
    });
    expect(applyConfigUpdate(current, props('configBlackList=\n'))).toEqual({
      kind: 'denied',
      remark: REMARK_BLACK_LIST,
    });
    expect(applyConfigUpdate(current, props('configStorePath=/tmp/x\n'))).toEqual({
      kind: 'denied',
      remark: REMARK_BLACK_LIST,
    });
    expect(
      applyConfigUpdate(config(['--compatibilityLine=4.9']), props('configStorePath=/tmp/x\n')),
    ).toEqual({ kind: 'denied', remark: REMARK_CONFIG_PATH });
    const huge = props(Array.from({ length: 50 }, (_, i) => `k${i}=1`).join('\n'));
    const denied = applyConfigUpdate(current, huge);
    expect(denied).toEqual({
      kind: 'denied',
      remark: 'Can not update config at runtime: k0, k1, k2, k3, k4, ... (50 keys)',
    });
  });

  it('honours extra entries of configBlackList', () => {
    const current = config([
      '--configBlackList',
      'configBlackList; orderMessageEnable ;kvConfigPath',
    ]);
    expect(applyConfigUpdate(current, props('orderMessageEnable=true\n'))).toEqual({
      kind: 'denied',
      remark: REMARK_BLACK_LIST,
    });
  });

  it('reports bad values as invalid, naming the key', () => {
    expect(applyConfigUpdate(config(), props('orderMessageEnable=yes\n'))).toEqual({
      kind: 'invalid',
      remark: "orderMessageEnable: expected true or false, got 'yes' (from UPDATE_NAMESRV_CONFIG)",
    });
  });

  it('refuses everything when updateNamesrvConfigEnable is false', () => {
    expect(
      applyConfigUpdate(
        config(['--updateNamesrvConfigEnable=false']),
        props('orderMessageEnable=true\n'),
      ),
    ).toEqual({ kind: 'denied', remark: REMARK_UPDATE_DISABLED });
  });
});

describe('published attacks are denied and change nothing', () => {
  // CVE-2023-37582 (public PoC against the NameServer, code 318): point configStorePath at an
  // attacker-chosen file; the payload rides in productEnvName, whose escaped \n become new lines
  // of the rewritten file.
  const CVE_2023_37582 = 'configStorePath=/tmp/pwned\nproductEnvName=test/path\\ntest\\ntest';
  // CVE-2023-33246 (public PoC, the same update sent with mqadmin's updateBrokerConfig body):
  // command injection through rocketmqHome, with filterServerNums to trigger it.
  const CVE_2023_33246 =
    'filterServerNums=1\nrocketmqHome=-c $@|sh . echo echo "dG91Y2ggL3RtcC9zdWNjZXNz"|base64 -d|bash -i;\n';
  // The vulhub rocketmq-attack tool writes --content through productEnvName the same way.
  const VULHUB_ATTACK_NAMESRV =
    'configStorePath=/tmp/success\nproductEnvName=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n';

  // Remarks of Java 5.x / 4.9; either way nothing changes.
  it.each([
    ['CVE-2023-37582', CVE_2023_37582, '5.x', REMARK_BLACK_LIST],
    ['CVE-2023-37582', CVE_2023_37582, '4.9', REMARK_CONFIG_PATH],
    ['CVE-2023-33246', CVE_2023_33246, '5.x', REMARK_BLACK_LIST],
    ['CVE-2023-33246', CVE_2023_33246, '4.9', REMARK_BLACK_LIST],
    ['vulhub AttackNamesrv', VULHUB_ATTACK_NAMESRV, '5.x', REMARK_BLACK_LIST],
    ['vulhub AttackNamesrv', VULHUB_ATTACK_NAMESRV, '4.9', REMARK_CONFIG_PATH],
  ])('%s (compatibilityLine=%s)', (_name, body, line, remark) => {
    const current = config([`--compatibilityLine=${line}`]);
    const snapshot = { ...current };
    const parsed = props(body);
    expect(parsed.size).toBeGreaterThanOrEqual(2);
    const result = applyConfigUpdate(current, parsed);
    expect(result).toEqual({ kind: 'denied', remark });
    expect({ ...current }).toEqual(snapshot);
  });

  it('the payload keys alone are refused too (no path key needed to be denied)', () => {
    expect(applyConfigUpdate(config(), props('productEnvName=test/path\\ntest\n')).kind).toBe(
      'denied',
    );
    expect(applyConfigUpdate(config(), props('filterServerNums=1\n')).kind).toBe('denied');
  });
});
