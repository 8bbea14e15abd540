/**
 * A start that failed (a custom address provider whose start() rejected once, say a config center
 * that was down for a moment) is tried again by the next call. It was kept: every later call
 * failed with NoNameServerError and the client never followed the provider.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RequestCode } from '@ns/protocol';
import type { AddressListListener } from '../src/address/name-server-address-provider.js';
import { AddressListHolder } from '../src/address/name-server-address-provider.js';
import type { NameServerAddressProvider } from '../src/address/name-server-address-provider.js';
import { NameServerClient } from '../src/name-server-client.js';
import type { ScriptedServer } from './helpers/scripted-server.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A provider whose first start() rejects; the next ones succeed with `list`. */
class FailsFirstStartProvider implements NameServerAddressProvider {
  readonly kind = 'function' as const;
  /** The provider's list; a test sets it to play a change. */
  readonly holder = new AddressListHolder();
  starts = 0;
  constructor(readonly list: readonly string[]) {}
  current(): readonly string[] {
    return this.holder.current();
  }
  onChange(listener: AddressListListener): () => void {
    return this.holder.onChange(listener);
  }
  start(): Promise<void> {
    this.starts += 1;
    if (this.starts === 1) return Promise.reject(new Error('config center unavailable'));
    this.holder.set(this.list);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function node(): Promise<ScriptedServer> {
  const s = await startScriptedServer((req, ctx) => {
    ctx.reply(req, { remark: 'answered' });
  });
  cleanups.push(() => s.close());
  return s;
}

describe('NameServerClient start failure', () => {
  it('tries the start again at the next call after it failed', async () => {
    const s = await node();
    const provider = new FailsFirstStartProvider([s.addr]);
    const client = new NameServerClient({ addressProvider: provider, env: {}, routeWatch: false });
    cleanups.push(() => client.close());
    const request = { code: RequestCode.GET_BROKER_CLUSTER_INFO };

    await expect(client.invokeAny(request)).rejects.toThrow('config center unavailable');
    const { addr, response } = await client.invokeAny(request);

    expect(addr).toBe(s.addr);
    expect(response.remark).toBe('answered');
    expect(provider.starts).toBe(2);
  });

  it('follows changes of the provider list after a retried start', async () => {
    const provider = new FailsFirstStartProvider(['10.255.0.1:9876']);
    const client = new NameServerClient({ addressProvider: provider, env: {}, routeWatch: false });
    cleanups.push(() => client.close());
    const changes: (readonly string[])[] = [];
    client.on('addressesChanged', (addresses) => changes.push(addresses));

    await expect(client.start()).rejects.toThrow('config center unavailable');
    await client.start();
    expect(client.addresses).toEqual(['10.255.0.1:9876']);
    // The retried start subscribed to the provider: its next list reaches the client.
    provider.holder.set(['10.255.0.2:9876']);
    expect(client.addresses).toEqual(['10.255.0.2:9876']);
    expect(changes).toEqual([['10.255.0.2:9876']]);
  });
});
