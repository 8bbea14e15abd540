/**
 * Redirects from the address service, as Java's TopAddressing gets them through HttpURLConnection
 * (redirects followed by default): 300-303 and 307 to the same protocol are followed, up to
 * MAX_ADDRESS_REDIRECTS; others are a failed fetch (HTTP status), as a non-200 answer is in Java.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Handler, ScriptedHttpServer } from './http-test-server.js';
import { reply, startScriptedHttpServer } from './http-test-server.js';
import { HttpAddressProvider } from '../../src/address/http-address-provider.js';
import { MAX_ADDRESS_REDIRECTS } from '../../src/address/http-redirect.js';
import { AddressServiceError } from '../../src/errors.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const LIST = '10.0.0.1:9876;10.0.0.2:9876';

async function server(handler: Handler): Promise<ScriptedHttpServer> {
  const s = await startScriptedHttpServer(handler);
  cleanups.push(() => s.close());
  return s;
}

function provider(url: string): HttpAddressProvider {
  const p = new HttpAddressProvider({ url, retries: 0 });
  cleanups.push(() => p.close());
  return p;
}

/** Redirects `/rocketmq/nsaddr` to `location` with `status`; answers the list elsewhere. */
function redirecting(status: number, location: string): Handler {
  return (req, res) => {
    if (req.url === '/rocketmq/nsaddr') {
      res.writeHead(status, { location });
      res.end();
      return;
    }
    reply(200, LIST)(req, res);
  };
}

describe('HttpAddressProvider redirects', () => {
  it.each([300, 301, 302, 303, 307])(
    'follows a %i to a path of the same service',
    async (status) => {
      const s = await server(redirecting(status, '/rocketmq/nsaddr-moved'));
      const p = provider(`${s.base}/rocketmq/nsaddr`);
      expect(await p.refresh()).toEqual(['10.0.0.1:9876', '10.0.0.2:9876']);
      expect(s.requests).toEqual(['/rocketmq/nsaddr', '/rocketmq/nsaddr-moved']);
    },
  );

  it('follows a redirect to another host of the same protocol', async () => {
    const target = await server(reply(200, LIST));
    const s = await server(redirecting(302, `${target.base}/rocketmq/nsaddr`));
    const p = provider(`${s.base}/rocketmq/nsaddr`);
    expect(p.current()).toEqual([]);
    await p.refresh();
    expect(p.current()).toEqual(['10.0.0.1:9876', '10.0.0.2:9876']);
    expect(target.requests).toEqual(['/rocketmq/nsaddr']);
  });

  it('does not follow a redirect to another protocol, nor a 308 (HttpURLConnection neither)', async () => {
    for (const [status, location] of [
      [302, 'https://127.0.0.1:1/rocketmq/nsaddr'],
      [308, '/rocketmq/nsaddr-moved'],
    ] as const) {
      const s = await server(redirecting(status, location));
      const err = await provider(`${s.base}/rocketmq/nsaddr`)
        .refresh()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AddressServiceError);
      expect(err).toMatchObject({ reason: 'http-status', statusCode: status });
      expect((err as Error).message).toContain('not followed');
      expect(s.requests).toEqual(['/rocketmq/nsaddr']);
    }
  });

  it(`gives up after ${MAX_ADDRESS_REDIRECTS} redirects`, async () => {
    // Every path redirects to the next one, for ever.
    const s = await server((req, res) => {
      res.writeHead(302, { location: `${req.url ?? ''}x` });
      res.end();
    });
    const err = await provider(`${s.base}/rocketmq/nsaddr`)
      .refresh()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'http-status', statusCode: 302 });
    expect(s.requests).toHaveLength(MAX_ADDRESS_REDIRECTS + 1);
  });
});
