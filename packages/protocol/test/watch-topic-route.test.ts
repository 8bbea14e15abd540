/** WATCH_TOPIC_ROUTE (nameserver-ts extension): request code range, headers and bodies. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BrokerData, QueueData, TopicRouteData } from '../src/bodies/types.js';
import { encodeTopicRouteData } from '../src/bodies/topic-route-data.js';
import {
  decodeWatchTopicRouteRequestBody,
  decodeWatchTopicRouteResponseBody,
  encodeWatchTopicRouteRequestBody,
  encodeWatchTopicRouteResponseBody,
  goneTopicEntry,
  joinWatchTopicRouteResponse,
  watchedRouteEntry,
} from '../src/bodies/watch-topic-route.js';
import type { WatchTopicRouteResponseBody } from '../src/bodies/watch-topic-route.js';
import { SerializeType } from '../src/constants.js';
import { BodyDecodeError } from '../src/errors.js';
import { decodeFrame, encodeCommand } from '../src/frame.js';
import {
  decodeWatchTopicRouteRequestHeader,
  decodeWatchTopicRouteResponseHeader,
  encodeWatchTopicRouteRequestHeader,
  encodeWatchTopicRouteResponseHeader,
} from '../src/headers/watch-headers.js';
import { createRequest } from '../src/remoting-command.js';
import { NAMESERVER_TS_REQUEST_CODES, RequestCode } from '../src/request-code.js';

/**
 * Request codes Apache RocketMQ defines, as inclusive blocks: `RequestCode` read at every release
 * tag 4.1.0 … 5.3.3 and on develop as of September 2025, plus the codes newer Java lines add (seen
 * in rocketmq-rust, which copies the Java values, and in ports generated from newer Java sources).
 */
const JAVA_CODE_BLOCKS: readonly (readonly [number, number])[] = [
  [10, 61],
  [100, 106],
  [200, 225],
  [300, 370],
  [400, 402],
  [513, 513],
  [901, 908],
  [1001, 1018],
  [2001, 2004],
  [3001, 3010],
  // Newer lines: SWITCH_TIMER_ENGINE, DELETE_TOPIC_IN_BROKER_LIST, DELETE_SUBSCRIPTION_GROUP_LIST.
  [5001, 5003],
  // POP_MESSAGE..POLLING_INFO (5.0), POP_ROLLBACK (5.3.2).
  [200050, 200056],
  // Lite-topic codes (newer lines).
  [200070, 200079],
  // BATCH_ACK_MESSAGE (5.1.3).
  [200151, 200151],
];
/** rocketmq-rust's own codes (it uses the Java values for the rest). */
const RUST_ONLY_BLOCKS: readonly (readonly [number, number])[] = [
  [330, 335],
  [6001, 6005],
];
/** A code as the ROCKETMQ header carries it: Java and rocketmq-rust write its low 16 bits. */
const asInt16 = (code: number): number =>
  ((((code + 0x8000) % 0x10000) + 0x10000) % 0x10000) - 0x8000;

