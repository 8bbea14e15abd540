import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScriptedHttpServer } from '../address/http-test-server.js';
import {
  reply,
  startScriptedHttpServer,
  unusedPort,
  waitFor,
} from '../address/http-test-server.js';
import { AddressServiceError, InvalidOptionError } from '../../src/errors.js';
import { createMemoryLogger } from '../../src/logger.js';
import { HttpAddressProvider, clearNewLine } from '../../src/address/http-address-provider.js';
import { snapshotFilePath } from '../../src/address/snapshot-file.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function server(body = 'a:1;b:2'): Promise<ScriptedHttpServer> {
  const s = await startScriptedHttpServer(reply(200, body));
  cleanups.push(() => s.close());
  return s;
}

function provider(
  options: ConstructorParameters<typeof HttpAddressProvider>[0],
): HttpAddressProvider {
  const p = new HttpAddressProvider({ retryMinDelayMs: 10, ...options });
  cleanups.push(() => p.close());
  return p;
}

async function rejection(promise: Promise<unknown>): Promise<AddressServiceError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AddressServiceError);
    return err as AddressServiceError;
  }
  throw new Error('expected a rejection');
}

describe('clearNewLine (Java TopAddressing#clearNewLine)', () => {
  it('trims and cuts at the first \\r or \\n', () => {
    expect(clearNewLine('  a:1;b:2  ')).toBe('a:1;b:2');
    expect(clearNewLine('a:1;b:2\nc:3')).toBe('a:1;b:2');
    expect(clearNewLine('a:1\r\nb:2')).toBe('a:1');
    expect(clearNewLine('\n\na:1\n')).toBe('a:1');
  });
});

