import { describe, expect, it } from 'vitest';
import {
  createResponse,
  decodeClusterInfo,
  decodeFrame,
  encodeCommand,
  encodeTopicRouteData,
  javaStringHashCode,
  ResponseCode,
  SerializeType,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { orderRouteLikeJava } from '../src/handlers/java-order.js';
import { bodyText, createHarness, register, request } from './handlers-harness.js';
import type { Harness } from './handlers-harness.js';

const NOT_EXIST = (t: string) =>
  `No topic route info in name server for the topic: ${t}\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.`;
const NOT_EXIST_4_9 = (t: string) =>
  `No topic route info in name server for the topic: ${t}\nSee http://rocketmq.apache.org/docs/faq/ for further details.`;

function route(
  h: Harness,
  topic: string,
  init: {
    version?: number;
    ext?: Record<string, string>;
    opaque?: number;
    serializeType?: SerializeType;
  } = {},
) {
  return h.send(105, {
    ext: { topic, ...init.ext },
    version: init.version ?? 407,
    ...(init.opaque === undefined ? {} : { opaque: init.opaque }),
    ...(init.serializeType === undefined ? {} : { serializeType: init.serializeType }),
  });
}

/** What encodeCommand writes for `res` with no pre-encoded frame. */
function encodedByCodec(res: RemotingCommand): Buffer {
  const plain: RemotingCommand = { ...res };
  delete plain.encodedFrame;
  return encodeCommand(plain);
}

const OPAQUES = [0, 1, 7, 42, 999, 1000, 123456, 2147483647, -1, -42, -2147483648];
const SERIALIZE_TYPES = [SerializeType.JSON, SerializeType.ROCKETMQ];

/** What a cache-less NameServer would send right now (the oracle for staleness checks). */
function fresh(h: Harness, topic: string, standardJson = true): string | null {
  const r = h.routes.pickupTopicRouteData(topic);
  if (r === null) return null;
  orderRouteLikeJava(r, h.config().compatibilityLine);
  if (h.config().orderMessageEnable) {
    const conf = h.kv.getKVConfig('ORDER_TOPIC_CONFIG', topic);
    if (conf !== null) r.orderTopicConf = conf;
  }
  return encodeTopicRouteData(r, { standardJson }).toString('utf8');
}

/**
 * Two broker names in one bucket of a `small`-bucket table and in different buckets of a
 * `large`-bucket one, the second with the lower `large` bucket.
 */
function sharedBucketPair(small: number, large: number): [string, string] {
  const bucket = (name: string, n: number) => {
    const h = javaStringHashCode(name);
    return (h ^ (h >>> 16)) & (n - 1);
  };
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const name = `broker-${i}`;
    const other = seen.get(bucket(name, small));
    if (other !== undefined && bucket(other, large) !== bucket(name, large)) {
      return bucket(name, large) < bucket(other, large) ? [other, name] : [name, other];
    }
    seen.set(bucket(name, small), name);
  }
}

function expectFresh(h: Harness, topic: string): void {
  for (const version of [407, 317]) {
    for (const serializeType of SERIALIZE_TYPES) {
      for (const opaque of [5, -77, 1234567]) {
        const res = route(h, topic, { version, serializeType, opaque });
        const expected = fresh(h, topic, version >= 401);
        if (expected === null) {
          expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
          expect(res.encodedFrame).toBeUndefined();
        } else {
          expect(res.code).toBe(ResponseCode.SUCCESS);
          expect(bodyText(res)).toBe(expected);
          // The cached whole frame is the one a cache-less server would encode right now.
          const oracle = encodeCommand(
            createResponse(
              { ...res, opaque, serializeType },
              {
                code: ResponseCode.SUCCESS,
                body: Buffer.from(expected, 'utf8'),
                version: h.dispatcher.line.version,
              },
            ),
          );
          expect(res.encodedFrame?.equals(oracle)).toBe(true);
        }
      }
    }
  }
}