describe('request code range', () => {
  it('lies outside every RocketMQ block and fits the ROCKETMQ header int16', () => {
    const { min, max } = NAMESERVER_TS_REQUEST_CODES;
    const blocks = [...JAVA_CODE_BLOCKS, ...RUST_ONLY_BLOCKS];
    for (const [lo, hi] of blocks) {
      expect(max < lo || min > hi).toBe(true);
      // As the header carries it: the POP codes 2000xx arrive as 3442..3543.
      const [wlo, whi] = [asInt16(lo), asInt16(hi)];
      expect(whi - wlo).toBe(hi - lo); // no block straddles a 16-bit wrap
      expect(max < wlo || min > whi).toBe(true);
    }
    expect(asInt16(200050)).toBe(3442);
    expect(asInt16(200151)).toBe(3543);
    expect(max).toBeLessThanOrEqual(32767);
    expect(asInt16(min)).toBe(min);
    expect(asInt16(max)).toBe(max);
    expect(RequestCode.WATCH_TOPIC_ROUTE).toBeGreaterThanOrEqual(min);
    expect(RequestCode.WATCH_TOPIC_ROUTE).toBeLessThanOrEqual(max);
  });

  it('round-trips in both serialize types', () => {
    for (const serializeType of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
      const req = createRequest({
        code: RequestCode.WATCH_TOPIC_ROUTE,
        opaque: 7,
        serializeType,
        extFields: encodeWatchTopicRouteRequestHeader({ holdMillis: 30_000, epoch: 'e1' }),
        body: encodeWatchTopicRouteRequestBody({ topics: new Map([['T', 3]]) }),
      });
      const back = decodeFrame(encodeCommand(req).subarray(4));
      expect(back.code).toBe(RequestCode.WATCH_TOPIC_ROUTE);
      expect(decodeWatchTopicRouteRequestHeader(back.extFields)).toEqual({
        holdMillis: 30_000,
        epoch: 'e1',
      });
    }
  });
});

describe('headers', () => {
  it('request: every field optional; values typed', () => {
    expect(decodeWatchTopicRouteRequestHeader(null)).toEqual({});
    const ext = encodeWatchTopicRouteRequestHeader({
      holdMillis: 0,
      epoch: 'abc',
      acceptStandardJsonOnly: true,
    });
    expect({ ...ext }).toEqual({ holdMillis: '0', epoch: 'abc', acceptStandardJsonOnly: 'true' });
    expect(decodeWatchTopicRouteRequestHeader(ext)).toEqual({
      holdMillis: 0,
      epoch: 'abc',
      acceptStandardJsonOnly: true,
    });
  });

  it('response: epoch is required', () => {
    expect(
      decodeWatchTopicRouteResponseHeader(encodeWatchTopicRouteResponseHeader({ epoch: 'x' })),
    ).toEqual({ epoch: 'x' });
    expect(() => decodeWatchTopicRouteResponseHeader({})).toThrow(/missing required field "epoch"/);
  });
});

const topicName = fc.stringMatching(/^[%|a-zA-Z0-9_-]{1,20}$/);
const anyTopic = fc.string({ minLength: 1, maxLength: 12 });
const version = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const queueData: fc.Arbitrary<QueueData> = fc.record({
  brokerName: topicName,
  readQueueNums: fc.integer({ min: 0, max: 64 }),
  writeQueueNums: fc.integer({ min: 0, max: 64 }),
  perm: fc.integer({ min: 0, max: 7 }),
  topicSysFlag: fc.integer({ min: 0, max: 3 }),
});
const brokerData: fc.Arbitrary<BrokerData> = fc.record({
  cluster: topicName,
  brokerName: topicName,
  brokerAddrs: fc
    .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 8 })), {
      selector: (e) => e[0],
      maxLength: 3,
    })
    .map((entries) => new Map(entries)),
});
const route: fc.Arbitrary<TopicRouteData> = fc.record({
  queueDatas: fc.array(queueData, { maxLength: 3 }),
  brokerDatas: fc.array(brokerData, { maxLength: 3 }),
  filterServerTable: fc.constant(new Map<string, string[]>()),
});