describe('HttpAddressProvider', () => {
  it('fetches at start, then reports only membership changes', async () => {
    const s = await server('10.0.0.1:9876;10.0.0.2:9876\n');
    const p = provider({ url: `${s.base}/rocketmq/nsaddr`, pollIntervalMs: 20 });
    const seen: (readonly string[])[] = [];
    p.onChange((list) => seen.push(list));
    await p.start();
    expect(p.current()).toEqual(['10.0.0.1:9876', '10.0.0.2:9876']);
    expect(s.requests[0]).toBe('/rocketmq/nsaddr');

    // Same members in another order: polled, but no change event.
    s.handler = reply(200, '10.0.0.2:9876;10.0.0.1:9876');
    const polled = s.requests.length;
    await waitFor(() => s.requests.length >= polled + 2, 'two more polls');
    expect(seen).toHaveLength(1);

    s.handler = reply(200, '10.0.0.3:9876');
    await waitFor(() => seen.length === 2, 'the change event');
    expect(seen[1]).toEqual(['10.0.0.3:9876']);
    expect(p.current()).toEqual(['10.0.0.3:9876']);
  });

  it('keeps the last good list through an outage and recovers after it', async () => {
    const s = await server('a:1;b:2');
    const logger = createMemoryLogger();
    const p = provider({ url: `${s.base}/x`, pollIntervalMs: 20, retries: 1, logger });
    await p.start();
    s.handler = reply(503, 'down');
    const before = s.requests.length;
    await waitFor(() => p.lastError !== undefined, 'a failed poll');
    expect(p.lastError?.reason).toBe('http-status');
    expect(p.lastError?.statusCode).toBe(503);
    expect(s.requests.length).toBeGreaterThanOrEqual(before + 2); // one retry inside the poll
    expect(p.current()).toEqual(['a:1', 'b:2']);
    expect(logger.records.some((r) => r.level === 'warn' && r.fields.url === `${s.base}/x`)).toBe(
      true,
    );

    s.handler = reply(200, 'c:3');
    await waitFor(() => p.current()[0] === 'c:3', 'recovery');
    expect(p.lastError).toBeUndefined();
  });

  it('never replaces a good list with a malformed body, and does not retry it', async () => {
    const s = await server('a:1;b:2');
    const p = provider({ url: `${s.base}/x`, retries: 3 });
    await p.start();
    for (const bad of ['a:1,b:2', '', '<html>oops</html>', 'a:1;;b:2', 'a:99999']) {
      s.handler = reply(200, bad);
      const before = s.requests.length;
      const err = await rejection(p.refresh());
      expect(err.reason).toBe('malformed-body');
      expect(err.retriable).toBe(false);
      expect(s.requests.length).toBe(before + 1);
      expect(p.current()).toEqual(['a:1', 'b:2']);
    }
  });

  it('retries a transient failure within one poll', async () => {
    const s = await server();
    let calls = 0;
    s.handler = (req, res) => {
      calls++;
      if (calls === 1) res.writeHead(500).end();
      else reply(200, 'x:1')(req, res);
    };
    const p = provider({ url: `${s.base}/x`, retries: 2 });
    await expect(p.refresh()).resolves.toEqual(['x:1']);
    expect(calls).toBe(2);
  });

  it('times out a slow reply after requestTimeoutMs', async () => {
    const s = await server();
    s.handler = () => {
      // never answers
    };
    const p = provider({ url: `${s.base}/x`, requestTimeoutMs: 150, retries: 1 });
    const started = Date.now();
    const err = await rejection(p.refresh());
    expect(err.reason).toBe('timeout');
    expect(err.retriable).toBe(true);
    // The server runs in this process: after a stall, the client's 150 ms timer can fire before
    // the server has parsed the retry it already received. Wait for the server's side.
    await waitFor(() => s.requests.length >= 2, 'the retry to reach the server');
    expect(s.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('closes at once while a fetch is still connecting', async () => {
    // Accepts TCP and never answers the TLS handshake: the fetch stays in its connect phase,
    // where undici does not act on an abort signal.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    let connections = 0;
    silent.on('connection', (socket) => {
      connections++;
      cleanups.push(() => {
        socket.destroy();
        return Promise.resolve();
      });
    });
    const { port } = silent.address() as AddressInfo;
    const p = new HttpAddressProvider({
      url: `https://127.0.0.1:${port}/rocketmq/nsaddr`,
      tls: { rejectUnauthorized: false },
      requestTimeoutMs: 20_000,
      retries: 0,
    });
    const started = p.start();
    await waitFor(() => connections > 0, 'the fetch to connect', 10_000);
    const t0 = Date.now();
    await p.close();
    // Without it, close() waited out the 20 s connect timeout.
    expect(Date.now() - t0).toBeLessThan(10_000);
    await started;
    expect(p.current()).toEqual([]);
  });

  it('starts with an empty list when the service is unreachable, without rejecting', async () => {
    const port = await unusedPort();
    const p = provider({ domain: `127.0.0.1:${port}`, retries: 0 });
    expect(p.url).toBe(`http://127.0.0.1:${port}/rocketmq/nsaddr`);
    await p.start();
    expect(p.current()).toEqual([]);
    expect(p.lastError?.reason).toBe('network');
  });

  it('writes a snapshot after a good fetch and restores it when the service is down at start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ns-snapshot-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const s = await server('n1:9876;n2:9876');
    const url = `${s.base}/rocketmq/nsaddr`;
    const first = provider({ url, snapshotDir: dir });
    await first.start();
    expect(await readFile(snapshotFilePath(dir, url), 'utf8')).toBe('n1:9876;n2:9876');
    expect(snapshotFilePath(dir, url)).toMatch(/nameserver_addr-[0-9a-f]{32}$/);

    // A malformed answer leaves the snapshot alone.
    s.handler = reply(200, 'n1:9876,n2:9876');
    await rejection(first.refresh());
    expect(await readFile(snapshotFilePath(dir, url), 'utf8')).toBe('n1:9876;n2:9876');
    await first.close();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    s.handler = reply(500, '');
    const second = provider({ url, snapshotDir: dir, retries: 0 });
    await second.start();
    expect(second.current()).toEqual(['n1:9876', 'n2:9876']);

    // Snapshots are per URL: another URL has none.
    const other = provider({ url: `${url}-unit?nofix=1`, snapshotDir: dir, retries: 0 });
    await other.start();
    expect(other.current()).toEqual([]);
  });

  it('closed while its first fetch waits, it restores no snapshot and publishes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ns-snapshot-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const s = await server('n1:9876');
    const url = `${s.base}/rocketmq/nsaddr`;
    const first = provider({ url, snapshotDir: dir });
    await first.start();
    await first.close();
    s.handler = () => {
      // never answers: the next provider's first fetch is still waiting when it is closed
    };
    const p = provider({ url, snapshotDir: dir, requestTimeoutMs: 20_000, retries: 0 });
    const changes: (readonly string[])[] = [];
    p.onChange((list) => changes.push(list));
    const started = p.start();
    await waitFor(() => s.requests.length >= 2, 'the second fetch to reach the service');
    await p.close();
    await started;
    expect(p.current()).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('asks again initialDelayMs after start, not a whole poll interval later', async () => {
    // Java polls 10 s after start, then every 2 minutes: a service not ready at start (HTTP 503)
    // must not leave the client without a list for the whole interval.
    const s = await server();
    s.handler = reply(503, 'not ready');
    const p = provider({ url: `${s.base}/x`, retries: 0, initialDelayMs: 50 });
    await p.start();
    expect(p.current()).toEqual([]);
    s.handler = reply(200, 'a:1;b:2');
    await waitFor(() => p.current().length === 2, 'the list from the first poll');
    expect(p.current()).toEqual(['a:1', 'b:2']);
    expect(p.lastError).toBeUndefined();
  });

  it('rejects bad options with InvalidOptionError', () => {
    expect(() => new HttpAddressProvider({ url: 'ftp://x' })).toThrow(InvalidOptionError);
    expect(() => new HttpAddressProvider({ pollIntervalMs: 0 })).toThrow(/pollIntervalMs/);
    expect(() => new HttpAddressProvider({ requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs/);
    expect(() => new HttpAddressProvider({ retries: 1.5 })).toThrow(/retries/);
    expect(() => new HttpAddressProvider({ initialDelayMs: 0 })).toThrow(/initialDelayMs/);
  });
});

describe('HttpAddressProvider, URLs fetch cannot use', () => {
  it('refuses an unbracketed IPv6 domain and a zone at construction, not at every poll', () => {
    const P = HttpAddressProvider;
    expect(() => new P({ domain: '::1' })).toThrow('must be in brackets');
    expect(() => new P({ domain: 'fd00::5:8080' })).toThrow('must be in brackets');
    expect(() => new P({ url: 'http://[fe80::1%25eth0]:8080/rocketmq/nsaddr' })).toThrow(
      'IPv6 zone',
    );
    expect(new P({ domain: '[fd00::5]:8080' }).url).toBe('http://[fd00::5]:8080/rocketmq/nsaddr');
  });
});
