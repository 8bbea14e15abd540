import { afterEach, describe, expect, it } from 'vitest';
import { parseProperties, RequestCode, ResponseCode } from '@ns/protocol';
import { NameServerAdmin } from '../src/admin/name-server-admin.js';
import { allOk } from '../src/admin/node-result.js';
import { RemotingConnectError, ResponseError } from '../src/errors.js';
import type { ScriptedServer, ScriptHandler } from './helpers/scripted-server.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function node(handler: ScriptHandler): Promise<ScriptedServer> {
  const s = await startScriptedServer(handler);
  cleanups.push(() => s.close());
  return s;
}

function admin(addrs: readonly string[]): NameServerAdmin {
  const a = new NameServerAdmin({ namesrvAddr: addrs, env: {}, timeoutMs: 5_000 });
  cleanups.push(() => a.close());
  return a;
}

describe('NameServerAdmin against scripted nodes', () => {
  it('fans writes out to every node in parallel and reports each node', async () => {
    const seen: string[] = [];
    const handler =
      (name: string): ScriptHandler =>
      (req, ctx) => {
        seen.push(`${name}:${req.code}`);
        ctx.reply(req, { extFields: { wipeTopicCount: name === 'a' ? '3' : '5' } });
      };
    const a = await node(handler('a'));
    const b = await node(handler('b'));
    const dead = await node(() => undefined);
    await dead.close();
    const adm = admin([a.addr, b.addr, dead.addr]);

    const put = await adm.putKVConfig('NS', 'k', 'v');
    expect(put.map((r) => [r.addr, r.ok])).toEqual([
      [a.addr, true],
      [b.addr, true],
      [dead.addr, false],
    ]);
    expect(allOk(put)).toBe(false);
    const failed = put[2]!;
    expect(failed.ok ? undefined : failed.error).toBeInstanceOf(RemotingConnectError);
    expect(a.requests[0]!.extFields).toEqual({ namespace: 'NS', key: 'k', value: 'v' });
    expect(b.requests[0]!.code).toBe(RequestCode.PUT_KV_CONFIG);

    const wipe = await adm.wipeWritePermOfBroker('broker-a', { addrs: [a.addr, b.addr] });
    expect(wipe).toEqual([
      { addr: a.addr, ok: true, value: 3 },
      { addr: b.addr, ok: true, value: 5 },
    ]);
    expect(seen.filter((s) => s.endsWith(':205'))).toHaveLength(2);
  });

  it('reports an error response of one node as that node’s ResponseError', async () => {
    const ok = await node((req, ctx) => {
      ctx.reply(req);
    });
    const refusing = await node((req, ctx) => {
      ctx.reply(req, { code: ResponseCode.NO_PERMISSION, remark: 'Can not update config path' });
    });
    const adm = admin([ok.addr, refusing.addr]);
    const results = await adm.updateNamesrvConfig(new Map([['kvConfigPath', '/tmp/x']]));
    expect(results[0]).toEqual({ addr: ok.addr, ok: true, value: undefined });
    const r = results[1]!;
    expect(r.ok).toBe(false);
    const err = r.ok ? undefined : r.error;
    expect(err).toBeInstanceOf(ResponseError);
    expect(err instanceof ResponseError && err.responseCode).toBe(ResponseCode.NO_PERMISSION);
    expect(err instanceof ResponseError && err.addr).toBe(refusing.addr);
    // The body is Java properties text.
    expect(parseProperties(ok.requests[0]!.body!.toString('latin1'))).toEqual(
      new Map([['kvConfigPath', '/tmp/x']]),
    );
  });

  it('reads a KV value from the response ext fields and maps QUERY_NOT_FOUND to undefined', async () => {
    const s = await node((req, ctx) => {
      if (req.extFields?.key === 'present') ctx.reply(req, { extFields: { value: 'v1' } });
      else ctx.reply(req, { code: ResponseCode.QUERY_NOT_FOUND, remark: 'No config item' });
    });
    const adm = admin([s.addr]);
    expect(await adm.getKVConfig('NS', 'present')).toBe('v1');
    expect(await adm.getKVConfig('NS', 'absent')).toBeUndefined();
    expect(await adm.getKVListByNamespace('NS')).toBeUndefined();
  });
});