describe('request body', () => {
  it('round-trips any topics and versions, keys sorted', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(anyTopic, version), { selector: (e) => e[0] }), (e) => {
        const topics = new Map(e);
        const buf = encodeWatchTopicRouteRequestBody({ topics });
        expect(decodeWatchTopicRouteRequestBody(buf).topics).toEqual(topics);
      }),
    );
    const text = encodeWatchTopicRouteRequestBody({
      topics: new Map([
        ['b', 2],
        ['A', 0],
        ['10', 1],
      ]),
    }).toString('utf8');
    expect(text).toBe('{"topics":{"10":1,"A":0,"b":2}}');
  });

  it('rejects bad input with a message naming the field', () => {
    const decode = (text: string): unknown =>
      decodeWatchTopicRouteRequestBody(Buffer.from(text, 'utf8'));
    expect(() => decode('{}')).toThrow(/WatchTopicRouteRequestBody\.topics: expected an object/);
    expect(() => decode('{"topics":[]}')).toThrow(BodyDecodeError);
    expect(() => decode('{"topics":{"":1}}')).toThrow(/non-empty topic names/);
    expect(() => decode('{"topics":{"T":-1}}')).toThrow(/topics\["T"\]: expected a version >= 0/);
    expect(() => decode('{"topics":{"T":1.5}}')).toThrow(/topics\.T: expected an integer/);
    expect(() => decode('{"topics":{"T":"x"}}')).toThrow(BodyDecodeError);
    expect(() => decode('not json')).toThrow(BodyDecodeError);
    expect(() => encodeWatchTopicRouteRequestBody({ topics: new Map([['T', -1]]) })).toThrow(
      RangeError,
    );
  });
});

describe('response body', () => {
  const body: fc.Arbitrary<WatchTopicRouteResponseBody> = fc.record({
    routes: fc.array(fc.record({ topic: anyTopic, version, route }), { maxLength: 4 }),
    gone: fc.array(fc.record({ topic: anyTopic, version }), { maxLength: 4 }),
  });

  it.each([
    ['standard', true],
    ['legacy', false],
  ])('round-trips in %s route JSON', (_label, standardJson) => {
    fc.assert(
      fc.property(body, (b) => {
        const buf = encodeWatchTopicRouteResponseBody(b, { standardJson });
        const back = decodeWatchTopicRouteResponseBody(buf);
        expect(back).toEqual(b);
        // Standard flavour is plain JSON throughout.
        if (standardJson) expect(() => JSON.parse(buf.toString('utf8'))).not.toThrow();
      }),
    );
  });

  it('splices pre-encoded route bodies byte for byte', () => {
    const r: TopicRouteData = {
      queueDatas: [
        { brokerName: 'b', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
      ],
      brokerDatas: [{ cluster: 'c', brokerName: 'b', brokerAddrs: new Map([[0, '1.2.3.4:5']]) }],
      filterServerTable: new Map(),
    };
    const routeBody = encodeTopicRouteData(r, { standardJson: false });
    const buf = joinWatchTopicRouteResponse(
      [watchedRouteEntry('T', 5, routeBody), watchedRouteEntry('U', 6, routeBody)],
      [goneTopicEntry('X', 7)],
    );
    expect(buf.toString('utf8')).toBe(
      `{"gone":[{"topic":"X","version":7}],"routes":[{"route":${routeBody.toString('utf8')},"topic":"T","version":5},{"route":${routeBody.toString('utf8')},"topic":"U","version":6}]}`,
    );
    expect(joinWatchTopicRouteResponse([], []).toString('utf8')).toBe('{"gone":[],"routes":[]}');
    expect(decodeWatchTopicRouteResponseBody(buf).routes[1]).toEqual({
      topic: 'U',
      version: 6,
      route: r,
    });
  });

  it('rejects entries without topic, version or route', () => {
    const decode = (text: string): unknown =>
      decodeWatchTopicRouteResponseBody(Buffer.from(text, 'utf8'));
    expect(() => decode('{"routes":[{"topic":"T","version":1}]}')).toThrow(/routes\[0\]\.route/);
    expect(() => decode('{"gone":[{"version":1}]}')).toThrow(/gone\[0\]\.topic/);
    expect(() => decode('{"gone":[{"topic":"T"}]}')).toThrow(/gone\[0\]\.version/);
    expect(() => decode('{"gone":[{"topic":"T","version":-2}]}')).toThrow(/version >= 0/);
    expect(decodeWatchTopicRouteResponseBody(Buffer.from('{}', 'utf8'))).toEqual({
      routes: [],
      gone: [],
    });
  });
});
