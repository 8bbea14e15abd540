import { afterEach, describe, expect, it } from 'vitest';
import { reply, startScriptedHttpServer, waitFor } from '../address/http-test-server.js';
import { InvalidAddressListError, InvalidOptionError } from '../../src/errors.js';
import { createMemoryLogger } from '../../src/logger.js';
import { FunctionAddressProvider } from '../../src/address/function-address-provider.js';
import { HttpAddressProvider } from '../../src/address/http-address-provider.js';
import type { NameServerAddressProvider } from '../../src/address/name-server-address-provider.js';
import { resolveNameServerAddressProvider } from '../../src/address/resolve-address-provider.js';
import {
  EnvAddressProvider,
  StaticAddressProvider,
} from '../../src/address/static-address-provider.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function started(p: NameServerAddressProvider): NameServerAddressProvider {
  cleanups.push(() => p.close());
  return p;
}

function asHttp(p: NameServerAddressProvider): HttpAddressProvider {
  if (!(p instanceof HttpAddressProvider))
    throw new Error(`expected an HttpAddressProvider, got ${p.kind}`);
  return p;
}

const ENV = { NAMESRV_ADDR: 'env:1;env:2' };
const PROPS = { 'rocketmq.namesrv.addr': 'prop:1' };

describe('resolveNameServerAddressProvider precedence (Java §7.1)', () => {
  it('uses the explicit namesrvAddr over the property and the env', () => {
    const p = resolveNameServerAddressProvider({ namesrvAddr: 'opt:1', properties: PROPS }, ENV);
    expect(p).toBeInstanceOf(StaticAddressProvider);
    expect(p.kind).toBe('static');
    expect(p.current()).toEqual(['opt:1']);
  });

  it('uses the rocketmq.namesrv.addr property over the env', () => {
    const p = resolveNameServerAddressProvider({ properties: PROPS }, ENV);
    expect(p.current()).toEqual(['prop:1']);
  });

  it('uses NAMESRV_ADDR when nothing explicit is given', () => {
    const p = resolveNameServerAddressProvider({}, ENV);
    expect(p).toBeInstanceOf(EnvAddressProvider);
    expect(p.kind).toBe('env');
    expect(p.current()).toEqual(['env:1', 'env:2']);
  });

  it('says so when NAMESRV_ADDR leaves an explicitly given address service unused', () => {
    const logger = createMemoryLogger();
    const url = 'http://10.0.0.9:8080/rocketmq/nsaddr';
    const p = resolveNameServerAddressProvider({ addressService: { url }, logger }, ENV);
    expect(p.current()).toEqual(['env:1', 'env:2']);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.msg)).toEqual([
      `the NAMESRV_ADDR environment variable is set: the address service ${url} is not used`,
    ]);
    // Nothing to say without an explicit service.
    const quiet = createMemoryLogger();
    resolveNameServerAddressProvider({ logger: quiet }, ENV);
    expect(quiet.records.filter((r) => r.level === 'warn')).toEqual([]);
  });

  it('treats a blank property or env as absent', () => {
    const p = resolveNameServerAddressProvider(
      { properties: { 'rocketmq.namesrv.addr': ' ' } },
      { NAMESRV_ADDR: 'env:1' },
    );
    expect(p.current()).toEqual(['env:1']);
  });

  it('falls back to the address service only when no list is configured', async () => {
    const s = await startScriptedHttpServer(reply(200, 'svc:1;svc:2'));
    cleanups.push(() => s.close());
    const p = started(
      resolveNameServerAddressProvider(
        {
          properties: {
            'rocketmq.namesrv.domain': `127.0.0.1:${s.port}`,
            'rocketmq.namesrv.domain.subgroup': 'nsaddr-test',
          },
          unitName: 'u1',
        },
        { NAMESRV_ADDR: '' },
      ),
    );
    expect(p).toBeInstanceOf(HttpAddressProvider);
    expect(asHttp(p).url).toBe(`http://127.0.0.1:${s.port}/rocketmq/nsaddr-test-u1?nofix=1`);
    await p.start();
    expect(p.current()).toEqual(['svc:1', 'svc:2']);
    expect(s.requests).toEqual(['/rocketmq/nsaddr-test-u1?nofix=1']);
  });

  it('lets addressService options override the properties and defaults to jmenv.tbsite.net', () => {
    const p = asHttp(
      resolveNameServerAddressProvider(
        {
          properties: { 'rocketmq.namesrv.domain': 'prop.example' },
          addressService: { domain: 'addr.example:1', pollIntervalMs: 1000 },
        },
        {},
      ),
    );
    expect(p.url).toBe('http://addr.example:1/rocketmq/nsaddr');
    const fromProps = asHttp(
      resolveNameServerAddressProvider(
        { properties: { 'rocketmq.namesrv.domain': 'prop.example' } },
        {},
      ),
    );
    expect(fromProps.url).toBe('http://prop.example:8080/rocketmq/nsaddr');
    const d = asHttp(resolveNameServerAddressProvider({}, {}));
    expect(d.url).toBe('http://jmenv.tbsite.net:8080/rocketmq/nsaddr');
  });

  it('fails clearly when nothing is configured and the address service is disabled', () => {
    expect(() => resolveNameServerAddressProvider({ addressService: false }, {})).toThrow(
      /set namesrvAddr, the rocketmq.namesrv.addr property or the NAMESRV_ADDR/,
    );
  });

  it('does not fall through past a malformed source', () => {
    expect(() => resolveNameServerAddressProvider({ namesrvAddr: 'a:1,b:2' }, ENV)).toThrow(
      InvalidAddressListError,
    );
    expect(() =>
      resolveNameServerAddressProvider({ properties: { 'rocketmq.namesrv.addr': 'x' } }, ENV),
    ).toThrow(InvalidAddressListError);
    expect(() => resolveNameServerAddressProvider({}, { NAMESRV_ADDR: 'a:1, b:2' })).toThrow(
      /environment variable NAMESRV_ADDR: .*','/,
    );
  });

  it('accepts the http:// endpoint form and arrays for namesrvAddr', () => {
    expect(
      resolveNameServerAddressProvider({ namesrvAddr: 'http://ep.example/a:1;b:2' }, {}).current(),
    ).toEqual(['a:1', 'b:2']);
    expect(resolveNameServerAddressProvider({ namesrvAddr: ['a:1'] }, {}).current()).toEqual([
      'a:1',
    ]);
  });

  it('uses an explicit provider or function, and refuses both namesrvAddr and a provider', async () => {
    const own = new StaticAddressProvider('own:1');
    expect(resolveNameServerAddressProvider({ addressProvider: own }, ENV)).toBe(own);
    const fn = resolveNameServerAddressProvider({ addressProvider: () => ['fn:1'] }, ENV);
    expect(fn).toBeInstanceOf(FunctionAddressProvider);
    await started(fn).start();
    expect(fn.current()).toEqual(['fn:1']);
    expect(() =>
      resolveNameServerAddressProvider({ namesrvAddr: 'a:1', addressProvider: own }, {}),
    ).toThrow(InvalidOptionError);
  });
});

