/**
 * The built bin (dist/cli/nsadmin.js) as a real process: shebang, exit codes, stdout/stderr.
 * Builds the client first (incremental `tsc -b`, a no-op when dist is current).
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import type { RealNameServer } from './helpers/real-name-server.js';
import { registerBroker, startRealNameServer } from './helpers/real-name-server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../dist/cli/nsadmin.js', import.meta.url));
const id = randomUUID().slice(0, 8);

let node: RealNameServer;
let remoting: RemotingClient;

beforeAll(async () => {
  await run(
    `${root}node_modules/.bin/tsc`,
    ['-b', fileURLToPath(new URL('../tsconfig.json', import.meta.url))],
    { cwd: root },
  );
  node = await startRealNameServer();
  // Kept open: a broker's connection closing unregisters it (Java channel-destroy rule).
  remoting = new RemotingClient();
  await registerBroker(remoting, node.addr, {
    clusterName: `C_${id}`,
    brokerName: `b-${id}`,
    brokerAddr: '127.0.0.1:32911',
    topics: [`T_${id}`],
  });
}, 120_000);

afterAll(async () => {
  await remoting.close();
  await node.close();
});

async function spawnCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // Through node: the executable bit is set by the package manager when it links the bin.
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('nsadmin bin', () => {
  it('starts with a node shebang', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('lists topics of a real node (NAMESRV_ADDR) and exits 0', async () => {
    const r = await spawnCli(['topicList'], { NAMESRV_ADDR: node.addr });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toContain(`T_${id}`);
  });

  it('exits quietly when its stdout is closed before it prints (`nsadmin … | true`)', async () => {
    const child = spawn(process.execPath, [bin, 'topicList'], {
      env: { PATH: process.env.PATH ?? '', NAMESRV_ADDR: node.addr },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader goes away at once; the answer comes after the process started and asked the
    // node, so printing it meets a closed pipe (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('ends watchTopicRoute quietly once its stdout is closed (`nsadmin watchTopicRoute … | head -1`)', async () => {
    const child = spawn(process.execPath, [bin, 'watchTopicRoute', '-t', `T_${id}`], {
      env: { PATH: process.env.PATH ?? '', NAMESRV_ADDR: node.addr },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Without the stop it would watch (and print into the closed pipe) until killed; SIGKILL,
    // because SIGTERM is a clean stop (exit 0) too.
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
    clearTimeout(timer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stderr).not.toContain('EPIPE');
  });

  it('exits non-zero with one line on stderr for bad usage and for an error response', async () => {
    const usage = await spawnCli(['topicRoute', '-n', node.addr]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('nsadmin: topicRoute: missing required option -t\n');
    const missing = await spawnCli(['topicRoute', '-n', node.addr, '-t', `Nope_${id}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('TOPIC_NOT_EXIST (code 17)');
  });
});
