/**
 * Options that feed a Node timer are refused above 2^31-1 ms: Node would fire such a timer after
 * 1 ms (a TimeoutOverflowWarning), turning a long poll interval into a request loop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionAddressProvider } from '../src/address/function-address-provider.js';
import { HttpAddressProvider } from '../src/address/http-address-provider.js';
import { FileAddressSource } from '../src/address-service/address-source.js';
import { checkNodes, fetchRouteDigest } from '../src/admin/route-digest-client.js';
import { InvalidOptionError } from '../src/errors.js';
import { NameServerClient } from '../src/name-server-client.js';
import type { NameServerClientOptions } from '../src/name-server-client.js';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import { MAX_TIMER_MS } from '../src/timer-limit.js';
import { runCli } from './helpers/cli-io.js';

const OVER = MAX_TIMER_MS + 1;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** What constructing with `make` throws: an InvalidOptionError naming `option` and the limit. */
function expectRefused(make: () => unknown, option: string): void {
  let thrown: unknown;
  try {
    const made = make();
    if (made instanceof NameServerClient || made instanceof RemotingClient) {
      closers.push(() => made.close());
    }
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionError);
  expect((thrown as InvalidOptionError).option).toBe(option);
  expect((thrown as Error).message).toContain(option);
  expect((thrown as Error).message).toContain('at most 2147483647 ms');
}

function nsClient(options: NameServerClientOptions): NameServerClient {
  const client = new NameServerClient({ namesrvAddr: '127.0.0.1:9876', env: {}, ...options });
  closers.push(() => client.close());
  return client;
}

describe('timer options above 2^31-1 ms', () => {
  it('NameServerClient refuses them, naming the option', () => {
    expectRefused(() => nsClient({ timeoutMs: OVER }), 'timeoutMs');
    expectRefused(() => nsClient({ pollNameServerInterval: 2 ** 31 }), 'pollNameServerInterval');
    expectRefused(
      () => nsClient({ routeWatch: { safetyPollIntervalMs: Number.MAX_SAFE_INTEGER } }),
      'routeWatch.safetyPollIntervalMs',
    );
    expectRefused(() => nsClient({ routeWatch: { holdMs: OVER } }), 'routeWatch.holdMs');
    expectRefused(
      () => nsClient({ routeWatch: { refusedRetryMs: OVER } }),
      'routeWatch.refusedRetryMs',
    );
    // The limit itself is a valid delay.
    const client = nsClient({
      pollNameServerInterval: MAX_TIMER_MS,
      routeWatch: { safetyPollIntervalMs: MAX_TIMER_MS, holdMs: MAX_TIMER_MS },
    });
    expect(client.pollNameServerInterval).toBe(MAX_TIMER_MS);
    // The default safety poll, 4 × the poll interval, stays within the limit too.
    expect(nsClient({ pollNameServerInterval: 1_000_000_000 }).safetyPollIntervalMs).toBe(
      MAX_TIMER_MS,
    );
  });

  it('RemotingClient refuses them, per client and per call', async () => {
    expectRefused(() => new RemotingClient({ requestTimeoutMs: OVER }), 'requestTimeoutMs');
    expectRefused(() => new RemotingClient({ connectTimeoutMs: OVER }), 'connectTimeoutMs');
    expectRefused(() => new RemotingClient({ idleTimeoutMs: OVER }), 'idleTimeoutMs');
    const remoting = new RemotingClient();
    closers.push(() => remoting.close());
    await expect(
      remoting.invoke('127.0.0.1:1', { code: 106 }, { timeoutMs: OVER }),
    ).rejects.toThrow(/timeoutMs: at most 2147483647 ms/);
  });

  it('address providers and the address service source refuse them', () => {
    expectRefused(
      () => new HttpAddressProvider({ url: 'http://127.0.0.1:1/x', pollIntervalMs: OVER }),
      'pollIntervalMs',
    );
    expectRefused(
      () => new HttpAddressProvider({ url: 'http://127.0.0.1:1/x', requestTimeoutMs: OVER }),
      'requestTimeoutMs',
    );
    expectRefused(
      () => new HttpAddressProvider({ url: 'http://127.0.0.1:1/x', retryMinDelayMs: OVER }),
      'retryMinDelayMs',
    );
    expectRefused(
      () => new HttpAddressProvider({ url: 'http://127.0.0.1:1/x', initialDelayMs: OVER }),
      'initialDelayMs',
    );
    expectRefused(
      () => new FunctionAddressProvider(() => '127.0.0.1:1', { refreshIntervalMs: OVER }),
      'refreshIntervalMs',
    );
    expectRefused(
      () => new FileAddressSource('/nonexistent', { pollIntervalMs: OVER }),
      'pollIntervalMs',
    );
    expectRefused(() => new FileAddressSource('/nonexistent', { debounceMs: OVER }), 'debounceMs');
  });

  it('the route digest client refuses them', async () => {
    await expect(fetchRouteDigest('http://127.0.0.1:1', { timeoutMs: OVER })).rejects.toThrow(
      /timeoutMs: at most 2147483647 ms/,
    );
    await expect(checkNodes('127.0.0.1:1', { timeoutMs: OVER })).rejects.toThrow(
      InvalidOptionError,
    );
  });

  it('nsadmin refuses --timeout and --interval above the limit (exit 2)', async () => {
    const timeout = await runCli(['clusterList', '-n', '127.0.0.1:1', '--timeout', '3000000000']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain(
      "--timeout: at most 2147483647 ms (the longest delay a Node.js timer takes), got '3000000000'",
    );
    const standalone = await runCli(['checkNodes', '-n', '127.0.0.1:1', '--timeout', '2147483648']);
    expect(standalone.code).toBe(2);
    expect(standalone.stderr).toContain('--timeout: at most 2147483647 ms');
    const interval = await runCli([
      'watchTopicRoute',
      '-n',
      '127.0.0.1:1',
      '-t',
      'T',
      '--interval',
      '2147483648',
    ]);
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain('--interval: at most 2147483647 ms');
  });
});
