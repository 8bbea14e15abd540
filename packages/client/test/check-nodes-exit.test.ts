/** `nsadmin checkNodes` exit codes against scripted admin ports (no NameServer needed). */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli-io.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
  );
});

/** A /digest naming one broker name whose topics hash is `topicsHash`. */
function digestBody(topicsHash: string): string {
  return JSON.stringify({
    format: 1,
    digest: topicsHash,
    topicCount: 2,
    clusters: [],
    brokerGroups: [
      { brokerName: 'broker-b', cluster: 'c', brokerAddrs: {}, topicCount: 2, topicsHash },
    ],
    brokers: [],
  });
}

/** An admin port: /digest as given; /digest/topics answered by `topics` (null: 404). */
async function adminPort(topicsHash: string, topics: string | null): Promise<string> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = path === '/digest' ? digestBody(topicsHash) : topics;
    if (body === null) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"no broker name broker-b on this node"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('nsadmin checkNodes exit codes', () => {
  it('exits 1 (differ), not 2 (unreadable), when only the topic list naming a difference fails', async () => {
    const topics = JSON.stringify({ format: 1, brokerName: 'broker-b', topics: [] });
    const a = await adminPort('0000000a', topics);
    // Its broker name left between the two reads: /digest/topics answers 404.
    const b = await adminPort('0000000b', null);
    const run = await runCli(['checkNodes', '-n', `${a};${b}`]);
    expect(run.stderr).toContain('the nodes differ');
    expect(run.code).toBe(1);
    // The hint about a port without /digest is for /digest only.
    expect(run.stdout).not.toContain('without /digest');
  });
});
