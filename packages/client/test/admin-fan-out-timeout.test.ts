/**
 * Admin writes that go to every node (KV, permissions, config) wait for the address list first.
 * That wait ignored the call's timeout: with an address service that accepts and never answers, a
 * write with timeoutMs 300 took as long as the address fetch (9.9 s with its defaults), while a
 * one-node read gave up after 300 ms.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NameServerAdmin } from '../src/admin/name-server-admin.js';
import { NoNameServerError } from '../src/errors.js';
import { startScriptedHttpServer } from './address/http-test-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('NameServerAdmin fan-out while the address list is loading', () => {
  it('gives up on a write after its timeoutMs when the address service does not answer', async () => {
    const silent = await startScriptedHttpServer(() => undefined);
    cleanups.push(() => silent.close());
    const admin = new NameServerAdmin({
      env: {},
      // One 2.5 s attempt: a fetch that outlasts the call's timeout by far, yet ends on its own.
      addressService: {
        url: `${silent.base}/rocketmq/nsaddr`,
        retries: 0,
        requestTimeoutMs: 2_500,
      },
    });
    cleanups.push(() => admin.close());

    const startedAt = Date.now();
    const err = await admin
      .putKVConfig('NS', 'k', 'v', { timeoutMs: 300 })
      .catch((e: unknown) => e);
    const elapsedMs = Date.now() - startedAt;

    expect(err).toBeInstanceOf(NoNameServerError);
    // Bounded by the call's 300 ms, not by the 2.5 s fetch (wide margin for a loaded machine).
    expect(elapsedMs).toBeLessThan(1_800);
  });
});
