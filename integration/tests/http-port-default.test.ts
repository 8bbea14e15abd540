/**
 * Several nodes on one host, started with nothing but different --listenPort values, all come up:
 * each HTTP admin port defaults to its own listenPort + 1 instead of one fixed port they would
 * all fight over. Port 0 cannot show the rule, so the test picks pairs of consecutive ports that
 * were free on 0.0.0.0 a moment before (as an operator would); if another process takes one in
 * between, it picks again.
 */
import { describe, expect, it } from 'vitest';
import { freePortPair } from '../harness/free-port.js';
import type { ManagedProcess } from '../harness/managed-process.js';
import { requireBuilt } from '../harness/paths.js';
import { useScope } from '../harness/scope.js';
import type { TestScope } from '../harness/scope.js';

const NODES = 3;
const ATTEMPTS = 3;
const START_TIMEOUT_MS = 20_000;

interface Started {
  readonly listenPort: number;
  readonly process: ManagedProcess;
  readonly listening: Readonly<Record<string, unknown>>;
}

async function pickListenPorts(): Promise<number[]> {
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < NODES; i++) {
    const port = await freePortPair('0.0.0.0', taken);
    taken.add(port).add(port + 1);
    ports.push(port);
  }
  return ports;
}

/** The port another process took between our check and the node's bind, if that is why it failed. */
function lostRaceFor(proc: ManagedProcess, ours: ReadonlySet<number>): boolean {
  const match = /cannot listen on [^\s]*:(\d+) \(\w+\): EADDRINUSE/.exec(proc.stderr.text());
  return match !== null && ours.has(Number(match[1]));
}

async function startNodes(scope: TestScope, home: string): Promise<Started[]> {
  const entry = requireBuilt('server');
  for (let attempt = 1; ; attempt++) {
    const listenPorts = await pickListenPorts();
    const procs = listenPorts.map((port) =>
      scope.spawn({
        name: `ns-${port}`,
        entry,
        // Only the port differs; HOME keeps the default KV file out of the real home directory.
        args: [`--listenPort=${port}`],
        env: { HOME: home },
      }),
    );
    const results = await Promise.allSettled(
      procs.map((p) => p.waitForEvent('listening', START_TIMEOUT_MS)),
    );
    if (results.every((r) => r.status === 'fulfilled')) {
      return results.map((r, i) => ({
        listenPort: listenPorts[i]!,
        process: procs[i]!,
        listening: (r as PromiseFulfilledResult<Readonly<Record<string, unknown>>>).value,
      }));
    }
    await Promise.all(procs.map((p) => p.stop()));
    const ours = new Set(listenPorts.flatMap((p) => [p, p + 1]));
    // A collision between our own nodes (e.g. on a fixed default HTTP port) is the failure under
    // test; only a port we picked and someone else took is worth another attempt.
    if (attempt >= ATTEMPTS || !procs.some((p) => !p.isRunning && lostRaceFor(p, ours))) {
      const failed = results.find((r) => r.status === 'rejected');
      throw new Error(`not every node came up (attempt ${attempt})`, {
        cause: failed?.status === 'rejected' ? failed.reason : undefined,
      });
    }
  }
}

describe('httpPort default', () => {
  it('three nodes on one host with only different --listenPort values all come up, HTTP on listenPort + 1', async () => {
    const scope = useScope();
    const nodes = await startNodes(scope, await scope.tempDir('home'));
    for (const node of nodes) {
      expect(node.listening).toMatchObject({
        event: 'listening',
        host: '0.0.0.0',
        port: node.listenPort,
        httpPort: node.listenPort + 1,
      });
      const res = await fetch(`http://127.0.0.1:${node.listenPort + 1}/healthz`);
      expect(res.status).toBe(200);
    }
  });
});