describe('GET_ROUTEINFO_BY_TOPIC (105)', () => {
  it('answers TOPIC_NOT_EXIST with the Java remark and no extFields', () => {
    const res = route(createHarness(), 'NoSuchTopic');
    expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(res.remark).toBe(NOT_EXIST('NoSuchTopic'));
    expect(res.extFields).toBeNull();
    const old = route(createHarness({ config: { compatibilityLine: '4.9' } }), 'NoSuchTopic');
    expect(old.remark).toBe(NOT_EXIST_4_9('NoSuchTopic'));
  });

  it("orders 12 broker names of a topic as each line's HashSet does (4.9 grown by addAll, 5.x sized by copy)", () => {
    // From JDK 17: a HashMap of broker-0..broker-11, its key set into `new HashSet<>()` + addAll
    // (4.9.7 pickupTopicRouteData) and into `new HashSet<>(keySet)` (5.3.3).
    const java = {
      '4.9':
        'broker-8,broker-11,broker-9,broker-6,broker-7,broker-10,broker-4,broker-5,broker-2,broker-3,broker-0,broker-1',
      '5.x':
        'broker-2,broker-3,broker-0,broker-1,broker-8,broker-11,broker-9,broker-6,broker-7,broker-10,broker-4,broker-5',
    };
    for (const line of ['4.9', '5.x'] as const) {
      const h = createHarness({ config: { compatibilityLine: line } });
      for (let i = 0; i < 12; i++) {
        register(h, {
          brokerName: `broker-${i}`,
          brokerAddr: `10.0.0.${i + 1}:10911`,
          connectionId: i + 1,
          topics: [{ name: 'T' }],
        });
      }
      const body = JSON.parse(bodyText(route(h, 'T'))!) as {
        brokerDatas: { brokerName: string }[];
        queueDatas: { brokerName: string }[];
      };
      expect(body.brokerDatas.map((b) => b.brokerName).join(','), line).toBe(java[line]);
      // queueDatas: the values of the topic's HashMap, on both lines.
      expect(body.queueDatas.map((q) => q.brokerName).join(','), line).toBe(java['4.9']);
    }
  });

  it('uses standard JSON for version >= 401 or acceptStandardJsonOnly=true, legacy otherwise', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }] });
    expect(bodyText(route(h, 'T', { version: 407 }))).toContain(
      '"brokerAddrs":{"0":"10.0.0.1:10911"}',
    );
    expect(bodyText(route(h, 'T', { version: 401 }))).toContain('{"0":');
    expect(bodyText(route(h, 'T', { version: 399 }))).toContain(
      '"brokerAddrs":{0:"10.0.0.1:10911"}',
    );
    expect(
      bodyText(route(h, 'T', { version: 317, ext: { acceptStandardJsonOnly: 'TRUE' } })),
    ).toContain('{"0":');
    expect(
      bodyText(route(h, 'T', { version: 317, ext: { acceptStandardJsonOnly: 'false' } })),
    ).toContain('{0:');
  });

  it('adds orderTopicConf only when orderMessageEnable is on and the KV entry exists', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }, { name: 'U' }] });
    h.send(100, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'T', value: 'broker-a:4' } });
    expect(bodyText(route(h, 'T'))).not.toContain('orderTopicConf');
    h.send(318, { body: 'orderMessageEnable=true\n' });
    expect(bodyText(route(h, 'T'))).toContain('"orderTopicConf":"broker-a:4"');
    expect(bodyText(route(h, 'U'))).not.toContain('orderTopicConf');
    h.send(318, { body: 'orderMessageEnable=false\n' });
    expect(bodyText(route(h, 'T'))).not.toContain('orderTopicConf');
  });

  it('answers "name server not ready" while needWaitForService is waiting', () => {
    const h = createHarness({ config: { needWaitForService: true, waitSecondsForService: 45 } });
    register(h, { topics: [{ name: 'T' }] });
    const early = route(h, 'T');
    expect(early.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(early.remark).toBe('name server not ready');
    h.clock.t += 45_000;
    expect(route(h, 'T').code).toBe(ResponseCode.SUCCESS);
  });

  it('filters by zone and re-encodes in legacy JSON when __ZONE_MODE=true and __ZONE_NAME is set', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }], extraExt: { __ZONE_NAME: 'zone-a' } });
    register(h, {
      brokerName: 'broker-b',
      brokerAddr: '10.0.0.3:10911',
      topics: [{ name: 'T' }],
      extraExt: { __ZONE_NAME: 'zone-b' },
      connectionId: 3,
    });
    const res = route(h, 'T', {
      version: 479,
      ext: { __ZONE_MODE: 'true', __ZONE_NAME: 'ZONE-A' },
    });
    const body = bodyText(res)!;
    expect(body).toContain('"brokerName":"broker-a"');
    expect(body).not.toContain('broker-b');
    expect(body).toContain('{0:"10.0.0.1:10911"}');
    // Without zone mode both brokers are there, in standard JSON.
    const all = bodyText(route(h, 'T', { version: 479, ext: { __ZONE_NAME: 'zone-a' } }))!;
    expect(all).toContain('broker-b');
    expect(all).toContain('{"0":');
  });

  it('a zone-filtered answer carries orderTopicConf too when orderMessageEnable is on', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }], extraExt: { __ZONE_NAME: 'zone-a' } });
    h.send(100, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'T', value: 'broker-a:4' } });
    const zoned = (): string =>
      bodyText(
        route(h, 'T', { version: 479, ext: { __ZONE_MODE: 'true', __ZONE_NAME: 'zone-a' } }),
      )!;
    expect(zoned()).not.toContain('orderTopicConf');
    h.send(318, { body: 'orderMessageEnable=true\n' });
    expect(zoned()).toContain('"orderTopicConf":"broker-a:4"');
  });

  it('answers a request without topic as Java does: no route for the topic "null"', () => {
    for (const ext of [{}, null]) {
      const h = createHarness();
      register(h, { topics: [{ name: 'null' }] }); // a topic named "null" is not a missing one
      const res = h.send(105, ext === null ? {} : { ext });
      expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
      expect(res.remark).toMatch(/^No topic route info in name server for the topic: null\n/);
    }
  });
});