describe('EnvAddressProvider', () => {
  it('names the variable when it is missing', () => {
    expect(() => new EnvAddressProvider({})).toThrow(/environment variable NAMESRV_ADDR: .*empty/);
    expect(new EnvAddressProvider({ MY_NS: 'm:1' }, 'MY_NS').current()).toEqual(['m:1']);
  });
});

describe('FunctionAddressProvider', () => {
  it('refreshes periodically, keeps the last good list on failure and emits only changes', async () => {
    // The fifth answer waits until the list kept through the failures has been checked: called
    // every 10 ms, it could otherwise land before that check on a loaded machine.
    let releaseFifth: () => void = () => undefined;
    const fifthMayAnswer = new Promise<void>((resolve) => {
      releaseFifth = resolve;
    });
    const answers: (() => string | readonly string[] | Promise<string>)[] = [
      () => 'a:1;b:2',
      () => ['b:2', 'a:1'],
      () => {
        throw new Error('config center down');
      },
      () => 'not a list',
      () => fifthMayAnswer.then(() => 'c:3'),
    ];
    let calls = 0;
    const p = started(
      new FunctionAddressProvider(
        () => Promise.resolve().then(() => answers[Math.min(calls++, answers.length - 1)]!()),
        { refreshIntervalMs: 10 },
      ),
    );
    const seen: (readonly string[])[] = [];
    p.onChange((list) => seen.push(list));
    await p.start();
    expect(p.current()).toEqual(['a:1', 'b:2']);
    // Calls are sequential: the fifth starts only once the fourth (a failure) has been handled.
    await waitFor(() => calls >= 5, 'the failing calls');
    expect(p.current()).toEqual(['a:1', 'b:2']);
    releaseFifth();
    await waitFor(() => seen.length === 2, 'the change to c:3');
    expect(seen).toEqual([['a:1', 'b:2'], ['c:3']]);
  });

  it('closes without waiting for a hung function and drops its late answer', async () => {
    let release: (value: string) => void = () => undefined;
    const p = new FunctionAddressProvider(
      () =>
        new Promise<string>((resolve) => {
          release = resolve;
        }),
    );
    const starting = p.start();
    await p.close();
    release('late:1');
    await starting;
    expect(p.current()).toEqual([]);
  });

  it('gives up on a call after callTimeoutMs and goes on refreshing', async () => {
    // The first call never settles; the next ones answer at once.
    let calls = 0;
    const p = new FunctionAddressProvider(
      () => (calls++ === 0 ? new Promise<string>(() => undefined) : 'a:1'),
      { refreshIntervalMs: 10, callTimeoutMs: 50 },
    );
    started(p);
    await p.start();
    expect(p.lastError?.message).toMatch(/did not answer within 50 ms/);
    await waitFor(() => p.current().length === 1, 'the list from the next call');
    expect(p.current()).toEqual(['a:1']);
    expect(() => new FunctionAddressProvider(() => 'a:1', { callTimeoutMs: -1 })).toThrow(
      InvalidOptionError,
    );
  });

  it('rejects refresh() with the error and validates the interval', async () => {
    const p = new FunctionAddressProvider(() => 'a:1,b:2');
    await expect(p.refresh()).rejects.toBeInstanceOf(InvalidAddressListError);
    expect(p.lastError).toBeInstanceOf(InvalidAddressListError);
    expect(() => new FunctionAddressProvider(() => 'a:1', { refreshIntervalMs: 0 })).toThrow(
      InvalidOptionError,
    );
  });
});
