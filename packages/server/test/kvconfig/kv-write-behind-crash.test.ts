/**
 * Crash safety of a running node's KV writes (the write-behind path): a real `ns-server`
 * (dist/main.js, one process, its KV persistence thread) takes PUT_KV_CONFIG over TCP from
 * several connections at once and is SIGKILLed at a random moment. After every kill the file
 * parses and holds every put the node acknowledged. The node restarts on the same file each
 * round, so later rounds also check that it loads what it wrote.
 *
 * The node runs the compiled code (dist/), so `tsc -b` must have run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { KVConfigFileStore } from '../../src/kvconfig/kv-config-store.js';
import { request } from '../handlers-harness.js';
import { RawClient } from '../transport-helpers.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const CONNECTIONS = 3;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let opaque = 1;

/**
 * Starts the node on `kvPath`, has CONNECTIONS clients put keys `r<round>-c<conn>-<i>` one after
 * the other, and SIGKILLs the node `delayMs` after `minAcks` puts were acknowledged. Resolves to
 * the acknowledged keys.
 */
async function runAndKill(
  dir: string,
  kvPath: string,
  round: number,
  minAcks: number,
  delayMs: number,
): Promise<string[]> {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      '--bindAddress=127.0.0.1',
      '--listenPort=0',
      '--httpPort=-1',
      '--servingWorkers=1',
      `--kvConfigPath=${kvPath}`,
      `--configStorePath=${join(dir, 'namesrv.properties')}`,
      '--logLevel=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(signal ?? code);
    });
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /"event":"listening".*?"port":(\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      void exited.then((how) => {
        reject(new Error(`node exited (${String(how)}) before listening; stderr: ${stderr}`));
      });
    });
    const acked: string[] = [];
    let killed = false;
    const kill = (): void => {
      if (killed) return;
      killed = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    };
    const clients = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => RawClient.connect(port)),
    );
    await Promise.all(
      clients.map(async (c, ci) => {
        for (let i = 0; !c.isClosed; i++) {
          const key = `r${round}-c${ci}-${i}`;
          const answer = await Promise.race([
            c.request(
              request(RequestCode.PUT_KV_CONFIG, {
                opaque: opaque++,
                ext: { namespace: 'crash', key, value: `value-${key}` },
              }),
              20_000,
            ),
            c.closed.then(() => null),
          ]);
          if (answer === null) return;
          expect(answer.code, answer.remark ?? '').toBe(ResponseCode.SUCCESS);
          acked.push(key);
          if (acked.length >= minAcks) kill();
        }
      }),
    );
    expect(await exited).toBe('SIGKILL');
    return acked;
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
  }
}

describe('KV write-behind crash safety', () => {
  it('after every SIGKILL of a node the file parses and holds every acknowledged put', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-wb-crash-'));
    dirs.push(dir);
    const kvPath = join(dir, 'nested', 'kvConfig.json');
    const allAcked: string[] = [];
    for (let round = 0; round < 5; round++) {
      const acked = await runAndKill(dir, kvPath, round, 6, Math.floor(Math.random() * 40));
      expect(acked.length).toBeGreaterThanOrEqual(6);
      allAcked.push(...acked);
      // Throws if the file does not parse; a corrupt file would also stop the next round's node.
      const ns = new KVConfigFileStore(kvPath).load().get('crash');
      expect(ns).toBeDefined();
      const missing = allAcked.filter((k) => ns!.get(k) !== `value-${k}`);
      expect(missing, `round ${round}: acknowledged puts missing from the file`).toEqual([]);
    }
  }, 120_000);
});