describe('route body cache', () => {
  it('serves the same cached Buffer for repeated queries of one flavour', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }] });
    const a = route(h, 'T').body;
    const b = route(h, 'T').body;
    expect(a).not.toBeNull();
    expect(b).toBe(a);
    expect(route(h, 'T', { version: 317 }).body).not.toBe(a);
    expect(h.dispatcher.routeCache.size).toBe(2);
  });

  it('pre-encodes success frames byte-identical to encodeCommand, for any opaque and type', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }, { name: 'Tópico-ü' }] });
    for (const topic of ['T', 'Tópico-ü']) {
      for (const serializeType of SERIALIZE_TYPES) {
        for (const version of [407, 317]) {
          for (const ext of [{}, { acceptStandardJsonOnly: 'true' }]) {
            for (const opaque of OPAQUES) {
              const res = route(h, topic, { version, serializeType, opaque, ext });
              expect(res.code).toBe(ResponseCode.SUCCESS);
              expect(res.opaque).toBe(opaque);
              const frame = res.encodedFrame;
              expect(frame).toBeDefined();
              expect(frame!.equals(encodedByCodec(res))).toBe(true);
              // And it reads back as that response.
              const back = decodeFrame(frame!.subarray(4));
              expect(back.opaque).toBe(opaque);
              expect(back.serializeType).toBe(serializeType);
              expect(back.body?.equals(res.body!)).toBe(true);
            }
          }
        }
      }
    }
    // One cache: frames hang off the body entries (2 topics × 2 flavours).
    expect(h.dispatcher.routeCache.size).toBe(4);
  });

  it('drops the pre-encoded frames with the body on a route change', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }], counter: 1 });
    const before = route(h, 'T', { serializeType: SerializeType.ROCKETMQ, opaque: 3 });
    const beforeJson = route(h, 'T', { opaque: -3 });
    register(h, { topics: [{ name: 'T', queues: 8 }], counter: 2 });
    const after = route(h, 'T', { serializeType: SerializeType.ROCKETMQ, opaque: 3 });
    const afterJson = route(h, 'T', { opaque: -3 });
    expect(after.encodedFrame!.equals(before.encodedFrame!)).toBe(false);
    expect(afterJson.encodedFrame!.equals(beforeJson.encodedFrame!)).toBe(false);
    expect(after.encodedFrame!.equals(encodedByCodec(after))).toBe(true);
    expect(afterJson.encodedFrame!.equals(encodedByCodec(afterJson))).toBe(true);
    expect(bodyText(afterJson)).toContain('"readQueueNums":8');
    // Zone-filtered answers are never cached and carry no pre-encoded frame.
    const zone = route(h, 'T', { ext: { __ZONE_MODE: 'true', __ZONE_NAME: 'z' } });
    expect(zone.encodedFrame).toBeUndefined();
  });

  it('does not cache misses', () => {
    const h = createHarness();
    route(h, 'Missing');
    expect(h.dispatcher.routeCache.size).toBe(0);
  });

  it('is never stale after any kind of change', () => {
    const h = createHarness();
    const topics = ['T', 'U', 'TBW102'];
    const check = () => {
      for (const t of topics) expectFresh(h, t);
    };
    register(h, { topics: [{ name: 'T' }, { name: 'TBW102', perm: 7 }], counter: 1 });
    check();
    // Registration with a changed DataVersion and changed queues.
    register(h, {
      topics: [
        { name: 'T', queues: 8 },
        { name: 'TBW102', perm: 7 },
      ],
      counter: 2,
    });
    check();
    expect(bodyText(route(h, 'T'))).toContain('"readQueueNums":8');
    // A slave joins (brokerAddrs change), on its own connection.
    register(h, { brokerId: 1, brokerAddr: '10.0.0.2:10911', connectionId: 2 });
    check();
    expect(bodyText(route(h, 'T'))).toContain('10.0.0.2:10911');
    // Master address change with the same id.
    register(h, {
      topics: [
        { name: 'T', queues: 8 },
        { name: 'TBW102', perm: 7 },
      ],
      counter: 2,
      brokerAddr: '10.0.0.9:10911',
      connectionId: 4,
    });
    check();
    expect(bodyText(route(h, 'T'))).toContain('10.0.0.9:10911');
    // A second broker name hosting T and U.
    register(h, {
      brokerName: 'broker-b',
      brokerAddr: '10.0.0.3:10911',
      topics: [{ name: 'T' }, { name: 'U' }],
      connectionId: 3,
    });
    check();
    // Wipe and add write permission.
    h.send(205, { ext: { brokerName: 'broker-a' } });
    check();
    h.send(327, { ext: { brokerName: 'broker-a' } });
    check();
    // ORDER_TOPIC_CONFIG changes, with orderMessageEnable on then off.
    h.send(318, { body: 'orderMessageEnable=true\n' });
    check();
    h.send(100, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'T', value: 'broker-a:8' } });
    check();
    expect(bodyText(route(h, 'T'))).toContain('orderTopicConf');
    h.send(100, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'T', value: 'broker-b:2' } });
    check();
    h.send(102, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'T' } });
    check();
    h.send(318, { body: 'orderMessageEnable=false\n' });
    check();
    // Unregister the slave, close broker-b's connection, delete a topic, register a topic.
    h.send(104, {
      ext: {
        brokerName: 'broker-a',
        brokerAddr: '10.0.0.2:10911',
        clusterName: 'DefaultCluster',
        brokerId: '1',
      },
      connectionId: 2,
    });
    check();
    h.routes.onConnectionClosed(3);
    check();
    expect(route(h, 'U').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    h.send(216, { ext: { topic: 'T' } });
    check();
    expect(route(h, 'T').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    h.send(217, {
      ext: { topic: 'T' },
      body: '{"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":2,"writeQueueNums":2,"topicSysFlag":0}]}',
    });
    check();
    expect(bodyText(route(h, 'T'))).toContain('"readQueueNums":2');
    // Expiry.
    h.clock.t += 10 * 60_000;
    h.routes.scanNotActiveBroker();
    check();
    expect(route(h, 'TBW102').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });
});

