/**
 * A real in-process NameServer on 127.0.0.1:0 for tests that talk to it over TCP, with 1 or more
 * serving processes. `useNodes(prefix)` registers the per-test temp directory and the cleanup
 * (clients destroyed, nodes closed, the directory removed) with vitest's hooks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { NameServer } from '../src/name-server.js';
import { RawClient } from './transport-helpers.js';

export interface StartedNode {
  node: NameServer;
  port: number;
}

export interface NodeFixture {
  /** This test's temp directory (new for every test). */
  dir(): string;
  /**
   * Starts a node with `workers` serving processes, silent, no HTTP port, its home (and so its
   * default KV and config files) in a fresh folder of dir(); `argv` adds or overrides flags.
   */
  start(workers: number, ...argv: string[]): Promise<StartedNode>;
  /** A raw client, destroyed after the test. */
  connect(port: number): Promise<RawClient>;
  /** Runs after the test, once clients and nodes are closed. */
  onCleanup(cleanup: () => void): void;
}

export function useNodes(prefix: string): NodeFixture {
  let dir = '';
  let started = 0;
  const servers: NameServer[] = [];
  const clients: RawClient[] = [];
  const cleanups: (() => void)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const s of servers.splice(0)) await s.close();
    for (const c of cleanups.splice(0)) c();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    dir: () => dir,
    async start(workers, ...argv) {
      const config = loadConfig({
        argv: [
          '--bindAddress=127.0.0.1',
          '--listenPort=0',
          '--httpPort=-1',
          `--servingWorkers=${workers}`,
          '--logLevel=silent',
          ...argv,
        ],
        env: {},
        readFile: (p) => readFileSync(p, 'utf8'),
        homeDir: join(dir, `w${workers}-${started++}`),
      }).config;
      const node = new NameServer({ config, defaultMetrics: false });
      servers.push(node);
      const { port } = await node.start();
      return { node, port };
    },
    async connect(port) {
      const c = await RawClient.connect(port);
      clients.push(c);
      return c;
    },
    onCleanup(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
