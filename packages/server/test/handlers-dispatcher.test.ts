import { describe, expect, it } from 'vitest';
import {
  createRequest,
  encodeCommand,
  InflatedBodyTooLargeError,
  ResponseCode,
  SerializeType,
} from '@ns/protocol';
import { Dispatcher } from '../src/handlers/dispatcher.js';
import { createDispatcher } from '../src/handlers/handler-sets.js';
import { createSilentLogger } from '../src/logging.js';
import { RouteInfoManager } from '../src/route/index.js';
import { KVConfigManager } from '../src/kvconfig/index.js';
import { LimitLog } from '../src/transport/limit-log.js';
import { baseConfig, createHarness, FakeClock, request, syncResult } from './handlers-harness.js';

describe('Dispatcher', () => {
  it('handles every NameServer request code of §2.1', () => {
    const codes = createHarness().dispatcher.supportedCodes;
    expect(codes).toEqual([
      100, 101, 102, 103, 104, 105, 106, 205, 206, 216, 217, 219, 224, 304, 311, 312, 313, 318, 319,
      322, 327, 901, 904,
    ]);
  });

  it('answers an unknown code with REQUEST_CODE_NOT_SUPPORTED and the 5.x remark', () => {
    const h = createHarness();
    const res = h.send(9999, { opaque: 4242 });
    expect(res.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(res.remark).toBe(' request type 9999 not supported');
    expect(res.extFields).toBeNull();
    expect(res.opaque).toBe(4242);
    expect(res.flag).toBe(1);
  });

  it('stays silent on unknown codes when replyToUnknownRequestCode=false (4.9 behaviour)', () => {
    const h = createHarness({ config: { replyToUnknownRequestCode: false } });
    expect(h.dispatch(request(9999))).toBeNull();
  });

  it('never answers a one-way request, not even an error', () => {
    const h = createHarness();
    expect(h.dispatch(request(9999, { oneway: true }))).toBeNull();
    expect(h.dispatch(request(105, { ext: {}, oneway: true }))).toBeNull();
    expect(h.dispatch(request(106, { oneway: true }))).toBeNull();
  });

  it.each([
    ['5.x', 479],
    ['4.9', 407],
  ] as const)(
    'builds responses like Java %s: opaque copied, flag 1, version %i, request serialize type',
    (line, version) => {
      const h = createHarness({ config: { compatibilityLine: line } });
      for (const serializeType of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
        const res = h.dispatch(request(106, { opaque: 77, serializeType, version: 317 }))!;
        expect(res.opaque).toBe(77);
        expect(res.flag).toBe(1);
        expect(res.version).toBe(version);
        expect(res.language).toBe('JAVA');
        expect(res.serializeType).toBe(serializeType);
      }
      // Errors mirror the request type too (Java 4.9 would send exception errors as JSON).
      const err = h.dispatch(request(103, { ext: {}, serializeType: SerializeType.ROCKETMQ }))!;
      expect(err.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(err.serializeType).toBe(SerializeType.ROCKETMQ);
    },
  );

  it('turns an unexpected throw into SYSTEM_ERROR with the error text and keeps serving', () => {
    const clock = new FakeClock();
    const routes = new RouteInfoManager({ clock });
    routes.getAllClusterInfo = () => {
      throw new RangeError('table exploded');
    };
    const errors: object[] = [];
    const logger = createSilentLogger();
    const dispatcher = createDispatcher({
      routeInfoManager: routes,
      kvConfigManager: new KVConfigManager(),
      config: { get: () => baseConfig(), set: () => undefined },
      persistConfig: () => undefined,
      logger: {
        ...logger,
        error: (obj: object) => errors.push(obj),
        debug: () => {},
        info: () => {},
        warn: () => {},
      },
      clock,
    });
    const ctx = { connectionId: 1, remoteAddress: 'x' };
    const res = syncResult(dispatcher.dispatch(createRequest({ code: 106, opaque: 1 }), ctx))!;
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBe('RangeError: table exploded');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 106 });
    const next = syncResult(
      dispatcher.dispatch(createRequest({ code: 105, opaque: 2, extFields: { topic: 'T' } }), ctx),
    )!;
    expect(next.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    // A response is always encodable.
    expect(encodeCommand(res).length).toBeGreaterThan(8);
  });

  it('reports every request to the metrics facade with its response code', () => {
    const h = createHarness();
    h.send(106);
    h.send(9999);
    h.dispatch(request(106, { oneway: true }));
    expect(h.metrics.map((m) => [m.requestCode, m.responseCode])).toEqual([
      [106, 0],
      [9999, 3],
      [106, null],
    ]);
    for (const m of h.metrics) expect(m.seconds).toBeGreaterThanOrEqual(0);
  });

  it('a failing metrics facade does not break request handling', () => {
    const clock = new FakeClock();
    const dispatcher = createDispatcher({
      routeInfoManager: new RouteInfoManager({ clock }),
      kvConfigManager: new KVConfigManager(),
      config: { get: () => baseConfig(), set: () => undefined },
      persistConfig: () => undefined,
      metrics: {
        observeRequest: () => {
          throw new Error('registry broken');
        },
      },
      logger: createSilentLogger(),
      clock,
    });
    const res = syncResult(
      dispatcher.dispatch(createRequest({ code: 106, opaque: 1 }), {
        connectionId: 1,
        remoteAddress: 'x',
      }),
    );
    expect(res?.code).toBe(ResponseCode.SUCCESS);
  });

  it('logs at most 10 inflate-limit refusals a second, counts every one, and the next line says how many were left out', () => {
    let now = 1_000_000;
    const warnings: Record<string, unknown>[] = [];
    const limits: string[] = [];
    const silent = createSilentLogger();
    const bomb = (): never => {
      throw new InflatedBodyTooLargeError('compressed register body inflates too far', 1024);
    };
    const dispatcher = new Dispatcher({
      handlers: [[[103, bomb]]],
      replyToUnknownRequestCode: () => true,
      metrics: { observeRequest: () => undefined, limitEnforced: (l) => limits.push(l) },
      logger: { ...silent, warn: (obj: object) => warnings.push(obj as Record<string, unknown>) },
      responseVersion: 479,
      limitLog: new LimitLog(10, () => now),
    });
    const refuse = (): void => {
      const res = syncResult(
        dispatcher.dispatch(createRequest({ code: 103, opaque: 1 }), {
          connectionId: 1,
          remoteAddress: '10.9.9.9:1',
        }),
      );
      expect(res?.code).toBe(ResponseCode.SYSTEM_ERROR);
    };
    // A flood within one second: every request answered and counted, ten lines.
    for (let i = 0; i < 1_000; i++) refuse();
    expect(limits).toHaveLength(1_000);
    expect(warnings).toHaveLength(10);
    expect(warnings.every((w) => w['remote'] === '10.9.9.9:1' && !('linesLeftOut' in w))).toBe(
      true,
    );
    // Still within that second: nothing more is written.
    now += 999;
    refuse();
    expect(warnings).toHaveLength(10);
    // The next second's first line says how many were left out.
    now += 1;
    refuse();
    expect(warnings).toHaveLength(11);
    expect(warnings[10]).toMatchObject({ linesLeftOut: 991, limit: 1024 });
    expect(limits).toHaveLength(1_002);
  });
});
