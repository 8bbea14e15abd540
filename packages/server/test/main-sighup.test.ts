/**
 * `ns-server` (the built dist/main.js, as in main-cli.test.ts: `tsc -b` first) stops cleanly on
 * SIGHUP, as Java's mqnamesrv runs its shutdown hook on it: exit 0 after "shutting down" and
 * "name server stopped". Only SIGTERM and SIGINT were handled, so SIGHUP's default action killed
 * it (exit 129 from a shell) with no shutdown at all. A second signal still forces exit 3.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const MAIN = join(here, '..', 'dist', 'main.js');

beforeAll(() => {
  // A bare ENOENT (or MODULE_NOT_FOUND) from every child would not say what to do.
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npx tsc -b\` first (pnpm test:all builds first)`);
  }
});

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string | null>;
}

let home = '';
const children: Child[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGKILL');
      await c.exited;
    }
  }
  if (home !== '') rmSync(home, { recursive: true, force: true });
});

function run(args: string[]): Child {
  home = mkdtempSync(join(tmpdir(), 'ns-main-hup-'));
  const proc = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string | null>((resolve) =>
    // 'close', not 'exit': only then has every byte of stdout and stderr been read.
    proc.once('close', (code, signal) => resolve(code ?? signal)),
  );
  const child = { proc, stdout: () => out, stderr: () => err, exited };
  children.push(child);
  return child;
}

async function listening(child: Child, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!child.stdout().includes('\n')) {
    if (child.proc.exitCode !== null) {
      throw new Error(
        `ns-server exited ${child.proc.exitCode} before listening: ${child.stderr()}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`no listening line; stderr: ${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ns-server SIGHUP', () => {
  it('stops cleanly on SIGHUP: exit 0, shutdown logged', async () => {
    const child = run([
      '--bindAddress=127.0.0.1',
      '--listenPort=0',
      '--httpPort=-1',
      '--servingWorkers=1',
    ]);
    await listening(child);
    child.proc.kill('SIGHUP');
    expect(await child.exited, child.stderr()).toBe(0);
    const msgs = child
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg?: string; signal?: string });
    expect(msgs).toContainEqual(
      expect.objectContaining({ msg: 'shutting down', signal: 'SIGHUP' }),
    );
    expect(msgs.at(-1)).toMatchObject({ msg: 'name server stopped' });
  });
});
