/**
 * Over TCP: the security building blocks composed as the transport will compose them
 * (server/test/security/secure-test-node.ts) against our RemotingClient, NameServerAdmin and
 * nsadmin — each request class under each kind of policy, signed and unsigned callers,
 * addresses, TLS client certificates, credentials reload, and TLS itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { resolveServerTlsSettings, ServerTlsContext } from '../../../server/src/security/index.js';
import type { TlsConfigKeys } from '../../../server/src/security/index.js';
import { recordingLogger, waitUntil } from '../../../server/test/security/security-helpers.js';
import { startSecureTestNode } from '../../../server/test/security/secure-test-node.js';
import type { SecureTestNode } from '../../../server/test/security/secure-test-node.js';
import { makeTestPki } from '../../../server/test/security/test-pki.js';
import type { TestPki } from '../../../server/test/security/test-pki.js';
import { HttpAddressProvider } from '../../src/address/http-address-provider.js';
import { NameServerAdmin } from '../../src/admin/name-server-admin.js';
import { main } from '../../src/cli/main.js';
import { RemotingConnectError } from '../../src/errors.js';
import { RemotingClient } from '../../src/remoting/remoting-client.js';
import type { RemotingClientOptions } from '../../src/remoting/remoting-client.js';

const ADMIN = { accessKey: 'ops-admin', secretKey: 'admin-secret-1' };
const READER = { accessKey: 'ops-reader', secretKey: 'reader-secret-1' };
const BROKER = { accessKey: 'broker-a-key', secretKey: 'broker-secret-1' };

const ACL_YML = `
accounts:
  - accessKey: ${ADMIN.accessKey}
    secretKey: ${ADMIN.secretKey}
    admin: true
  - accessKey: ${READER.accessKey}
    secretKey: ${READER.secretKey}
  - accessKey: ${BROKER.accessKey}
    secretKey: ${BROKER.secretKey}
`;

const TLS_KEYS: TlsConfigKeys = {
  tlsServerMode: 'permissive',
  tlsConfigFile: '',
  tlsTestModeEnable: true,
  tlsServerCertPath: '',
  tlsServerKeyPath: '',
  tlsServerKeyPassword: '',
  tlsServerTrustCertPath: '',
  tlsServerNeedClientAuth: 'none',
  tlsServerAuthClient: false,
  tlsHandshakeTimeoutMillis: 5000,
};

let pki: TestPki;
let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'ns-secure-node-'));
  writeFileSync(join(dir, 'plain_acl.yml'), ACL_YML);
  writeFileSync(join(dir, 'ca.pem'), pki.ca.certPem);
  writeFileSync(join(dir, 'server.pem'), pki.server.certPem);
  writeFileSync(join(dir, 'server.key'), pki.server.keyPem);
  writeFileSync(join(dir, 'client.pem'), pki.client.certPem);
  writeFileSync(join(dir, 'client.key'), pki.client.keyPem);
  writeFileSync(
    join(dir, 'tools.yml'),
    `accessKey: ${ADMIN.accessKey}\nsecretKey: ${ADMIN.secretKey}\n`,
  );
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function tlsContext(keys: Partial<TlsConfigKeys> = {}): Promise<ServerTlsContext> {
  const ctx = await ServerTlsContext.create({
    resolveSettings: () => resolveServerTlsSettings({ ...TLS_KEYS, ...keys }, () => null),
    logger: recordingLogger().logger,
  });
  cleanups.push(() => ctx.close());
  return ctx;
}

async function node(options: Parameters<typeof startSecureTestNode>[0]): Promise<SecureTestNode> {
  const n = await startSecureTestNode(options);
  cleanups.push(() => n.close());
  return n;
}

function client(options: RemotingClientOptions = {}): RemotingClient {
  const c = new RemotingClient({ connectTimeoutMs: 5000, requestTimeoutMs: 5000, ...options });
  cleanups.push(() => c.close());
  return c;
}

/** One request of each class, with valid headers. */
const REQUEST_OF = {
  'route-read': { code: RequestCode.GET_BROKER_CLUSTER_INFO },
  'broker-control': {
    code: RequestCode.QUERY_DATA_VERSION,
    extFields: {
      brokerAddr: '10.0.0.5:10911',
      brokerName: 'broker-a',
      brokerId: 0,
      clusterName: 'C',
    },
    body: Buffer.from('{"counter":1,"stateVersion":0,"timestamp":1}'),
  },
  'admin-read': { code: RequestCode.GET_KVLIST_BY_NAMESPACE, extFields: { namespace: 'NS' } },
  'admin-write': {
    code: RequestCode.PUT_KV_CONFIG,
    extFields: { namespace: 'NS', key: 'k', value: 'v' },
  },
} as const;
type Cls = keyof typeof REQUEST_OF;
const CLASSES = Object.keys(REQUEST_OF) as Cls[];

