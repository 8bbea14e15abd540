import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../address/http-test-server.js';
import { InvalidAddressListError, InvalidOptionError } from '../../src/errors.js';
import { HttpAddressProvider, clearNewLine } from '../../src/address/http-address-provider.js';
import { createMemoryLogger } from '../../src/logger.js';
import { parseAddressFile } from '../../src/address-service/address-file.js';
import { AddressService } from '../../src/address-service/address-service.js';
import {
  FileAddressSource,
  FixedAddressSource,
  addressSourceFromEnv,
} from '../../src/address-service/address-source.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ns-addr-service-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function startService(
  source: ConstructorParameters<typeof AddressService>[0]['source'],
  subgroup?: string,
): Promise<{ service: AddressService; base: string }> {
  const service = new AddressService({
    source,
    host: '127.0.0.1',
    port: 0,
    ...(subgroup === undefined ? {} : { subgroup }),
  });
  cleanups.push(() => service.close());
  const { host, port } = await service.start();
  return { service, base: `http://${host}:${port}` };
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('parseAddressFile', () => {
  it('accepts one a;b line, one address per line, comments and blank lines', () => {
    expect(parseAddressFile('a:1;b:2\n')).toEqual(['a:1', 'b:2']);
    expect(parseAddressFile('# prod\r\na:1\n\n  b:2  \nc:3;\n')).toEqual(['a:1', 'b:2', 'c:3']);
  });

  it('rejects an empty or malformed file with the source named', () => {
    expect(() => parseAddressFile('# nothing\n', '/etc/ns')).toThrow(/\/etc\/ns holds no address/);
    expect(() => parseAddressFile('a:1,b:2', '/etc/ns')).toThrow(InvalidAddressListError);
    expect(() => parseAddressFile('a:1 b:2', '/etc/ns')).toThrow(/\/etc\/ns: .*whitespace/);
  });
});

describe('AddressService', () => {
  it('serves the bare list on /rocketmq/<subgroup> and the unit form', async () => {
    const { base } = await startService(new FixedAddressSource('10.0.0.1:9876;10.0.0.2:9876'));
    const plain = await get(`${base}/rocketmq/nsaddr`);
    expect(plain.status).toBe(200);
    // Exactly the list: no trailing newline (ali-ons only trims and splits on ';').
    expect(plain.body).toBe('10.0.0.1:9876;10.0.0.2:9876');
    expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
    const unit = await get(`${base}/rocketmq/nsaddr-unitA?nofix=1`);
    expect(unit.status).toBe(200);
    expect(unit.body).toBe('10.0.0.1:9876;10.0.0.2:9876');
    const head = await get(`${base}/rocketmq/nsaddr`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('gives Java TopAddressing and ali-ons 3.12.0 the same list', async () => {
    const { base } = await startService(new FixedAddressSource('a:9876;b:9876'));
    const { body } = await get(`${base}/rocketmq/nsaddr-unit?nofix=1`);
    // Java: clearNewLine (trim, cut at \r/\n) then split(';').
    const java = clearNewLine(body).split(';');
    // ali-ons RemotingClient#updateNameServerAddressList: data.toString().trim().split(';').
    const aliOns = body.trim().split(';');
    expect(java).toEqual(['a:9876', 'b:9876']);
    expect(aliOns).toEqual(java);
  });

  it('drops a connection that keeps a request open when closing, after a grace period', async () => {
    const { service, base } = await startService(new FixedAddressSource('a:1'));
    const { port } = service.address!;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('GET /rocketmq/nsaddr HTTP/1.1\r\nHost: x\r\n'); // headers never finished
    const closedSocket = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await service.close();
    await closedSocket;
    await expect(get(`${base}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('answers /healthz, 404 for other paths and 405 for other methods', async () => {
    const { base } = await startService(new FixedAddressSource('a:1'), 'nsaddr-prod');
    const health = await get(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', addresses: 1 });
    expect((await get(`${base}/rocketmq/nsaddr`)).status).toBe(404);
    expect((await get(`${base}/rocketmq/nsaddr-prod`)).body).toBe('a:1');
    expect((await get(`${base}/`)).status).toBe(404);
    const post = await get(`${base}/rocketmq/nsaddr-prod`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('binds like the NameServer: 0.0.0.0 also serves IPv6 clients, a bracketed IPv6 literal is taken', async ({
    skip,
  }) => {
    const probe = createServer();
    const ipv6 = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(0, '::1', () => probe.close(() => resolve(true)));
    });
    if (!ipv6) {
      console.warn('[address-service] SKIPPED: this host cannot listen on ::1 (IPv6 off)');
      skip();
    }
    for (const host of ['0.0.0.0', '[::1]']) {
      const service = new AddressService({ source: new FixedAddressSource('a:1'), host, port: 0 });
      cleanups.push(() => service.close());
      const started = await service.start();
      // The wildcard as configured, not the :: its dual-stack socket bound.
      expect(started.host).toBe(host === '0.0.0.0' ? '0.0.0.0' : '::1');
      expect((await get(`http://[::1]:${started.port}/healthz`)).status).toBe(200);
    }
  });

  it('answers 400 to a request target that is no URL, and keeps serving', async () => {
    const { service, base } = await startService(new FixedAddressSource('a:1'));
    const { port } = service.address!;
    for (const target of ['http://a:99999/rocketmq/nsaddr', '//[']) {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      await closed;
      expect(Buffer.concat(chunks).toString('latin1')).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect((await get(`${base}/rocketmq/nsaddr`)).body).toBe('a:1');
  });

  it('is usable by HttpAddressProvider with the Java URL rules (domain with port, unit name)', async () => {
    const { service, base } = await startService(new FixedAddressSource('x:1;y:2'));
    const port = service.address!.port;
    const p = new HttpAddressProvider({ domain: `127.0.0.1:${port}`, unitName: 'u', retries: 0 });
    cleanups.push(() => p.close());
    await p.start();
    expect(p.current()).toEqual(['x:1', 'y:2']);
    expect(base).toBe(`http://127.0.0.1:${port}`);
  });

  it('reloads the file on change, keeps the last good list on a malformed file, and logs it', async () => {
    const dir = await tempDir();
    const file = join(dir, 'nsaddr.txt');
    await writeFile(file, 'a:9876;b:9876\n');
    const logger = createMemoryLogger();
    const source = new FileAddressSource(file, { logger, pollIntervalMs: 50, debounceMs: 20 });
    const { base } = await startService(source);
    const p = new HttpAddressProvider({
      url: `${base}/rocketmq/nsaddr`,
      pollIntervalMs: 20,
      retries: 0,
    });
    cleanups.push(() => p.close());
    const seen: (readonly string[])[] = [];
    p.onChange((list) => seen.push(list));
    await p.start();
    expect(p.current()).toEqual(['a:9876', 'b:9876']);

    // One address per line is normalised to a;b.
    await writeFile(file, 'a:9876\nc:9876\n');
    await waitFor(
      () => p.current().join(';') === 'a:9876;c:9876',
      'the provider to see the new list',
    );
    expect((await get(`${base}/rocketmq/nsaddr`)).body).toBe('a:9876;c:9876');

    const reloads = source.reloads;
    const mark = logger.records.length;
    await writeFile(file, 'a:9876,c:9876\n');
    // Wait for the warning about this very file content (',' separator), not an earlier one.
    await waitFor(
      () =>
        logger.records
          .slice(mark)
          .some(
            (r) =>
              r.level === 'warn' &&
              r.fields.err instanceof InvalidAddressListError &&
              r.fields.err.message.includes("','"),
          ),
      'the malformed-file warning',
    );
    expect(source.reloads).toBe(reloads);
    expect((await get(`${base}/rocketmq/nsaddr`)).body).toBe('a:9876;c:9876');
    expect(p.current()).toEqual(['a:9876', 'c:9876']);

    // Atomic replace (write temp + rename), as editors and config tools do.
    const tmp = join(dir, 'nsaddr.txt.tmp');
    await writeFile(tmp, 'd:9876;e:9876');
    await rename(tmp, file);
    await waitFor(() => source.current()[0] === 'd:9876', 'the renamed file to be loaded');
    await waitFor(() => p.current()[0] === 'd:9876', 'the provider to follow');
    expect(seen.at(-1)).toEqual(['d:9876', 'e:9876']);
  });

  it('picks up changes by polling alone when fs.watch is off', async () => {
    const dir = await tempDir();
    const file = join(dir, 'list');
    await writeFile(file, 'a:1');
    const source = new FileAddressSource(file, {
      useFsWatch: false,
      pollIntervalMs: 20,
      debounceMs: 0,
    });
    cleanups.push(() => source.close());
    await source.start();
    expect(source.current()).toEqual(['a:1']);
    await writeFile(file, 'b:2;c:3 '); // different size, so the stat stamp changes
    await waitFor(() => source.reloads === 1, 'the polled reload');
    expect(source.current()).toEqual(['b:2', 'c:3']);
    expect(() => new FileAddressSource(file, { pollIntervalMs: 0 })).toThrow(InvalidOptionError);
    expect(() => new FileAddressSource(file, { debounceMs: -1 })).toThrow(/debounceMs/);
  });

  it('refuses to start on a missing or malformed file', async () => {
    const dir = await tempDir();
    await expect(new FileAddressSource(join(dir, 'missing')).start()).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const bad = join(dir, 'bad');
    await writeFile(bad, 'a:1,b:2');
    const service = new AddressService({ source: new FileAddressSource(bad), port: 0 });
    await expect(service.start()).rejects.toBeInstanceOf(InvalidAddressListError);
    await service.close();
  });

  it('reads the list from an environment variable with clear errors', () => {
    expect(addressSourceFromEnv('NS', { NS: 'a:1;b:2' }).current()).toEqual(['a:1', 'b:2']);
    expect(() => addressSourceFromEnv('NS', {})).toThrow(/NS is not set or empty/);
    expect(() => addressSourceFromEnv('NS', { NS: 'a:1,b:2' })).toThrow(
      /environment variable NS: .*','/,
    );
  });

  it('validates port and subgroup', () => {
    const source = new FixedAddressSource('a:1');
    expect(() => new AddressService({ source, port: 70000 })).toThrow(InvalidOptionError);
    expect(() => new AddressService({ source, subgroup: 'a/b' })).toThrow(/path segment/);
  });
});
