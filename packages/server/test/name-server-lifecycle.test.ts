import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestCode, ResponseCode, createRequest, decodeFrame, newExtFields } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { loadFixture } from '../../protocol/test/fixtures.js';
import { loadConfig } from '../src/config/index.js';
import { NameServer } from '../src/name-server.js';
import { NameServerError } from '../src/name-server-error.js';
import { writeEncryptedKeyPair } from './tls-key-files.js';
import { RawClient, capturingLogger, waitFor } from './transport-helpers.js';

let dir = '';
const servers: NameServer[] = [];
const clients: RawClient[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-lifecycle-'));
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function configWith(...argv: string[]) {
  return loadConfig({
    argv: ['--bindAddress=127.0.0.1', '--listenPort=0', '--httpPort=-1', ...argv],
    env: {},
    readFile: (p) => readFileSync(p, 'utf8'),
    homeDir: dir,
  }).config;
}

class FakeClock {
  constructor(public t = Date.now()) {}
  now(): number {
    return this.t;
  }
}

async function started(
  argv: string[] = [],
  clock?: FakeClock,
): Promise<{ server: NameServer; port: number }> {
  const server = new NameServer({
    config: configWith(...argv),
    defaultMetrics: false,
    ...(clock === undefined ? {} : { clock }),
  });
  servers.push(server);
  const { port } = await server.start();
  return { server, port };
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

/** The captured REGISTER_BROKER of broker-a (topics include SELF_TEST_TOPIC), with our opaque. */
function registerBrokerA(opaque: number): RemotingCommand {
  const cmd = decodeFrame(loadFixture('register-broker-master').request.subarray(4));
  return { ...cmd, opaque };
}

function routeQuery(opaque: number, topic: string): RemotingCommand {
  const extFields = newExtFields();
  extFields.topic = topic;
  return createRequest({ code: RequestCode.GET_ROUTEINFO_BY_TOPIC, opaque, extFields });
}

describe('NameServer lifecycle', () => {
  it('starts on an OS-chosen port and answers with the real dispatcher', async () => {
    const { server, port } = await started();
    expect(port).toBeGreaterThan(0);
    expect(server.address).toEqual({ host: '127.0.0.1', port, httpPort: null });
    const c = await client(port);
    const res = await c.request(routeQuery(1, 'NoSuchTopic'));
    expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('a broker disappears from routes as soon as its connection closes', async () => {
    const { server, port } = await started();
    const broker = await client(port);
    const admin = await client(port);
    expect((await broker.request(registerBrokerA(1))).code).toBe(ResponseCode.SUCCESS);
    expect((await admin.request(routeQuery(2, 'SELF_TEST_TOPIC'))).code).toBe(ResponseCode.SUCCESS);
    expect((await server.metrics.scrape()).body).toMatch(/^namesrv_broker_registrations_total 1$/m);
    broker.destroy();
    await waitFor('broker removed', () => server.routeInfoManager.getCounts().brokers === 0);
    expect((await server.metrics.scrape()).body).toMatch(
      /^namesrv_broker_expiries_total\{reason="channel_closed"\} 1$/m,
    );
    expect((await admin.request(routeQuery(3, 'SELF_TEST_TOPIC'))).code).toBe(
      ResponseCode.TOPIC_NOT_EXIST,
    );
  });

  it('an idle broker connection is closed and the broker removed (§4.5 IDLE)', async () => {
    const { server, port } = await started(['--serverChannelMaxIdleTimeSeconds=1']);
    const broker = await client(port);
    expect((await broker.request(registerBrokerA(1))).code).toBe(ResponseCode.SUCCESS);
    expect(server.routeInfoManager.getCounts().brokers).toBe(1);
    await broker.closed;
    // The server's own 'close' event may trail the peer's by a tick.
    await waitFor('broker removed', () => server.routeInfoManager.getCounts().brokers === 0);
  });

  it('the scan expires a silent broker and closes its connection', async () => {
    const clock = new FakeClock();
    const { server, port } = await started(['--scanNotActiveBrokerInterval=100'], clock);
    const broker = await client(port);
    expect((await broker.request(registerBrokerA(1))).code).toBe(ResponseCode.SUCCESS);
    expect(server.routeInfoManager.getCounts().brokers).toBe(1);
    clock.t += 120_001; // Java: lastUpdateTimestamp + 120 000 < now
    await broker.closed;
    expect(server.routeInfoManager.getCounts().brokers).toBe(0);
    const scrape = await server.metrics.scrape();
    expect(scrape.body).toMatch(/namesrv_broker_expiries_total\{reason="timeout"\} 1/);
  });

  it('expiring one broker keeps a connection that still carries another live broker', async () => {
    const clock = new FakeClock();
    const { server, port } = await started(['--scanNotActiveBrokerInterval=100'], clock);
    const shared = await client(port);
    // One process registering two broker names on one connection; only broker-a goes silent.
    expect((await shared.request(registerBrokerA(1))).code).toBe(ResponseCode.SUCCESS);
    const other = registerBrokerA(2);
    other.extFields = {
      ...other.extFields!,
      brokerName: 'broker-z',
      brokerAddr: '127.0.0.1:29999',
    };
    other.extFields.bodyCrc32 = '0';
    clock.t += 100_000;
    expect((await shared.request(other)).code).toBe(ResponseCode.SUCCESS);
    clock.t += 20_001; // broker-a: 120 001 ms silent; broker-z: 20 001 ms
    await waitFor('broker-a expired', () => server.routeInfoManager.getCounts().brokers === 1);
    expect(shared.isClosed).toBe(false);
    const res = await shared.request(routeQuery(3, 'TBW102'));
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const route = res.body!.toString('utf8');
    expect(route).toContain('"brokerName":"broker-z"');
    expect(route).not.toContain('"brokerName":"broker-a"');
  });

  it('deleteTopicWithBrokerRegistration changed live takes effect on the next registration', async () => {
    const { server, port } = await started();
    const broker = await client(port);
    expect((await broker.request(registerBrokerA(1))).code).toBe(ResponseCode.SUCCESS);
    const update = createRequest({
      code: RequestCode.UPDATE_NAMESRV_CONFIG,
      opaque: 2,
      body: Buffer.from('deleteTopicWithBrokerRegistration=true\n'),
    });
    expect((await broker.request(update)).code).toBe(ResponseCode.SUCCESS);
    expect(server.config.deleteTopicWithBrokerRegistration).toBe(true);
    // Re-register broker-a with a new DataVersion and without SELF_TEST_TOPIC.
    const cmd = registerBrokerA(3);
    const body = JSON.parse(cmd.body!.toString('utf8')) as {
      topicConfigSerializeWrapper: {
        dataVersion: { counter: number };
        topicConfigTable: Record<string, unknown>;
      };
    };
    delete body.topicConfigSerializeWrapper.topicConfigTable['SELF_TEST_TOPIC'];
    body.topicConfigSerializeWrapper.dataVersion.counter += 1;
    cmd.body = Buffer.from(JSON.stringify(body));
    cmd.extFields = { ...cmd.extFields!, bodyCrc32: '0' };
    expect((await broker.request(cmd)).code).toBe(ResponseCode.SUCCESS);
    expect((await broker.request(routeQuery(4, 'SELF_TEST_TOPIC'))).code).toBe(
      ResponseCode.TOPIC_NOT_EXIST,
    );
    expect((await broker.request(routeQuery(5, 'TBW102'))).code).toBe(ResponseCode.SUCCESS);
  });

  it('refuses to start on a corrupt KV file, names it, and leaves it untouched', async () => {
    const kvPath = join(dir, 'kv', 'kvConfig.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'kv'));
    writeFileSync(kvPath, '{"configTable":{"ns":{"k":');
    const server = new NameServer({
      config: configWith(`--kvConfigPath=${kvPath}`),
      defaultMetrics: false,
    });
    servers.push(server);
    const err: unknown = await server.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NameServerError);
    expect((err as NameServerError).code).toBe('NS_STARTUP_KV_CONFIG');
    expect((err as Error).message).toContain(kvPath);
    expect(readFileSync(kvPath, 'utf8')).toBe('{"configTable":{"ns":{"k":');
    expect(server.address).toBeNull();
  });

  it('reports a taken port as a startup error', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    try {
      const server = new NameServer({
        config: configWith(`--listenPort=${port}`),
        defaultMetrics: false,
      });
      servers.push(server);
      const err: unknown = await server.start().catch((e: unknown) => e);
      expect((err as NameServerError).code).toBe('NS_STARTUP_LISTEN');
      expect(server.address).toBeNull();
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('persists KV puts and loads them on the next start', async () => {
    const kvPath = join(dir, 'kvConfig.json');
    const first = await started([`--kvConfigPath=${kvPath}`]);
    const c = await client(first.port);
    const put = newExtFields();
    put.namespace = 'ns1';
    put.key = 'k1';
    put.value = 'v1';
    const res = await c.request(
      createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 1, extFields: put }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(existsSync(kvPath)).toBe(true);
    expect((await first.server.metrics.scrape()).body).toMatch(
      /^namesrv_kv_config_writes_total\{op="put"\} 1$/m,
    );
    await first.server.close();

    const second = await started([`--kvConfigPath=${kvPath}`]);
    const c2 = await client(second.port);
    const get = newExtFields();
    get.namespace = 'ns1';
    get.key = 'k1';
    const got = await c2.request(
      createRequest({ code: RequestCode.GET_KV_CONFIG, opaque: 2, extFields: get }),
    );
    expect(got.code).toBe(ResponseCode.SUCCESS);
    expect(got.extFields?.value).toBe('v1');
  });

  it('UPDATE_NAMESRV_CONFIG writes configStorePath and changes the live config', async () => {
    const storePath = join(dir, 'conf', 'namesrv.properties');
    const { server, port } = await started([`--configStorePath=${storePath}`]);
    const res = await enableOrderMessages(port);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(server.config.orderMessageEnable).toBe(true);
    expect(readFileSync(storePath, 'utf8')).toMatch(/^orderMessageEnable=true$/m);
  });

  it('UPDATE_NAMESRV_CONFIG writes no default and no secret given by flag or environment', async () => {
    const storePath = join(dir, 'conf', 'namesrv.properties');
    const password = 'pw-of-the-key-5e1d';
    const { certPath, keyPath } = await writeEncryptedKeyPair(dir, password);
    // As main.ts does: the config with where each value came from.
    const loaded = loadConfig({
      argv: [
        '--bindAddress=127.0.0.1',
        '--listenPort=0',
        `--configStorePath=${storePath}`,
        '--scanNotActiveBrokerInterval=4000',
        `--tlsServerCertPath=${certPath}`,
        `--tlsServerKeyPath=${keyPath}`,
      ],
      env: { NAMESRV_TLS_SERVER_KEY_PASSWORD: password },
      readFile: (p) => readFileSync(p, 'utf8'),
      homeDir: dir,
    });
    const server = new NameServer({
      config: loaded.config,
      configOrigin: { sources: loaded.sources, defaults: { homeDir: dir, env: {} } },
      defaultMetrics: false,
    });
    servers.push(server);
    const { port } = await server.start();
    const res = await enableOrderMessages(port);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const text = readFileSync(storePath, 'utf8');
    expect(text).toMatch(/^orderMessageEnable=true$/m);
    // A flag's value is kept, like Java; a secret's is not, nor a default (httpPort follows
    // listenPort: written down, it would stop a start with another listenPort).
    expect(text).toMatch(/^scanNotActiveBrokerInterval=4000$/m);
    expect(text).toMatch(/^tlsServerKeyPath=/m);
    expect(text).not.toContain(password);
    expect(text).not.toMatch(/^httpPort=/m);
  });

  /** UPDATE_NAMESRV_CONFIG of orderMessageEnable=true, on a connection of its own. */
  async function enableOrderMessages(port: number): Promise<RemotingCommand> {
    const c = await client(port);
    return c.request(
      createRequest({
        code: RequestCode.UPDATE_NAMESRV_CONFIG,
        opaque: 1,
        body: Buffer.from('orderMessageEnable=true\n'),
      }),
    );
  }

  /** Sends UPDATE_NAMESRV_CONFIG to a node whose configStorePath is `store`. */
  async function updateConfigWithStore(store: string) {
    const { server, port } = await started([`--configStorePath=${store}`]);
    const res = await enableOrderMessages(port);
    return { server, res };
  }

  it('UPDATE_NAMESRV_CONFIG to an unwritable configStorePath answers SYSTEM_ERROR naming it and the OS error, and changes nothing', async () => {
    // A file where the store's directory should be: unwritable even for root.
    writeFileSync(join(dir, 'file'), '');
    const store = join(dir, 'file', 'namesrv.properties');
    const { server, res } = await updateConfigWithStore(store);
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBe(
      `NameServerError: cannot write configStorePath ${store}: EEXIST: file already exists, mkdir '${join(dir, 'file')}'`,
    );
    expect(server.config.orderMessageEnable).toBe(false);
  });

  it('warns at start, naming the key and why, when a file it will write cannot be written there', async () => {
    writeFileSync(join(dir, 'plain-file'), '');
    const store = join(dir, 'plain-file', 'namesrv.properties');
    const { logger, lines } = capturingLogger();
    logger.level = 'warn';
    const server = new NameServer({
      config: configWith(`--configStorePath=${store}`),
      logger,
      defaultMetrics: false,
    });
    servers.push(server);
    await server.start();
    const warnings = lines.filter((l) => String(l.msg).includes('cannot be written'));
    expect(warnings).toEqual([
      expect.objectContaining({
        configStorePath: store,
        reason: `${join(dir, 'plain-file')} is not a directory`,
      }),
    ]);
    expect(String(warnings[0]!.msg)).toContain('every UPDATE_NAMESRV_CONFIG will fail');
  });

  it('UPDATE_NAMESRV_CONFIG under a read-only directory answers SYSTEM_ERROR with EACCES', async ({
    skip,
  }) => {
    const readOnly = join(dir, 'ro');
    mkdirSync(readOnly, { mode: 0o555 });
    try {
      writeFileSync(join(readOnly, 'probe'), '');
      console.warn(
        '[lifecycle] SKIPPED the read-only directory case: this process ignores directory permissions (root / CAP_DAC_OVERRIDE)',
      );
      skip();
    } catch {
      // EACCES: permissions apply here.
    }
    const store = join(readOnly, 'conf', 'namesrv.properties');
    const { server, res } = await updateConfigWithStore(store);
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain(`cannot write configStorePath ${store}: EACCES`);
    expect(server.config.orderMessageEnable).toBe(false);
  });

  it('a live logLevel update reaches every component logger', async () => {
    const { logger, lines } = capturingLogger();
    logger.level = 'info';
    const server = new NameServer({ config: configWith(), logger, defaultMetrics: false });
    servers.push(server);
    const { port } = await server.start();
    const admin = await client(port);
    expect(lines.some((l) => l.msg === 'connection accepted')).toBe(false);
    const res = await admin.request(
      createRequest({
        code: RequestCode.UPDATE_NAMESRV_CONFIG,
        opaque: 1,
        body: Buffer.from('logLevel=debug\n'),
      }),
    );
    expect(res.code).toBe(ResponseCode.SUCCESS);
    // A connection is served (and logged) once its first byte said plain or TLS.
    await (await client(port)).request(routeQuery(2, 'x'));
    await waitFor('transport debug line', () =>
      lines.some((l) => l.msg === 'connection accepted' && l.component === 'transport'),
    );
  });

  it('close() is idempotent, releases the port, and start() cannot be repeated', async () => {
    const { server, port } = await started();
    const c = await client(port);
    await c.request(routeQuery(1, 'x'));
    await Promise.all([server.close(), server.close()]);
    await c.closed;
    await server.close();
    const err: unknown = await server.start().catch((e: unknown) => e);
    expect((err as NameServerError).code).toBe('NS_STATE');
    // The port is free again.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => probe.close(r));
  });
});
