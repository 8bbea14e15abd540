import { describe, expect, it } from 'vitest';
import {
  ACL_SIGNATURE,
  aclSign,
  aclSignatureContent,
  newExtFields,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { ExtFields } from '@ns/protocol';
import { parseAclConfig } from '../../src/security/acl-config.js';
import {
  describeRequirement,
  evaluateAccess,
  MAX_SHOWN_ACCESS_KEY,
  OPEN_POLICY,
  SECURE_PROFILE,
} from '../../src/security/access-policy.js';
import type { AccessPolicy, AccessRequest } from '../../src/security/access-policy.js';
import { AddressList } from '../../src/security/address-match.js';
import { auditRecord, shouldAudit, writeAudit } from '../../src/security/audit-record.js';
import { parseClassPolicy } from '../../src/security/policy-spec.js';
import { REQUEST_CLASSES } from '../../src/security/request-classes.js';
import type { RequestClass } from '../../src/security/request-classes.js';
import { readFixtureCommand } from './fixture-frames.js';
import { recordingLogger } from './security-helpers.js';

const ACL = parseAclConfig(
  `
globalWhiteRemoteAddresses:
  - 10.10.103.*
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    admin: false
  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    admin: true
`,
  'plain_acl.yml',
);

const ALLOWED = new AddressList(['172.16.0.0/12']);

/** One code of each class. */
const CODE_OF: Record<RequestClass, number> = {
  'route-read': RequestCode.GET_ROUTEINFO_BY_TOPIC,
  'broker-control': RequestCode.REGISTER_BROKER,
  'admin-read': RequestCode.GET_KV_CONFIG,
  'admin-write': RequestCode.PUT_KV_CONFIG,
};

function signed(
  fields: Record<string, string>,
  accessKey: string,
  secret: string,
  body: Buffer | null = null,
): ExtFields {
  const ext = Object.assign(newExtFields(), fields, { AccessKey: accessKey });
  ext[ACL_SIGNATURE] = aclSign(aclSignatureContent(ext, body), secret);
  return ext;
}

type Caller =
  | 'anonymous'
  | 'signed-user'
  | 'signed-admin'
  | 'bad-signature'
  | 'unknown-key'
  | 'allowed-address'
  | 'global-white'
  | 'verified-cert';

function requestAs(caller: Caller, code: number): AccessRequest {
  const fields = { topic: 'T', namespace: 'NS', key: 'k' };
  const base = { code, body: null, remoteAddress: '203.0.113.7:40000', clientCert: null };
  switch (caller) {
    case 'anonymous':
      return { ...base, extFields: Object.assign(newExtFields(), fields) };
    case 'signed-user':
      return { ...base, extFields: signed(fields, 'RocketMQ', '12345678') };
    case 'signed-admin':
      return { ...base, extFields: signed(fields, 'rocketmq2', '12345678') };
    case 'bad-signature':
      return { ...base, extFields: signed(fields, 'rocketmq2', 'wrong-secret') };
    case 'unknown-key':
      return { ...base, extFields: signed(fields, 'nobody-here', '12345678') };
    case 'allowed-address':
      return {
        ...base,
        remoteAddress: '172.20.1.1:5000',
        extFields: Object.assign(newExtFields(), fields),
      };
    case 'global-white':
      return {
        ...base,
        remoteAddress: '10.10.103.9:5000',
        extFields: Object.assign(newExtFields(), fields),
      };
    case 'verified-cert':
      return {
        ...base,
        extFields: Object.assign(newExtFields(), fields),
        clientCert: { subject: 'CN=broker-a', fingerprint256: 'AA:BB' },
      };
  }
}

function policyOf(text: string): AccessPolicy {
  const p = parseClassPolicy(text)!;
  return Object.fromEntries(REQUEST_CLASSES.map((c) => [c, p])) as unknown as AccessPolicy;
}

describe('access policy: every class × every policy × every kind of caller', () => {
  const CALLERS: Caller[] = [
    'anonymous',
    'signed-user',
    'signed-admin',
    'bad-signature',
    'unknown-key',
    'allowed-address',
    'global-white',
    'verified-cert',
  ];
  /** Which callers each policy lets through. */
  const EXPECTED: Record<string, Caller[]> = {
    open: CALLERS,
    signed: ['signed-user', 'signed-admin'],
    admin: ['signed-admin'],
    address: ['allowed-address', 'global-white'],
    cert: ['verified-cert'],
    'signed,address,cert': [
      'signed-user',
      'signed-admin',
      'allowed-address',
      'global-white',
      'verified-cert',
    ],
    'admin,address': ['signed-admin', 'allowed-address', 'global-white'],
  };
  for (const cls of REQUEST_CLASSES) {
    for (const [text, allowed] of Object.entries(EXPECTED)) {
      it(`${cls} under '${text}'`, () => {
        const policy = policyOf(text);
        for (const caller of CALLERS) {
          const d = evaluateAccess(requestAs(caller, CODE_OF[cls]), {
            policy,
            acl: ACL,
            allowedAddresses: ALLOWED,
          });
          expect(d.requestClass).toBe(cls);
          expect(d.allowed, caller).toBe(allowed.includes(caller));
        }
      });
    }
  }
});

describe('access policy decisions', () => {
  const secure = { policy: SECURE_PROFILE, acl: ACL, allowedAddresses: ALLOWED };

  it('the default (Java-compatible) policy lets everything through, even with no credentials at all', () => {
    for (const code of [...Object.values(CODE_OF), 9999]) {
      const d = evaluateAccess(
        { code, extFields: null, body: null, remoteAddress: '1.2.3.4:1' },
        { policy: OPEN_POLICY, acl: null, allowedAddresses: new AddressList([]) },
      );
      expect(d).toMatchObject({
        allowed: true,
        identity: { kind: 'anonymous', address: '1.2.3.4' },
      });
    }
  });

  it('secure profile: routes open, admin read signed, admin write admin-signed, broker control signed/address/cert', () => {
    const ok = (caller: Caller, cls: RequestClass): boolean =>
      evaluateAccess(requestAs(caller, CODE_OF[cls]), secure).allowed;
    expect(ok('anonymous', 'route-read')).toBe(true);
    expect(ok('anonymous', 'admin-read')).toBe(false);
    expect(ok('signed-user', 'admin-read')).toBe(true);
    expect(ok('signed-user', 'admin-write')).toBe(false);
    expect(ok('signed-admin', 'admin-write')).toBe(true);
    expect(ok('anonymous', 'broker-control')).toBe(false);
    expect(ok('global-white', 'broker-control')).toBe(true);
    expect(ok('verified-cert', 'broker-control')).toBe(true);
    // Unlike Java, a white-listed address is not enough for admin changes.
    expect(ok('global-white', 'admin-write')).toBe(false);
    expect(ok('allowed-address', 'admin-read')).toBe(false);
  });

  it('unknown codes are admin-write', () => {
    const d = evaluateAccess({ ...requestAs('signed-user', 4242) }, secure);
    expect(d).toMatchObject({ allowed: false, requestClass: 'admin-write', reason: 'not-admin' });
  });

  it('shows an unknown AccessKey of up to MAX_SHOWN_ACCESS_KEY characters whole, a longer one cut', () => {
    const shown = (accessKey: string): unknown => {
      const request = {
        code: CODE_OF['admin-read'],
        body: null,
        remoteAddress: '203.0.113.7:40000',
        clientCert: null,
        extFields: signed({ topic: 'T' }, accessKey, 'x'),
      };
      const decision = evaluateAccess(request, secure);
      expect(decision.allowed).toBe(false);
      return (decision as { claimedAccessKey: string | null }).claimedAccessKey;
    };
    const whole = 'k'.repeat(MAX_SHOWN_ACCESS_KEY);
    expect(shown(whole)).toBe(whole);
    expect(shown(`${whole}z`)).toBe(`${whole}…`);
    // As long as a SecretKey ('12345678') but not one: shown, not taken for swapped keys.
    expect(shown('abcdefgh')).toBe('abcdefgh');
  });

  it('remarks say what is missing', () => {
    const remark = (caller: Caller, cls: RequestClass): string => {
      const d = evaluateAccess(requestAs(caller, CODE_OF[cls]), secure);
      if (d.allowed) throw new Error('expected a refusal');
      return d.remark;
    };
    expect(remark('anonymous', 'admin-write')).toBe(
      'admin-write requires a signed request (AccessKey/Signature) from an admin account; the request carries no AccessKey; see aclFile',
    );
    expect(remark('signed-user', 'admin-write')).toBe(
      'admin-write requires a signed request (AccessKey/Signature) from an admin account; AccessKey "RocketMQ" is not an admin account',
    );
    expect(remark('bad-signature', 'admin-read')).toBe(
      'admin-read requires a signed request (AccessKey/Signature); the Signature does not match AccessKey "rocketmq2"',
    );
    expect(remark('unknown-key', 'admin-read')).toBe(
      'admin-read requires a signed request (AccessKey/Signature); no account for AccessKey "nobody-here" in aclFile',
    );
    // Keys swapped: the SecretKey sent as the AccessKey is never repeated (remark, audit).
    const swapped = evaluateAccess(
      {
        code: CODE_OF['admin-read'],
        body: null,
        remoteAddress: '203.0.113.7:40000',
        clientCert: null,
        extFields: signed({ topic: 'T' }, '12345678', 'rocketmq2'),
      },
      secure,
    );
    expect(swapped).toMatchObject({
      allowed: false,
      reason: 'unknown-access-key',
      claimedAccessKey: "(an account's SecretKey: AccessKey and SecretKey swapped?)",
    });
    expect(JSON.stringify(swapped)).not.toContain('12345678');
    // The answer does not tell the peer that its guess is some account's SecretKey.
    const unknownKey = evaluateAccess(requestAs('unknown-key', CODE_OF['admin-read']), secure);
    expect(swapped).toMatchObject({
      peerRemark: (unknownKey as { peerRemark: string }).peerRemark,
    });
    expect(remark('anonymous', 'broker-control')).toBe(
      'broker-control requires a signed request (AccessKey/Signature), an allowed address (globalWhiteRemoteAddresses or aclAllowedAddresses) or a verified TLS client certificate; the request carries no AccessKey; see aclFile',
    );
    const certOnly = evaluateAccess(requestAs('anonymous', CODE_OF['broker-control']), {
      ...secure,
      policy: policyOf('address,cert'),
    });
    expect(certOnly).toMatchObject({
      allowed: false,
      reason: 'not-allowed',
      remark:
        'broker-control requires an allowed address (globalWhiteRemoteAddresses or aclAllowedAddresses) or a verified TLS client certificate; 203.0.113.7 is not allowed and no verified client certificate was presented',
    });
    expect(describeRequirement(new Set(['signed', 'admin']))).toBe(
      'a signed request (AccessKey/Signature)',
    );
  });

  it('as in Java, an account is trusted unsigned from its own whiteRemoteAddress', () => {
    const ext = Object.assign(newExtFields(), { AccessKey: 'rocketmq2', key: 'k' });
    const d = evaluateAccess(
      {
        code: RequestCode.PUT_KV_CONFIG,
        extFields: ext,
        body: null,
        remoteAddress: '192.168.1.20:3333',
      },
      secure,
    );
    expect(d).toMatchObject({
      allowed: true,
      identity: { kind: 'accessKey', accessKey: 'rocketmq2', via: 'account-address' },
    });
    // …and not from anywhere else.
    const elsewhere = evaluateAccess(
      {
        code: RequestCode.PUT_KV_CONFIG,
        extFields: ext,
        body: null,
        remoteAddress: '192.168.2.20:3333',
      },
      secure,
    );
    expect(elsewhere).toMatchObject({
      allowed: false,
      reason: 'bad-signature',
      remark: expect.stringContaining('no Signature'),
    });
  });

  it('accepts the real signed mqadmin frames (stock rocketmq2 admin) and refuses them once changed', () => {
    for (const name of [
      'put-kv-config.request',
      'update-namesrv-config.request',
      'wipe-write-perm.request',
      'get-kv-config.request',
      'get-route.request',
    ]) {
      const cmd = readFixtureCommand('4.9.7', name);
      const d = evaluateAccess(
        {
          code: cmd.code,
          extFields: cmd.extFields,
          body: cmd.body,
          remoteAddress: '203.0.113.9:1',
        },
        secure,
      );
      expect(d, name).toMatchObject({ allowed: true });
    }
    const wipe = readFixtureCommand('4.9.7', 'wipe-write-perm.request');
    const tampered = Object.assign(newExtFields(), wipe.extFields, { brokerName: 'broker-b' });
    const d = evaluateAccess(
      { code: wipe.code, extFields: tampered, body: null, remoteAddress: '203.0.113.9:1' },
      secure,
    );
    expect(d).toMatchObject({ allowed: false, reason: 'bad-signature' });
  });

  it('signs the body: an UPDATE_NAMESRV_CONFIG body swapped under a valid header is refused', () => {
    const cmd = readFixtureCommand('4.9.7', 'update-namesrv-config.request');
    const d = evaluateAccess(
      {
        code: cmd.code,
        extFields: cmd.extFields,
        body: Buffer.from('configStorePath=/etc/cron.d/x\n'),
        remoteAddress: '203.0.113.9:1',
      },
      secure,
    );
    expect(d).toMatchObject({ allowed: false, reason: 'bad-signature' });
  });

  it('handles SecurityToken as Java does: signed like any field, not checked otherwise', () => {
    const fields = { topic: 'T', SecurityToken: 'session-token' };
    const ext = signed(fields, 'rocketmq2', '12345678');
    const ok = evaluateAccess(
      { code: CODE_OF['admin-read'], extFields: ext, body: null, remoteAddress: '1.1.1.1:1' },
      secure,
    );
    expect(ok.allowed).toBe(true);
    const swapped = Object.assign(newExtFields(), ext, { SecurityToken: 'other-token' });
    expect(
      evaluateAccess(
        { code: CODE_OF['admin-read'], extFields: swapped, body: null, remoteAddress: '1.1.1.1:1' },
        secure,
      ).allowed,
    ).toBe(false);
  });

  it('matches IPv6 and IPv4-mapped remote addresses', () => {
    const v6 = { ...secure, allowedAddresses: new AddressList(['2001:db8::/32', '10.0.0.0/8']) };
    const req = (remoteAddress: string): AccessRequest => ({
      code: CODE_OF['broker-control'],
      extFields: null,
      body: null,
      remoteAddress,
    });
    expect(evaluateAccess(req('2001:db8::5:40000'), v6).allowed).toBe(true);
    expect(evaluateAccess(req('[2001:db8::5]:40000'), v6).allowed).toBe(true);
    expect(evaluateAccess(req('::ffff:10.1.1.1:40000'), v6).allowed).toBe(true);
    expect(evaluateAccess(req('2001:db9::5:40000'), v6).allowed).toBe(false);
  });
});

describe('audit records', () => {
  const secure = { policy: SECURE_PROFILE, acl: ACL, allowedAddresses: ALLOWED };

  it('audits every admin-write and every refusal, nothing else', () => {
    const decide = (caller: Caller, cls: RequestClass) =>
      evaluateAccess(requestAs(caller, CODE_OF[cls]), secure);
    expect(shouldAudit(decide('signed-admin', 'admin-write'))).toBe(true);
    expect(shouldAudit(decide('anonymous', 'admin-read'))).toBe(true);
    expect(shouldAudit(decide('anonymous', 'route-read'))).toBe(false);
    expect(shouldAudit(decide('signed-user', 'admin-read'))).toBe(false);
    const open = evaluateAccess(requestAs('anonymous', CODE_OF['admin-write']), {
      ...secure,
      policy: OPEN_POLICY,
    });
    expect(shouldAudit(open)).toBe(true);
  });

  it('says who, what and the outcome, without secrets', () => {
    const cmd = readFixtureCommand('4.9.7', 'put-kv-config.request');
    const decision = evaluateAccess(
      { code: cmd.code, extFields: cmd.extFields, body: cmd.body, remoteAddress: '203.0.113.9:1' },
      secure,
    );
    const rec = auditRecord(cmd, decision, ResponseCode.SUCCESS);
    expect(rec).toEqual({
      who: 'rocketmq2',
      whoKind: 'accessKey',
      address: '203.0.113.9',
      requestClass: 'admin-write',
      code: 100,
      request: 'PUT_KV_CONFIG',
      what: { namespace: 'ORDER_TOPIC_CONFIG', value: 'broker-a:4', key: 'FixtureTopic' },
      outcome: 'SUCCESS',
    });
    expect(JSON.stringify(rec)).not.toContain(cmd.extFields!['Signature']!);
  });

  it('records refusals with the claimed key, and config updates by key only', () => {
    const cmd = readFixtureCommand('4.9.7', 'update-namesrv-config-forbidden.request');
    const decision = evaluateAccess(
      {
        code: cmd.code,
        extFields: cmd.extFields,
        body: Buffer.from('kvConfigPath=/tmp/x\n'),
        remoteAddress: '198.51.100.1:9',
      },
      secure,
    );
    const rec = auditRecord({ ...cmd, body: Buffer.from('kvConfigPath=/tmp/x\n') }, decision, null);
    expect(rec).toMatchObject({
      who: 'rocketmq2',
      whoKind: 'claimed',
      address: '198.51.100.1',
      outcome: 'refused',
      what: { configKeys: 'kvConfigPath' },
      remark: expect.stringContaining('Signature does not match'),
    });
    expect(JSON.stringify(rec)).not.toContain('/tmp/x');
    const log = recordingLogger();
    writeAudit(log.logger, rec);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({
      level: 'info',
      msg: 'UPDATE_NAMESRV_CONFIG by rocketmq2: refused',
    });
  });
});
