/**
 * A request that cannot be encoded (in the ROCKETMQ header a field key is at most 32 767 bytes and
 * the version is a short) is the caller's mistake. It used to close the shared connection, failing
 * every other call on it with a retriable error; now that call alone fails, not retriable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RequestCode, SerializeType } from '@ns/protocol';
import { InvalidOptionError } from '../src/errors.js';
import { NameServerClient } from '../src/name-server-client.js';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import type { ScriptedServer } from './helpers/scripted-server.js';
import { startScriptedServer, waitFor } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A header key longer than the ROCKETMQ serializer's 16-bit length field can say. */
const UNENCODABLE = {
  code: RequestCode.GET_KV_CONFIG,
  extFields: { ['k'.repeat(40_000)]: 'v' },
};

async function slowNode(): Promise<ScriptedServer> {
  // Answers late, so that a call is still waiting when the bad one is sent.
  const s = await startScriptedServer((req, ctx) => {
    setTimeout(() => {
      ctx.reply(req, { remark: 'answered' });
    }, 200);
  });
  cleanups.push(() => s.close());
  return s;
}

describe('a request that cannot be encoded', () => {
  it('fails alone with a non-retriable InvalidOptionError; the connection and its calls go on', async () => {
    const s = await slowNode();
    const client = new RemotingClient({ serializeType: SerializeType.ROCKETMQ });
    cleanups.push(() => client.close());
    const waiting = client.invoke(s.addr, { code: RequestCode.GET_BROKER_CLUSTER_INFO });
    await waitFor(() => s.requests.length === 1, 5_000, 'the first request at the node');

    const err = await client.invoke(s.addr, UNENCODABLE).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as InvalidOptionError).retriable).toBe(false);
    expect(client.isConnected(s.addr)).toBe(true);
    expect((await waiting).remark).toBe('answered');
    expect(s.sockets).toHaveLength(1);
  });

  it('refuses a request frame longer than maxFrameLength alone, before a node closes the connection on it', async () => {
    const s = await slowNode();
    const client = new RemotingClient({ maxFrameLength: 64 * 1024 });
    cleanups.push(() => client.close());
    const waiting = client.invoke(s.addr, { code: RequestCode.GET_BROKER_CLUSTER_INFO });
    await waitFor(() => s.requests.length === 1, 5_000, 'the first request at the node');

    const err = await client
      .invoke(s.addr, { code: RequestCode.PUT_KV_CONFIG, body: Buffer.alloc(70 * 1024) })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as Error).message).toMatch(
      /is a frame of \d+ bytes, more than maxFrameLength \(65536\)/,
    );
    expect((await waiting).remark).toBe('answered');
    expect(s.requests).toHaveLength(1);
  });

  it('fails a one-way send the same way', async () => {
    const s = await slowNode();
    const client = new RemotingClient({ serializeType: SerializeType.ROCKETMQ });
    cleanups.push(() => client.close());
    await client.invoke(s.addr, { code: RequestCode.GET_BROKER_CLUSTER_INFO });

    await expect(client.invokeOneway(s.addr, UNENCODABLE)).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect(client.isConnected(s.addr)).toBe(true);
  });

  it('does not make NameServerClient leave the node it uses', async () => {
    const a = await slowNode();
    const b = await slowNode();
    const client = new NameServerClient({
      namesrvAddr: `${a.addr};${b.addr}`,
      env: {},
      routeWatch: false,
      remotingOptions: { serializeType: SerializeType.ROCKETMQ },
    });
    cleanups.push(() => client.close());
    const { addr } = await client.invokeAny({ code: RequestCode.GET_BROKER_CLUSTER_INFO });

    await expect(client.invokeAny(UNENCODABLE)).rejects.toBeInstanceOf(InvalidOptionError);
    expect(client.chosenAddress).toBe(addr);
  });
});

describe('RemotingClient version option', () => {
  it('refuses a version that does not fit the 16-bit field, naming the option', () => {
    const make = () => new RemotingClient({ version: 40_000 });
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(/version/);
    expect(new RemotingClient({ version: 32_767 }).version).toBe(32_767);
  });
});
