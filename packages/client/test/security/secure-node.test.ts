/**
 * Over TCP, against real NameServer instances (server/test/security/secure-node.ts): our
 * RemotingClient, NameServerAdmin and nsadmin — each request class under each kind of policy,
 * signed and unsigned callers, addresses, TLS client certificates, credentials reload, and TLS
 * itself; with one serving process and with two serving worker processes (compiled code: run
 * `tsc -b` first).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { waitUntil } from '../../../server/test/security/security-helpers.js';
import { startSecureNode } from '../../../server/test/security/secure-node.js';
import type { SecureNode, Settings } from '../../../server/test/security/secure-node.js';
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

async function node(settings: Settings = {}): Promise<SecureNode> {
  const n = await startSecureNode(settings);
  cleanups.push(() => n.close());
  return n;
}

/** The node's own CA-signed certificate (instead of the self-signed one). */
function serverCert(): Settings {
  return { tlsServerCertPath: join(dir, 'server.pem'), tlsServerKeyPath: join(dir, 'server.key') };
}

/** Connections the node classified so (plain, tls, plain-refused, client-cert-missing, …). */
function sniffed(n: SecureNode, outcome: string): Promise<number> {
  return n.metric('namesrv_connections_sniffed_total', { outcome });
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
    const n = await node();
    expect(await codesFor(client(), n.addr)).toEqual({
      'route-read': OK,
      'broker-control': OK,
      'admin-read': OK,
      'admin-write': OK,
    });
    await waitUntil(() => n.audit.length === 1, 'one audit line');
    expect(n.audit[0]).toMatchObject({
      level: 30,
      audit: { request: 'PUT_KV_CONFIG', who: '127.0.0.1', outcome: 'SUCCESS' },
    });
  });

  it.each([1, 2])(
    'secure profile (servingWorkers=%i): anonymous, reader, admin, broker key',
    async (workers) => {
      const n = await node({
        aclEnable: true,
        aclFile: join(dir, 'plain_acl.yml'),
        servingWorkers: workers,
      });
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
      // 3 anonymous + 1 reader + 1 broker key + 1 wrong secret, counted over every process.
      expect(await n.metric('namesrv_access_denied_total')).toBe(6);
      expect(await n.metric('namesrv_access_denied_total', { class: 'admin-write' })).toBe(4);
      // The refused admin writes never reached the registry: only the admin's put is there.
      expect(n.server.kvConfigManager.getKVConfig('NS', 'k')).toBe('v');
      if (workers === 1) {
        // Every refusal and every admin write is audited (in this process), never with a secret.
        const audited = JSON.stringify(n.audit);
        expect(audited).toContain('"outcome":"refused"');
        expect(audited).not.toContain('admin-secret-1');
        expect(
          n.audit.filter((l) => JSON.stringify(l).includes('"outcome":"SUCCESS"')),
        ).toHaveLength(1);
      }
    },
  );

  it.each([
    ['open', { 'route-read': OK, 'broker-control': OK, 'admin-read': OK, 'admin-write': OK }],
    ['address', { 'route-read': OK, 'broker-control': OK, 'admin-read': OK, 'admin-write': OK }],
    ['signed', { 'route-read': NO, 'broker-control': NO, 'admin-read': NO, 'admin-write': NO }],
    ['cert', { 'route-read': NO, 'broker-control': NO, 'admin-read': NO, 'admin-write': NO }],
  ] as const)(
    'every class set to %s, anonymous caller from 127.0.0.1 (an allowed address)',
    async (policy, expected) => {
      const n = await node({
        aclEnable: true,
        aclFile: join(dir, 'plain_acl.yml'),
        aclRouteRead: policy,
        aclBrokerControl: policy,
        aclAdminRead: policy,
        aclAdminWrite: policy,
        aclAllowedAddresses: '127.0.0.0/8',
      });
      expect(await codesFor(client(), n.addr)).toEqual(expected);
    },
  );

  it.each([1, 2])(
    'broker-control by a verified TLS client certificate (unsigned, as a Java 4.9 broker with TLS; servingWorkers=%i)',
    async (workers) => {
      const n = await node({
        ...serverCert(),
        tlsServerTrustCertPath: join(dir, 'ca.pem'),
        tlsServerNeedClientAuth: 'optional',
        aclEnable: true,
        aclFile: join(dir, 'plain_acl.yml'),
        servingWorkers: workers,
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
    },
  );

  it('picks up a changed credentials file without a restart', async () => {
    const file = join(dir, 'reloading_acl.yml');
    writeFileSync(file, ACL_YML);
    const n = await node({ aclEnable: true, aclFile: file });
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
  it.each([1, 2])(
    'tls: true (Java test mode) works against the self-signed certificate of a default node; plain does too (servingWorkers=%i)',
    async (workers) => {
      // No TLS setting at all: permissive with a self-signed certificate is the default.
      const n = await node({ servingWorkers: workers });
      expect((await client({ tls: true }).invoke(n.addr, REQUEST_OF['route-read'])).code).toBe(OK);
      expect((await client().invoke(n.addr, REQUEST_OF['route-read'])).code).toBe(OK);
      expect(await sniffed(n, 'tls')).toBe(1);
      expect(await sniffed(n, 'plain')).toBe(1);
    },
  );

  it('a verifying client refuses a certificate its CA did not sign (connect error, not a late failure)', async () => {
    const n = await node();
    const err = await client({ tls: { ca: pki.ca.certPem } })
      .invoke(n.addr, REQUEST_OF['route-read'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingConnectError);
    // The certificate failure is in the message itself (nsadmin prints only the message).
    const cause = (err as RemotingConnectError).cause as Error;
    expect(cause.message).not.toBe('');
    expect((err as Error).message).toBe(`cannot connect to ${n.addr}: ${cause.message}`);
  });

  it('verifies a CA-signed node certificate including its IP, and gets refused by enforcing in plain', async () => {
    const n = await node({ ...serverCert(), tlsServerMode: 'enforcing' });
    expect(
      (await client({ tls: { ca: pki.ca.certPem } }).invoke(n.addr, REQUEST_OF['route-read'])).code,
    ).toBe(OK);
    const plain = await client()
      .invoke(n.addr, REQUEST_OF['route-read'])
      .catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(Error);
    expect(await sniffed(n, 'plain-refused')).toBe(1);
  });

  it('mutual TLS with need.client.auth=require: with the client certificate only', async () => {
    const n = await node({
      ...serverCert(),
      tlsServerTrustCertPath: join(dir, 'ca.pem'),
      tlsServerNeedClientAuth: 'require',
      tlsServerMode: 'enforcing',
    });
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
    expect(await sniffed(n, 'client-cert-missing')).toBe(1);
  });

  it('NameServerAdmin with tls and credentials', async () => {
    const n = await node({ aclEnable: true, aclFile: join(dir, 'plain_acl.yml') });
    const admin = new NameServerAdmin({
      namesrvAddr: n.addr,
      env: {},
      tls: true,
      credentials: ADMIN,
    });
    cleanups.push(() => admin.close());
    const results = await admin.putKVConfig('NS', 'k', 'v');
    expect(results).toEqual([{ addr: n.addr, ok: true, value: undefined }]);
    expect(n.server.kvConfigManager.getKVConfig('NS', 'k')).toBe('v');
    expect(await sniffed(n, 'tls')).toBe(1);
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
    const n = await node({
      ...serverCert(),
      tlsServerMode: 'enforcing',
      aclEnable: true,
      aclFile: join(dir, 'plain_acl.yml'),
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
    expect(n.server.kvConfigManager.getKVConfig('ORDER_TOPIC_CONFIG', 'T')).toBe('broker-a:4');

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
    expect(n.server.kvConfigManager.getKVConfig('ORDER_TOPIC_CONFIG', 'T')).toBe('broker-a:8');
  });

  it('says why a TLS connect failed (the certificate), not only where', async () => {
    const n = await node(); // a certificate our CA did not sign
    const r = await run(['clusterList', '-n', n.addr, '--tlsCa', join(dir, 'ca.pem')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^nsadmin: clusterList: cannot connect to ${n.addr}: .*certificate.*\n$`),
    );
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