describe('GET_BROKER_CLUSTER_INFO (106)', () => {
  it.each([
    ['5.x', ',"enableActingMaster":false'],
    ['4.9', ''],
  ] as const)('is always legacy JSON, whatever the request version (Java %s)', (line, acting) => {
    const h = createHarness({ config: { compatibilityLine: line } });
    register(h);
    for (const version of [407, 317, 479]) {
      expect(bodyText(h.send(106, { version }))).toBe(
        `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"${acting}}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`,
      );
    }
  });

  it('orders the broker and cluster tables as the Java tables of each line', () => {
    // broker-1 and broker-P share a bucket of 128 (4.9 HashMap) but not of 256 (5.x
    // ConcurrentHashMap(128)), and are inserted in the opposite of their 256-bucket order.
    const names = sharedBucketPair(128, 256);
    for (const line of ['4.9', '5.x'] as const) {
      const h = createHarness({ config: { compatibilityLine: line } });
      names.forEach((brokerName, i) =>
        register(h, { brokerName, brokerAddr: `10.0.0.${i + 1}:10911`, connectionId: i + 1 }),
      );
      const order = [...decodeClusterInfo(h.send(106).body!).brokerAddrTable.keys()];
      expect(order, line).toEqual(line === '4.9' ? names : [...names].reverse());
    }
  });

  it('is answered with an empty table on a fresh server', () => {
    expect(bodyText(createHarness().send(106))).toBe(
      '{"brokerAddrTable":{},"clusterAddrTable":{}}',
    );
  });
});

