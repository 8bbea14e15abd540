/**
 * Test helper: real @ns/server NameServers in-process on 127.0.0.1 (port 0), restartable on the
 * same port with empty state, plus polling helpers. Not a test file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, NameServer } from '@ns/server';

export interface RunningNode {
  readonly addr: string;
  readonly port: number;
  server: NameServer;
}

export class NameServerCluster {
  readonly nodes: RunningNode[] = [];
  readonly #dir = mkdtempSync(join(tmpdir(), 'ns-agent-'));
  readonly #extraArgs: readonly string[];

  constructor(extraArgs: readonly string[] = []) {
    this.#extraArgs = extraArgs;
  }

  static async start(count: number, extraArgs: readonly string[] = []): Promise<NameServerCluster> {
    const c = new NameServerCluster(extraArgs);
    for (let i = 0; i < count; i++) {
      const server = c.#create(0, i);
      const { port } = await server.start();
      c.nodes.push({ addr: `127.0.0.1:${port}`, port, server });
    }
    return c;
  }

  get addrs(): string[] {
    return this.nodes.map((n) => n.addr);
  }

  node(i: number): RunningNode {
    const n = this.nodes[i];
    if (n === undefined) throw new Error(`no node ${i}`);
    return n;
  }

  #create(port: number, index: number): NameServer {
    const config = loadConfig({
      argv: [
        `--listenPort=${port}`,
        '--bindAddress=127.0.0.1',
        '--httpPort=-1',
        `--kvConfigPath=${join(this.#dir, `kv-${index}-${Date.now()}.json`)}`,
        ...this.#extraArgs,
      ],
      env: {},
      readFile: (p) => readFileSync(p, 'utf8'),
      homeDir: this.#dir,
    }).config;
    return new NameServer({ config, defaultMetrics: false });
  }

  /** Closes node i (its state is lost). */
  async kill(i: number): Promise<void> {
    await this.node(i).server.close();
  }

  /** Starts a fresh, empty NameServer on node i's port. */
  async restart(i: number): Promise<void> {
    const n = this.node(i);
    n.server = this.#create(n.port, i);
    await n.server.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.close()));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A TCP listener that accepts connections and never answers (a hung NameServer). */
export async function startBlackHole(): Promise<{ addr: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    addr: `127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nobody listens on (bound, then released). */
export async function refusedAddr(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${address.port}`;
}

/** Polls `predicate` until it is true or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor(
  what: string,
  predicate: () => boolean,
  timeoutMs = 5_000,
  intervalMs = 10,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (predicate()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

let seq = 0;
/** A unique suffix for topic/cluster names. */
export function uniq(prefix: string): string {
  seq++;
  return `${prefix}-${process.pid}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
}
