/**
 * RemotingClient events fire inside socket callbacks and close(): a listener that throws there
 * must be logged and change nothing else (no uncaught exception, close() finishes, the other
 * listeners still run), as NameServerClient's events already are.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, encodeCommand, isResponse } from '@ns/protocol';
import type { LogRecord } from '../src/logger.js';
import { createMemoryLogger } from '../src/logger.js';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import type { ScriptedServer } from './helpers/scripted-server.js';
import { startScriptedServer, waitFor } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function echoServer(): Promise<ScriptedServer> {
  const s = await startScriptedServer((req, ctx) => {
    if (!isResponse(req)) ctx.reply(req);
  });
  cleanups.push(() => s.close());
  return s;
}

function clientWithLog(): { client: RemotingClient; records: LogRecord[] } {
  const logger = createMemoryLogger();
  const client = new RemotingClient({ logger });
  cleanups.push(() => client.close());
  return { client, records: logger.records };
}

function listenerErrors(records: readonly LogRecord[], event: string): LogRecord[] {
  return records.filter((r) => r.level === 'error' && r.fields.event === event);
}

describe('RemotingClient listeners that throw', () => {
  it('a throwing connect listener is logged; the call and the next listener go on', async () => {
    const s = await echoServer();
    const { client, records } = clientWithLog();
    const connected: string[] = [];
    client.on('connect', () => {
      throw new Error('listener bug');
    });
    client.on('connect', (addr) => connected.push(addr));
    const res = await client.invoke(s.addr, { code: 106 });
    expect(res.code).toBe(0);
    expect(connected).toEqual([s.addr]);
    expect(listenerErrors(records, 'connect')).toHaveLength(1);
  });

  it('a throwing disconnect listener does not escape when the peer closes the connection', async () => {
    const s = await echoServer();
    const { client, records } = clientWithLog();
    const disconnected: string[] = [];
    // The classic bug: reading cause.message where an orderly close has no cause.
    client.on('disconnect', (_addr, cause) => {
      throw new Error(`disconnected: ${cause!.message}`);
    });
    client.on('disconnect', (addr) => disconnected.push(addr));
    await client.invoke(s.addr, { code: 106 });
    for (const socket of s.sockets) socket.destroy();
    // Without the fix the throw is uncaught in the socket's close handler and the second
    // listener never runs.
    await waitFor(() => disconnected.length === 1, 5_000, 'the second disconnect listener');
    expect(listenerErrors(records, 'disconnect')).toHaveLength(1);
    // The client is still usable: a new connection is opened.
    expect((await client.invoke(s.addr, { code: 106 })).code).toBe(0);
  });

  it('close() closes every connection although a disconnect listener throws', async () => {
    const a = await echoServer();
    const b = await echoServer();
    const { client, records } = clientWithLog();
    client.on('disconnect', () => {
      throw new Error('listener bug');
    });
    await client.invoke(a.addr, { code: 106 });
    await client.invoke(b.addr, { code: 106 });
    await client.close();
    expect(client.connectedAddresses()).toEqual([]);
    expect(listenerErrors(records, 'disconnect')).toHaveLength(2);
  });

  it('a throwing request listener leaves the connection up for the call waiting on it', async () => {
    const s = await startScriptedServer((req, ctx) => {
      if (isResponse(req)) return;
      // A request from the peer just before the answer the client waits for.
      ctx.socket.write(encodeCommand(createRequest({ code: 905, opaque: 77 })));
      ctx.reply(req, { remark: 'answer' });
    });
    cleanups.push(() => s.close());
    const { client, records } = clientWithLog();
    client.on('request', () => {
      throw new Error('listener bug');
    });
    const res = await client.invoke(s.addr, { code: 106 });
    expect(res.remark).toBe('answer');
    expect(client.isConnected(s.addr)).toBe(true);
    expect(listenerErrors(records, 'request')).toHaveLength(1);
  });
});
