import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { KVConfigFileStore } from '../../src/kvconfig/kv-config-store.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the child until it has acknowledged `minAcks` puts, then SIGKILLs it after `delayMs`. */
function runAndKill(
  path: string,
  start: number,
  minAcks: number,
  delayMs: number,
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'crash-child.ts'), path, String(start)],
      {
        env: { ...process.env, TSX_TSCONFIG_PATH: join(here, 'tsconfig.child.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const acked: number[] = [];
    let buf = '';
    let stderr = '';
    let killScheduled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child made no progress; stderr: ${stderr}`));
    }, 15_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('key-')) acked.push(Number(line.slice(4)));
      }
      if (!killScheduled && acked.length >= minAcks) {
        killScheduled = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited with ${code}; stderr: ${stderr}`));
    });
  });
}

describe('KVConfigFileStore crash safety', () => {
  it('after every SIGKILL the file parses and holds every acknowledged put', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-crash-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'kvConfig.json');
    const allAcked: number[] = [];
    let next = 0;
    for (let round = 0; round < 6; round++) {
      const acked = await runAndKill(path, next, 3, 5 + Math.floor(Math.random() * 40));
      expect(acked.length).toBeGreaterThanOrEqual(3);
      allAcked.push(...acked);
      next = acked[acked.length - 1]! + 2; // the key after the last ack may or may not have landed
      const table = new KVConfigFileStore(path).load();
      const ns = table.get('crash');
      expect(ns).toBeDefined();
      for (const i of allAcked) expect(ns!.get(`key-${i}`)).toBe(`value-${i}`);
    }
  }, 60_000);
});