describe('DELETE_TOPIC_IN_NAMESRV (216)', () => {
  it("with a cluster removes only that cluster's queues; unknown cluster is a no-op", () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }] });
    register(h, {
      cluster: 'Other',
      brokerName: 'broker-x',
      brokerAddr: '10.0.0.5:10911',
      topics: [{ name: 'T' }],
      connectionId: 5,
    });
    expect(h.send(216, { ext: { topic: 'T', clusterName: 'Nope' } }).code).toBe(0);
    expect(bodyText(route(h, 'T'))).toContain('broker-x');
    // Blank is not empty: the name of a cluster that does not exist (Java: isEmpty, not trim).
    expect(h.send(216, { ext: { topic: 'T', clusterName: '  ' } }).code).toBe(0);
    expect(bodyText(route(h, 'T'))).toContain('broker-x');
    h.send(216, { ext: { topic: 'T', clusterName: 'Other' } });
    const body = bodyText(route(h, 'T'))!;
    expect(body).not.toContain('broker-x');
    expect(body).toContain('broker-a');
    const res = h.send(216, { ext: { topic: 'T', clusterName: '' } });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields).toBeNull();
    expect(route(h, 'T').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('without topic deletes nothing and succeeds (Java reads it as null)', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }] });
    expect(h.send(216, { ext: {} }).code).toBe(ResponseCode.SUCCESS);
    expect(h.send(216, { ext: { clusterName: 'DefaultCluster' } }).code).toBe(ResponseCode.SUCCESS);
    expect(route(h, 'T').code).toBe(ResponseCode.SUCCESS);
  });
});

describe('REGISTER_TOPIC_IN_NAMESRV (217, 5.x)', () => {
  const body = (broker: string) =>
    `{"queueDatas":[{"brokerName":"${broker}","perm":6,"readQueueNums":3,"writeQueueNums":3,"topicSysFlag":0}]}`;

  it('adds a topic for known brokers, ignores unknown ones, always SUCCESS', () => {
    const h = createHarness();
    register(h);
    expect(h.send(217, { ext: { topic: 'New' }, body: body('broker-a') }).code).toBe(0);
    expect(bodyText(route(h, 'New'))).toContain('"readQueueNums":3');
    expect(h.send(217, { ext: { topic: 'Ghost' }, body: body('nope') }).code).toBe(0);
    expect(route(h, 'Ghost').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(h.send(217, { ext: { topic: 'Empty' } }).code).toBe(0);
  });

  it('a malformed body is SYSTEM_ERROR', () => {
    const h = createHarness();
    const res = h.send(217, { ext: { topic: 'X' }, body: 'not json' });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    // Java decodes the body before it looks at the topic.
    expect(h.send(217, { ext: {}, body: 'not json' }).code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('what Java reads as null (topic, body, broker name) is SUCCESS and registers nothing', () => {
    for (const line of ['4.9', '5.x'] as const) {
      const h = createHarness({ config: { compatibilityLine: line } });
      register(h);
      const cases: [Record<string, string>, string | undefined][] = [
        [{}, undefined],
        [{}, body('broker-a')],
        [{ topic: 'X' }, 'null'],
        [{ topic: 'X' }, ' null\r\n'],
        [{ topic: 'X' }, '{"queueDatas":[{"perm":6,"readQueueNums":1,"writeQueueNums":1}]}'],
        [{ topic: 'X' }, '{"queueDatas":[{"brokerName":null,"perm":6}]}'],
        [{ topic: 'X' }, '{"queueDatas":[null]}'],
        [{ topic: 'X' }, `{"queueDatas":[${body('broker-a').slice(15, -2)},{"perm":6}]}`],
      ];
      for (const [ext, sent] of cases) {
        const res = h.send(217, sent === undefined ? { ext } : { ext, body: sent });
        expect([res.code, res.remark], `${line} ${JSON.stringify(ext)} ${sent}`).toEqual([
          ResponseCode.SUCCESS,
          null,
        ]);
      }
      expect(route(h, 'X').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
      expect(route(h, 'null').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
      // A nameless QueueData does not excuse the rest of the body: fastjson fails on it first.
      const bad = h.send(217, {
        ext: { topic: 'X' },
        body: '{"queueDatas":[{"perm":"six"}]}',
      });
      expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(bad.remark).toMatch(/perm/);
    }
  });
});

it('a one-way route query is processed but not answered', () => {
  const h = createHarness();
  expect(h.dispatch(request(105, { ext: { topic: 'T' }, oneway: true }))).toBeNull();
});
