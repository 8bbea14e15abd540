/**
 * invokeAny's `timeoutMs` bounds the whole call. It was given to each node tried, so a list of N
 * nodes that never complete a connect made one call last N × timeoutMs, and the wait for the
 * address list came on top.
 */
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestCode } from '@ns/protocol';
import { RemotingConnectError } from '../src/errors.js';
import { NameServerClient } from '../src/name-server-client.js';
import type { NameServerClientOptions } from '../src/name-server-client.js';
import { NameServerSelector } from '../src/selector/name-server-selector.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Nodes whose connects never complete (a black-holed network); see clientOfDeadNodes. */
const DEAD_NODES = ['10.255.0.1:9876', '10.255.0.2:9876', '10.255.0.3:9876', '10.255.0.4:9876'];

function clientOfDeadNodes(options: NameServerClientOptions): {
  client: NameServerClient;
  connects: string[];
} {
  const connects: string[] = [];
  const client = new NameServerClient({
    selector: new NameServerSelector({ shuffleOnChange: false, initialIndex: -1 }),
    env: {},
    routeWatch: false,
    remotingOptions: {
      // A socket that is never connected: each connect waits until the call gives up on it.
      socketFactory: ({ addr }) => {
        connects.push(addr);
        return new Socket();
      },
      connectTimeoutMs: 60_000,
    },
    ...options,
  });
  cleanups.push(() => client.close());
  return { client, connects };
}

async function timedCall(client: NameServerClient, timeoutMs: number) {
  const startedAt = Date.now();
  const err = await client
    .invokeAny({ code: RequestCode.GET_BROKER_CLUSTER_INFO }, { timeoutMs })
    .catch((e: unknown) => e);
  return { err, elapsedMs: Date.now() - startedAt };
}

describe('invokeAny timeout covers the whole call', () => {
  it('gives up after timeoutMs in all when no node completes a connect', async () => {
    const { client, connects } = clientOfDeadNodes({ namesrvAddr: DEAD_NODES.join(';') });
    const { err, elapsedMs } = await timedCall(client, 800);
    // The first node's failure says why; per-node timeouts took 4 × 800 = 3 200 ms.
    expect(err).toBeInstanceOf(RemotingConnectError);
    expect(elapsedMs).toBeLessThan(2_400);
    // Out of time after the first node: at most one more could have been started.
    expect(connects.length).toBeLessThanOrEqual(2);
  });

  it('counts the wait for the address list against the same timeout', async () => {
    const { client } = clientOfDeadNodes({
      addressProvider: async () => {
        await new Promise((resolve) => setTimeout(resolve, 700));
        return DEAD_NODES.slice(0, 2).join(';');
      },
    });
    const { err, elapsedMs } = await timedCall(client, 1_500);
    expect(err).toBeInstanceOf(RemotingConnectError);
    // 700 ms for the list, then what is left for the nodes; before, 700 + 2 × 1 500 ms.
    expect(elapsedMs).toBeLessThan(2_800);
  });

  it('keeps a node that only ran out of the time an earlier node left: the next calls use it', async () => {
    // A accepts and closes the connection 900 ms later without answering (a proxy whose backend
    // is down); B answers in 150 ms. The first call leaves B 100 ms. B was then dropped as
    // failed and the index went back to A: every call failed, B never used.
    const a = await startScriptedServer((_req, ctx) => {
      setTimeout(() => ctx.socket.destroy(), 900);
    });
    const b = await startScriptedServer((req, ctx) => {
      setTimeout(() => ctx.reply(req, { code: 0 }), 150);
    });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const client = new NameServerClient({
      namesrvAddr: `${a.addr};${b.addr}`,
      env: {},
      routeWatch: false,
      selector: new NameServerSelector({ shuffleOnChange: false, initialIndex: -1 }),
    });
    cleanups.push(() => client.close());
    const answeredBy: string[] = [];
    for (let i = 0; i < 6; i++) {
      answeredBy.push(
        await client
          .invokeAny({ code: RequestCode.GET_BROKER_CLUSTER_INFO }, { timeoutMs: 1_000 })
          .then(
            (r) => (r.addr === b.addr ? 'B' : 'A'),
            (e: unknown) => (e as Error).name,
          ),
      );
    }
    expect(answeredBy.filter((x) => x === 'B').length).toBeGreaterThanOrEqual(5);
    expect(client.chosenAddress).toBe(b.addr);
  });
});
