import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRequest, newExtFields, RequestCode, ResponseCode } from '@ns/protocol';
import {
  AccessControl,
  AUDITED_PEER_GROUPS,
  REFUSALS_PER_SECOND,
} from '../../src/security/access-control.js';
import type { AclConfigKeys } from '../../src/security/access-control.js';
import { AclConfigError } from '../../src/security/acl-config.js';
import { createSecurityMetrics } from '../../src/security/security-metrics.js';
import { recordingLogger } from './security-helpers.js';

const OPEN_ACL_KEYS: AclConfigKeys = {
  aclEnable: false,
  aclFile: '',
  aclRouteRead: 'open',
  aclBrokerControl: 'signed,address,cert',
  aclAdminRead: 'signed',
  aclAdminWrite: 'admin',
  aclAllowedAddresses: '',
};

const dirs: string[] = [];
const controls: AccessControl[] = [];
afterEach(() => {
  for (const c of controls.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An AccessControl with aclEnable=false (every admin write anonymous), closed after the test. */
function openAccess(
  audit: ReturnType<typeof recordingLogger>,
  servingProcesses = 1,
): AccessControl {
  const access = new AccessControl({
    keys: OPEN_ACL_KEYS,
    logger: recordingLogger().logger,
    auditLogger: audit.logger,
    servingProcesses,
  });
  controls.push(access);
  return access;
}

function aclFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-ac-'));
  dirs.push(dir);
  const file = join(dir, 'plain_acl.yml');
  writeFileSync(file, text);
  return file;
}

describe('AccessControl', () => {
  it('refuses with NO_PERMISSION and the remark, counts the refusal, and audits it once', async () => {
    const registry = new Registry();
    const audit = recordingLogger();
    const log = recordingLogger();
    const access = new AccessControl({
      keys: { ...OPEN_ACL_KEYS, aclEnable: true, aclFile: aclFile('accounts: []\n') },
      logger: log.logger,
      auditLogger: audit.logger,
      metrics: createSecurityMetrics(registry),
      tlsVerifiesClients: false,
    });
    controls.push(access);
    const ext = newExtFields();
    ext['namespace'] = 'NS';
    const request = createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 42, extFields: ext });
    const decision = access.check({ ...request, remoteAddress: '10.1.2.3:5555' });
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    const response = access.refusal(request, decision);
    expect(response).toMatchObject({
      code: ResponseCode.NO_PERMISSION,
      opaque: 42,
      flag: 1,
      remark:
        'admin-write requires a signed request (AccessKey/Signature) from an admin account; the request carries no AccessKey; see aclFile',
    });
    access.audit(request, decision, null);
    expect(audit.lines).toHaveLength(1);
    expect(audit.lines[0]!.obj).toMatchObject({
      audit: { who: '10.1.2.3', whoKind: 'address', outcome: 'refused', what: { namespace: 'NS' } },
    });
    const metrics = await registry.getMetricsAsJSON();
    const denied = metrics.find((m) => m.name === 'namesrv_access_denied_total');
    expect(denied?.values).toEqual([
      { value: 1, labels: { class: 'admin-write', reason: 'unsigned' } },
    ]);
    // The startup warning: broker-control accepts 'cert' but nothing can verify a client.
    expect(log.lines.some((l) => l.level === 'warn' && l.msg?.includes("accepts 'cert'"))).toBe(
      true,
    );
  });

  it('answers a SecretKey sent as the AccessKey like any unknown key: the peer is not told it guessed a SecretKey', () => {
    const access = new AccessControl({
      keys: {
        ...OPEN_ACL_KEYS,
        aclEnable: true,
        aclFile: aclFile(
          "accounts:\n  - accessKey: rocketmq2\n    secretKey: '12345678'\n    admin: true\n",
        ),
      },
      logger: recordingLogger().logger,
      auditLogger: recordingLogger().logger,
    });
    controls.push(access);
    const remarkFor = (accessKey: string): string => {
      const ext = newExtFields();
      ext['AccessKey'] = accessKey;
      ext['Signature'] = 'x';
      const request = createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 7, extFields: ext });
      const decision = access.check({ ...request, remoteAddress: '10.1.2.3:5555' });
      expect(decision).toMatchObject({ allowed: false, reason: 'unknown-access-key' });
      if (decision.allowed) throw new Error('allowed');
      const response = access.refusal(request, decision);
      expect(response.code).toBe(ResponseCode.NO_PERMISSION);
      return response.remark!;
    };
    const guessedSecret = remarkFor('12345678');
    expect(guessedSecret).toBe(remarkFor('nobody-here'));
    expect(guessedSecret).not.toMatch(/SecretKey|12345678/);
  });

  it('bounds what refusals log: a huge claimed AccessKey or field name is cut, and past 20 a second they are counted, not written', async () => {
    const audit = recordingLogger();
    const access = new AccessControl({
      keys: { ...OPEN_ACL_KEYS, aclEnable: true, aclFile: aclFile('accounts: []\n') },
      logger: recordingLogger().logger,
      auditLogger: audit.logger,
    });
    controls.push(access);
    const huge = 'k'.repeat(1 << 20);
    const ext = newExtFields();
    ext['AccessKey'] = huge;
    ext['Signature'] = 'x';
    ext['n'.repeat(10_000)] = 'v';
    const request = createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 1, extFields: ext });
    const decision = access.check({ ...request, remoteAddress: '10.1.2.3:5555' });
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(access.refusal(request, decision).remark!.length).toBeLessThan(500);
    access.audit(request, decision, null);
    expect(JSON.stringify(audit.lines[0])).not.toContain(huge.slice(0, 100));
    expect(JSON.stringify(audit.lines[0]).length).toBeLessThan(2_000);

    const small = createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 2 });
    const refused = access.check({ ...small, remoteAddress: '10.1.2.3:5555' });
    const started = Date.now();
    for (let i = 0; i < 200; i++) access.audit(small, refused, null);
    // At most 20 records a second (the first second's 20, the huge one included; one more
    // window if the loop ran across a second boundary).
    const windows = Math.floor((Date.now() - started) / 1000) + 2;
    expect(audit.lines.length).toBeLessThanOrEqual(20 * windows);
    expect(audit.lines.length).toBeGreaterThanOrEqual(20);
    // The next record written says how many were left out.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    access.audit(small, refused, null);
    const last = audit.lines.at(-1)!.obj as { audit: { refusalsLeftOut?: number } };
    expect(last.audit.refusalsLeftOut).toBeGreaterThan(0);
  });

  it("bounds an anonymous client's admin writes like refusals (anyone who reaches the port), not an identified admin's", async () => {
    // aclEnable=false: every admin write is allowed and anonymous. One connection sending
    // unknown request codes (admin writes) wrote 20,000 records in 0.6 s (logs review).
    const audit = recordingLogger();
    const access = openAccess(audit);
    const unknown = createRequest({ code: 9999, opaque: 1 });
    const allowed = access.check({ ...unknown, remoteAddress: '10.1.2.3:5555' });
    expect(allowed).toMatchObject({ allowed: true, identity: { kind: 'anonymous' } });
    const started = Date.now();
    for (let i = 0; i < 2_000; i++) access.audit(unknown, allowed, ResponseCode.SUCCESS);
    const windows = Math.floor((Date.now() - started) / 1000) + 2;
    expect(audit.lines.length).toBeGreaterThanOrEqual(20);
    expect(audit.lines.length).toBeLessThanOrEqual(20 * windows);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    access.audit(unknown, allowed, ResponseCode.SUCCESS);
    const last = audit.lines.at(-1)!.obj as { audit: { recordsLeftOut?: number } };
    expect(last.audit.recordsLeftOut).toBeGreaterThan(0);

    // A flood of writes that did nothing (unknown codes) does not hide one that did.
    const other = recordingLogger();
    const open = openAccess(other);
    for (let i = 0; i < 500; i++) {
      open.audit(unknown, allowed, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    }
    const del = createRequest({ code: RequestCode.DELETE_TOPIC_IN_NAMESRV, opaque: 3 });
    open.audit(del, open.check({ ...del, remoteAddress: '10.1.2.3:5555' }), ResponseCode.SUCCESS);
    expect(
      other.lines.filter((l) => (l.obj as { audit: { code: number } }).audit.code === del.code),
    ).toHaveLength(1);

    // Nor does one peer's flood of SUCCESS writes that did nothing (DELETE_TOPIC_IN_NAMESRV of
    // a topic nobody has) hide another peer's real one.
    const perPeer = recordingLogger();
    const shared = openAccess(perPeer);
    const noop = createRequest({ code: RequestCode.DELETE_TOPIC_IN_NAMESRV, opaque: 4 });
    const flooder = shared.check({ ...noop, remoteAddress: '10.9.9.9:4444' });
    for (let i = 0; i < 500; i++) shared.audit(noop, flooder, ResponseCode.SUCCESS);
    shared.audit(
      del,
      shared.check({ ...del, remoteAddress: '10.1.2.3:5555' }),
      ResponseCode.SUCCESS,
    );
    const addresses = perPeer.lines.map((l) => (l.obj as { audit: { who: string } }).audit.who);
    expect(addresses.filter((a) => a.includes('10.1.2.3'))).toHaveLength(1);
    // Many peers at once: past AUDITED_PEER_GROUPS they share one bound, so what many addresses
    // can write stays bounded.
    perPeer.lines.length = 0;
    const floodStarted = Date.now();
    for (let peer = 0; peer < 200; peer++) {
      const from = shared.check({ ...noop, remoteAddress: `10.8.${peer}.1:4444` });
      for (let i = 0; i < 30; i++) shared.audit(noop, from, ResponseCode.SUCCESS);
    }
    const floodWindows = Math.floor((Date.now() - floodStarted) / 1000) + 2;
    expect(perPeer.lines.length).toBeLessThanOrEqual(
      (AUDITED_PEER_GROUPS + 1) * REFUSALS_PER_SECOND * floodWindows,
    );

    // With servingWorkers = 4 each process writes a quarter of the node's bound.
    const quarter = recordingLogger();
    const ofFour = openAccess(quarter, 4);
    const quarterStarted = Date.now();
    for (let i = 0; i < 200; i++) ofFour.audit(noop, flooder, ResponseCode.SUCCESS);
    const quarterWindows = Math.floor((Date.now() - quarterStarted) / 1000) + 1;
    expect(quarter.lines.length).toBeGreaterThanOrEqual(REFUSALS_PER_SECOND / 4);
    expect(quarter.lines.length).toBeLessThanOrEqual((REFUSALS_PER_SECOND / 4) * quarterWindows);

    // An admin allowed by its address is identified: every record written.
    const byAddress = new AccessControl({
      keys: {
        ...OPEN_ACL_KEYS,
        aclEnable: true,
        aclFile: aclFile('accounts: []\n'),
        aclAdminWrite: 'address',
        aclAllowedAddresses: '10.1.2.3',
      },
      logger: recordingLogger().logger,
      auditLogger: audit.logger,
    });
    controls.push(byAddress);
    const put = createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 2 });
    const admin = byAddress.check({ ...put, remoteAddress: '10.1.2.3:5555' });
    expect(admin).toMatchObject({ allowed: true, identity: { kind: 'address' } });
    audit.lines.length = 0;
    for (let i = 0; i < 100; i++) byAddress.audit(put, admin, ResponseCode.SUCCESS);
    expect(audit.lines).toHaveLength(100);
  });

  it('does not audit allowed route reads, and a bad credentials file stops startup', () => {
    const audit = recordingLogger();
    const access = openAccess(audit);
    const request = createRequest({ code: RequestCode.GET_ROUTEINFO_BY_TOPIC, opaque: 1 });
    access.audit(
      request,
      access.check({ ...request, remoteAddress: '1.1.1.1:1' }),
      ResponseCode.SUCCESS,
    );
    expect(audit.lines).toEqual([]);
    expect(
      () =>
        new AccessControl({
          keys: {
            ...OPEN_ACL_KEYS,
            aclEnable: true,
            aclFile: aclFile('accounts:\n  - accessKey: x\n'),
          },
          logger: recordingLogger().logger,
          auditLogger: recordingLogger().logger,
        }),
    ).toThrow(AclConfigError);
  });
});

