import { describe, expect, it } from 'vitest';
import { parseProperties, RequestCode, ResponseCode } from '@ns/protocol';
import { bodyText, createHarness } from './handlers-harness.js';

describe('UPDATE_NAMESRV_CONFIG (318)', () => {
  it('applies a live key, persists the whole config, and answers SUCCESS without extFields', () => {
    const h = createHarness();
    const res = h.send(318, { body: 'orderMessageEnable=true\n' });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields).toBeNull();
    expect(h.config().orderMessageEnable).toBe(true);
    expect(h.persisted).toHaveLength(1);
    expect(parseProperties(h.persisted[0]!).get('orderMessageEnable')).toBe('true');
  });

  it('without a body is a SUCCESS no-op', () => {
    const h = createHarness();
    expect(h.send(318).code).toBe(ResponseCode.SUCCESS);
    expect(h.persisted).toHaveLength(0);
  });

  it('does not rewrite the file when nothing changes', () => {
    const h = createHarness();
    expect(h.send(318, { body: 'orderMessageEnable=false\n' }).code).toBe(ResponseCode.SUCCESS);
    expect(h.persisted).toHaveLength(0);
  });

  it.each([
    ['5.x', 'Can not update config in black list.'],
    ['4.9', 'Can not update config path'],
  ] as const)('refuses config paths with NO_PERMISSION, remark of Java %s', (line, remark) => {
    const h = createHarness({ config: { compatibilityLine: line } });
    const before = h.config();
    const res = h.send(318, { body: 'kvConfigPath=/tmp/not-allowed.json\n' });
    expect(res.code).toBe(ResponseCode.NO_PERMISSION);
    expect(res.remark).toBe(remark);
    expect(h.config()).toBe(before);
    expect(h.persisted).toHaveLength(0);
  });

  it('refuses black-listed and non-live keys with NO_PERMISSION, all or nothing', () => {
    const h = createHarness();
    const black = h.send(318, { body: 'rocketmqHome=/tmp/x\norderMessageEnable=true\n' });
    expect(black.code).toBe(ResponseCode.NO_PERMISSION);
    expect(black.remark).toBe('Can not update config in black list.');
    const notLive = h.send(318, { body: 'listenPort=1\n' });
    expect(notLive.code).toBe(ResponseCode.NO_PERMISSION);
    expect(h.config().orderMessageEnable).toBe(false);
    expect(h.persisted).toHaveLength(0);
  });

  it('answers an invalid value with SYSTEM_ERROR and changes nothing', () => {
    const h = createHarness();
    const res = h.send(318, { body: 'orderMessageEnable=maybe\n' });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('orderMessageEnable');
    expect(h.config().orderMessageEnable).toBe(false);
  });

  it('keeps the old config when persisting fails', () => {
    const h = createHarness({ failPersist: true });
    const res = h.send(318, { body: 'orderMessageEnable=true\n' });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('disk full');
    expect(h.config().orderMessageEnable).toBe(false);
  });
});

describe('GET_NAMESRV_CONFIG (319)', () => {
  it('returns the live config as properties text', () => {
    const h = createHarness();
    h.send(318, { body: 'orderMessageEnable=true\n' });
    const res = h.send(319);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const props = parseProperties(bodyText(res)!);
    expect(props.get('orderMessageEnable')).toBe('true');
    expect(props.get('listenPort')).toBe('9876');
    expect(props.get('serverChannelMaxIdleTimeSeconds')).toBe('120');
  });
});

describe('GET_NAMESRV_CONFIG never returns secrets', () => {
  it('lists only the keys of the Java line: no TLS or ACL key, so no secret, on either line', () => {
    for (const line of ['5.x', '4.9'] as const) {
      const h = createHarness({
        config: {
          compatibilityLine: line,
          tlsServerKeyPassword: 'hunter2-secret',
          tlsServerKeyPath: '/etc/ns/key.pem',
        },
      });
      const body = h.send(RequestCode.GET_NAMESRV_CONFIG).body!.toString('utf8');
      expect(body, line).toContain('listenPort=');
      expect(body, line).not.toContain('hunter2-secret');
      expect(body, line).not.toMatch(/^(tls|acl)/m);
    }
  });

  it('refuses to change ACL and TLS keys remotely (not live)', () => {
    const h = createHarness();
    for (const line of [
      'aclEnable=false',
      'aclFile=/tmp/x.yml',
      'tlsServerMode=disabled',
      'aclAdminWrite=open',
    ]) {
      const res = h.send(RequestCode.UPDATE_NAMESRV_CONFIG, { body: `${line}\n` });
      expect(res.code, line).toBe(ResponseCode.NO_PERMISSION);
    }
  });
});