async function codesFor(c: RemotingClient, addr: string): Promise<Record<Cls, number>> {
  const out = {} as Record<Cls, number>;
  for (const cls of CLASSES) {
    const res = await c.invoke(addr, REQUEST_OF[cls]);
    out[cls] = res.code === ResponseCode.NO_PERMISSION ? ResponseCode.NO_PERMISSION : 0;
  }
  return out;
}

const OK = 0;
const NO = ResponseCode.NO_PERMISSION;

describe('request classes × policies over TCP', () => {
  it('default (aclEnable=false): every class open to everyone, admin writes audited', async () => {
    const n = await node({});
    expect(await codesFor(client(), n.addr)).toEqual({
      'route-read': OK,
      'broker-control': OK,
      'admin-read': OK,
      'admin-write': OK,
    });
    await waitUntil(() => n.audit.length === 1, 'one audit line');
    expect(n.audit[0]!.obj).toMatchObject({
      audit: { request: 'PUT_KV_CONFIG', who: '127.0.0.1', outcome: 'SUCCESS' },
    });
  });

  it('secure profile: anonymous, reader, admin, broker key', async () => {
    const n = await node({ acl: { aclEnable: true, aclFile: join(dir, 'plain_acl.yml') } });
    expect(await codesFor(client(), n.addr)).toEqual({
      'route-read': OK,
      'broker-control': NO,
      'admin-read': NO,
      'admin-write': NO,
    });
    expect(await codesFor(client({ credentials: READER }), n.addr)).toEqual({
      'route-read': OK,
      'broker-control': OK,
      'admin-read': OK,
      'admin-write': NO,
    });
    expect(await codesFor(client({ credentials: ADMIN }), n.addr)).toEqual({
      'route-read': OK,
      'broker-control': OK,
      'admin-read': OK,
      'admin-write': OK,
    });
    expect(await codesFor(client({ credentials: BROKER }), n.addr)).toEqual({
      'route-read': OK,
      'broker-control': OK,
      'admin-read': OK,
      'admin-write': NO,
    });
    // A wrong secret is refused with a remark saying so.
    const res = await client({ credentials: { ...ADMIN, secretKey: 'not-the-secret' } }).invoke(
      n.addr,
      REQUEST_OF['admin-write'],
    );
    expect(res.code).toBe(NO);
    expect(res.remark).toBe(
      'admin-write requires a signed request (AccessKey/Signature) from an admin account; the Signature does not match AccessKey "ops-admin"',
    );
    // Every refusal and every admin write is audited, never with a secret.
    const audited = JSON.stringify(n.audit);
    expect(audited).toContain('"outcome":"refused"');
    expect(audited).not.toContain('admin-secret-1');
  });

  it.each([
    ['open', { 'route-read': OK, 'broker-control': OK, 'admin-read': OK, 'admin-write': OK }],
    ['address', { 'route-read': OK, 'broker-control': OK, 'admin-read': OK, 'admin-write': OK }],
    ['signed', { 'route-read': NO, 'broker-control': NO, 'admin-read': NO, 'admin-write': NO }],
    ['cert', { 'route-read': NO, 'broker-control': NO, 'admin-read': NO, 'admin-write': NO }],
  ] as const)(
    'every class set to %s, anonymous caller from 127.0.0.1 (an allowed address)',
    async (policy, expected) => {
      const n = await node({
        acl: {
          aclEnable: true,
          aclFile: join(dir, 'plain_acl.yml'),
          aclRouteRead: policy,
          aclBrokerControl: policy,
          aclAdminRead: policy,
          aclAdminWrite: policy,
          aclAllowedAddresses: '127.0.0.0/8',
        },
      });
      expect(await codesFor(client(), n.addr)).toEqual(expected);
    },
  );

  it('broker-control by a verified TLS client certificate (unsigned, as a Java 4.9 broker with TLS)', async () => {
    const ctx = await tlsContext({
      tlsServerCertPath: join(dir, 'server.pem'),
      tlsServerKeyPath: join(dir, 'server.key'),
      tlsServerTrustCertPath: join(dir, 'ca.pem'),
      tlsServerNeedClientAuth: 'optional',
    });
    const n = await node({
      acl: { aclEnable: true, aclFile: join(dir, 'plain_acl.yml') },
      tls: ctx,
    });
    const withCert = client({
      tls: { ca: pki.ca.certPem, cert: pki.client.certPem, key: pki.client.keyPem },
    });
    expect(await codesFor(withCert, n.addr)).toEqual({
      'route-read': OK,
      'broker-control': OK,
      'admin-read': NO,
      'admin-write': NO,
    });
    const withoutCert = client({ tls: { ca: pki.ca.certPem } });
    expect((await withoutCert.invoke(n.addr, REQUEST_OF['broker-control'])).code).toBe(NO);
  });

  it('picks up a changed credentials file without a restart', async () => {
    const file = join(dir, 'reloading_acl.yml');
    writeFileSync(file, ACL_YML);
    const n = await node({ acl: { aclEnable: true, aclFile: file } });
    const newcomer = client({ credentials: { accessKey: 'new-admin', secretKey: 'new-secret-1' } });
    expect((await newcomer.invoke(n.addr, REQUEST_OF['admin-write'])).code).toBe(NO);
    writeFileSync(
      file,
      `${ACL_YML}  - accessKey: new-admin\n    secretKey: new-secret-1\n    admin: true\n`,
    );
    const deadline = Date.now() + 10_000;
    let code: number = NO;
    while (code !== OK && Date.now() < deadline) {
      code = (await newcomer.invoke(n.addr, REQUEST_OF['admin-write'])).code;
      if (code !== OK) await new Promise((r) => setTimeout(r, 50));
    }
    expect(code).toBe(OK);
  });
});

