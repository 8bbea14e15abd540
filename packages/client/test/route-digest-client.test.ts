import { afterEach, describe, expect, it } from 'vitest';
import type { ServerResponse } from 'node:http';
import { fetchAdminJson } from '../src/admin/route-digest-client.js';
import { startScriptedHttpServer, waitFor } from './address/http-test-server.js';
import type { ScriptedHttpServer } from './address/http-test-server.js';

const servers: ScriptedHttpServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(handler: Parameters<typeof startScriptedHttpServer>[0]) {
  const s = await startScriptedHttpServer(handler);
  servers.push(s);
  return s;
}

const CAP = 1 << 20;

/**
 * What a chunked 200 answer (no Content-Length) streamed: it writes `limit` bytes, 64 KiB at a
 * time as the client takes them, unless the client hangs up first.
 */
interface Stream {
  written: number;
  closed: boolean;
  finished: boolean;
}

function chunked(res: ServerResponse, limit: number, stream: Stream): void {
  const chunk = Buffer.alloc(64 << 10, 0x20);
  res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no content-length
  res.on('close', () => (stream.closed = true));
  const pump = () => {
    while (!res.destroyed && stream.written < limit) {
      stream.written += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) {
      stream.finished = true;
      res.end();
    }
  };
  pump();
}

describe('fetchAdminJson', () => {
  it('parses a chunked JSON body under the cap', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"digest":');
      res.end('"0000abcd"}');
    });
    await expect(fetchAdminJson(`${s.base}/digest`, 5_000, CAP)).resolves.toEqual({
      digest: '0000abcd',
    });
  });

  it('aborts a chunked body past the cap, naming the cap, without reading the rest', async () => {
    // 64 times the cap: a client that buffered it all would read 64 MiB (and then fail on JSON).
    const stream: Stream = { written: 0, closed: false, finished: false };
    const s = await server((_req, res) => chunked(res, 64 * CAP, stream));
    await expect(fetchAdminJson(`${s.base}/digest`, 10_000, CAP)).rejects.toThrow(
      `GET ${s.base}/digest: body is over the cap of ${CAP} bytes`,
    );
    // The client hung up: the server never got to write the whole body.
    await waitFor(() => stream.closed, 'the server to see the client hang up');
    expect(stream.finished).toBe(false);
    expect(stream.written).toBeLessThan(64 * CAP);
  });

  it('refuses a Content-Length over the cap before reading', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': CAP + 1 });
      res.write('{');
      // Never ends: the client must not wait for the rest.
    });
    await expect(fetchAdminJson(`${s.base}/digest`, 10_000, CAP)).rejects.toThrow(
      `body of ${CAP + 1} bytes is over the cap of ${CAP} bytes`,
    );
  });

  it('an HTTP error without a JSON reason is reported as its status', async () => {
    const s = await server((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no');
    });
    await expect(fetchAdminJson(`${s.base}/digest`, 5_000, CAP)).rejects.toThrow(
      `GET ${s.base}/digest: HTTP 404 (not a nameserver-ts admin port`,
    );
  });

  // checkNodes printed a bare "HTTP 403" where the node said why (httpAllowedHosts, ACL).
  it("an HTTP error names the node's JSON reason, and reads no more than 4 KiB of it", async () => {
    const s = await server((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"error":"add ns1.example.com to httpAllowedHosts"}');
    });
    await expect(fetchAdminJson(`${s.base}/digest`, 5_000, CAP)).rejects.toThrow(
      `GET ${s.base}/digest: HTTP 403: add ns1.example.com to httpAllowedHosts`,
    );
    const endless = await server((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      // A body that never ends: only its first bytes are read, then the request is dropped.
      const again = (): void => {
        if (res.write(' '.repeat(65_536))) setImmediate(again);
        else res.once('drain', again);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      again();
    });
    await expect(fetchAdminJson(`${endless.base}/digest`, 5_000, CAP)).rejects.toThrow(
      `GET ${endless.base}/digest: HTTP 403`,
    );
  });
});