describe('AccessControl anonymous audit bounds over time', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("peers that flooded once and left free their bounds: a later flooder cannot hide a new peer's write", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const audit = recordingLogger();
    const access = openAccess(audit);
    const noop = createRequest({ code: RequestCode.DELETE_TOPIC_IN_NAMESRV, opaque: 1 });
    for (let p = 0; p < AUDITED_PEER_GROUPS; p++) {
      const from = access.check({ ...noop, remoteAddress: `10.0.${p}.1:1000` });
      // One more than the bound: each owes a left-out count when it goes away.
      for (let i = 0; i <= REFUSALS_PER_SECOND; i++) access.audit(noop, from, ResponseCode.SUCCESS);
    }
    vi.setSystemTime(1_000_000 + 3_600_000);
    const flooder = access.check({ ...noop, remoteAddress: '10.7.7.7:1000' });
    for (let i = 0; i < 500; i++) access.audit(noop, flooder, ResponseCode.SUCCESS);
    audit.lines.length = 0;
    const real = createRequest({ code: RequestCode.DELETE_TOPIC_IN_NAMESRV, opaque: 2 });
    access.audit(
      real,
      access.check({ ...real, remoteAddress: '10.1.2.3:5555' }),
      ResponseCode.SUCCESS,
    );
    const who = audit.lines.map((l) => (l.obj as { audit: { who: string } }).audit.who);
    expect(who.filter((a) => a.includes('10.1.2.3'))).toHaveLength(1);
  });
});