describe('our client over TLS', () => {
  it('tls: true (Java test mode) works against the self-signed certificate of a permissive node; plain does too', async () => {
    const n = await node({ tls: await tlsContext() });
    expect((await client({ tls: true }).invoke(n.addr, REQUEST_OF['route-read'])).code).toBe(OK);
    expect((await client().invoke(n.addr, REQUEST_OF['route-read'])).code).toBe(OK);
    expect([...n.outcomes].sort()).toEqual(['plain', 'tls']);
  });

  it('a verifying client refuses a certificate its CA did not sign (connect error, not a late failure)', async () => {
    const n = await node({ tls: await tlsContext() });
    const err = await client({ tls: { ca: pki.ca.certPem } })
      .invoke(n.addr, REQUEST_OF['route-read'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingConnectError);
  });

  it('verifies a CA-signed node certificate including its IP, and gets refused by enforcing in plain', async () => {
    const ctx = await tlsContext({
      tlsServerCertPath: join(dir, 'server.pem'),
      tlsServerKeyPath: join(dir, 'server.key'),
    });
    const n = await node({ tls: ctx, mode: 'enforcing' });
    expect(
      (await client({ tls: { ca: pki.ca.certPem } }).invoke(n.addr, REQUEST_OF['route-read'])).code,
    ).toBe(OK);
    const plain = await client()
      .invoke(n.addr, REQUEST_OF['route-read'])
      .catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(Error);
    await waitUntil(
      () => n.outcomes.includes('plain-refused'),
      'the plain connection to be refused',
    );
  });

  it('mutual TLS with need.client.auth=require: with the client certificate only', async () => {
    const ctx = await tlsContext({
      tlsServerCertPath: join(dir, 'server.pem'),
      tlsServerKeyPath: join(dir, 'server.key'),
      tlsServerTrustCertPath: join(dir, 'ca.pem'),
      tlsServerNeedClientAuth: 'require',
    });
    const n = await node({ tls: ctx, mode: 'enforcing' });
    const ok = client({
      tls: { ca: pki.ca.certPem, cert: pki.client.certPem, key: pki.client.keyPem },
    });
    expect((await ok.invoke(n.addr, REQUEST_OF['route-read'])).code).toBe(OK);
    const refused = await client({
      tls: { ca: pki.ca.certPem },
      maxConsecutiveTimeouts: 0,
      requestTimeoutMs: 3000,
    })
      .invoke(n.addr, REQUEST_OF['route-read'])
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    await waitUntil(
      () => n.outcomes.includes('client-cert-missing'),
      'the refusal of the certificate-less client',
    );
  });

  it('NameServerAdmin with tls and credentials', async () => {
    const n = await node({
      tls: await tlsContext(),
      acl: { aclEnable: true, aclFile: join(dir, 'plain_acl.yml') },
    });
    const admin = new NameServerAdmin({
      namesrvAddr: n.addr,
      env: {},
      tls: true,
      credentials: ADMIN,
    });
    cleanups.push(() => admin.close());
    const results = await admin.putKVConfig('NS', 'k', 'v');
    expect(results).toEqual([{ addr: n.addr, ok: true, value: undefined }]);
    expect(n.harness.kv.getKVConfig('NS', 'k')).toBe('v');
  });
});

describe('nsadmin with credentials and TLS', () => {
  function run(
    argv: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    return main(argv, {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
      env,
    }).then((code) => ({ code, out, err }));
  }

  it('signs with --toolsYml over --tls --tlsCa, and fails clearly without credentials', async () => {
    const ctx = await tlsContext({
      tlsServerCertPath: join(dir, 'server.pem'),
      tlsServerKeyPath: join(dir, 'server.key'),
    });
    const n = await node({
      tls: ctx,
      mode: 'enforcing',
      acl: { aclEnable: true, aclFile: join(dir, 'plain_acl.yml') },
    });
    const base = [
      'updateKvConfig',
      '-n',
      n.addr,
      '-s',
      'ORDER_TOPIC_CONFIG',
      '-k',
      'T',
      '-v',
      'broker-a:4',
      '--tlsCa',
      join(dir, 'ca.pem'),
    ];
    const ok = await run([...base, '--toolsYml', join(dir, 'tools.yml')]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(n.harness.kv.getKVConfig('ORDER_TOPIC_CONFIG', 'T')).toBe('broker-a:4');

    const refused = await run(base);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/updateKvConfig failed on 1 of 1 name server/);
    expect(refused.out).toMatch(
      /FAILED on 127\.0\.0\.1:\d+: .*admin-write requires a signed request/,
    );

    const viaEnv = await run([...base, '-v', 'broker-a:8'], {
      NS_ACCESS_KEY: ADMIN.accessKey,
      NS_SECRET_KEY: ADMIN.secretKey,
    });
    expect(viaEnv.code).toBe(0);
    expect(n.harness.kv.getKVConfig('ORDER_TOPIC_CONFIG', 'T')).toBe('broker-a:8');
  });

  it('rejects half-given credentials and TLS options without printing the secret', async () => {
    const onlySecret = await run([
      'clusterList',
      '-n',
      '127.0.0.1:1',
      '--secretKey',
      'top-secret-value',
    ]);
    expect(onlySecret.code).toBe(2);
    expect(onlySecret.err).toBe('nsadmin: clusterList: --secretKey needs --accessKey\n');
    const halfTls = await run(['clusterList', '-n', '127.0.0.1:1', '--tlsCert', '/x.pem']);
    expect(halfTls.code).toBe(2);
    expect(halfTls.err).toMatch(/--tlsCert and --tlsKey go together/);
    const badYml = join(dir, 'bad-tools.yml');
    writeFileSync(badYml, 'accessKey: only-key\n');
    const missingSecret = await run(['clusterList', '-n', '127.0.0.1:1', '--toolsYml', badYml]);
    expect(missingSecret.code).toBe(2);
    expect(missingSecret.err).toMatch(/expected non-blank accessKey and secretKey/);
  });
});

describe('HTTP address service over https', () => {
  it('fetches the list from an https service whose certificate our CA signed', async () => {
    const server = createHttpsServer(
      { cert: pki.server.certPem, key: pki.server.keyPem },
      (req, res) => {
        res.writeHead(200).end('10.0.0.1:9876;10.0.0.2:9876\n');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/rocketmq/nsaddr`;

    const trusting = new HttpAddressProvider({ url, tls: { ca: pki.ca.certPem }, retries: 0 });
    cleanups.push(() => trusting.close());
    await trusting.start();
    expect(trusting.current()).toEqual(['10.0.0.1:9876', '10.0.0.2:9876']);

    const untrusting = new HttpAddressProvider({ url, retries: 0 });
    cleanups.push(() => untrusting.close());
    await untrusting.start();
    expect(untrusting.current()).toEqual([]);
    expect(untrusting.lastError?.message).toMatch(/certificate|self.signed|unable to verify/i);
  });
});
