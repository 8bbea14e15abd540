/** Bad bodies: every failure is a BodyDecodeError naming the bad field; large bodies decode whole. */
import { describe, it, expect } from 'vitest';
import * as zlib from 'node:zlib';
import { BodyDecodeError, InflatedBodyTooLargeError } from '../src/errors.js';
import {
  decodeRegisterBrokerBody,
  encodeRegisterBrokerBody,
} from '../src/bodies/register-broker-body.js';
import { decodeTopicRouteData, encodeTopicRouteData } from '../src/bodies/topic-route-data.js';
import { decodeClusterInfo } from '../src/bodies/cluster-info.js';
import { decodeKVTable } from '../src/bodies/kv-table.js';
import { decodeTopicList } from '../src/bodies/topic-list.js';
import { decodeDataVersion, dataVersionEquals } from '../src/bodies/data-version.js';
import { bodyCrc32, crc32 } from '../src/bodies/body-crc32.js';
import type { RegisterBrokerBody, TopicConfig } from '../src/bodies/types.js';

const J = (s: string) => Buffer.from(s, 'utf8');
const opts = { compressed: false, version: 407 };

function errorOf(fn: () => unknown): BodyDecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BodyDecodeError);
    return e as BodyDecodeError;
  }
  throw new Error('did not throw');
}

describe('decoders name the bad field', () => {
  it('registration: wrong type deep in the topic table', () => {
    const e = errorOf(() =>
      decodeRegisterBrokerBody(
        J(
          '{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"topicName":"T","perm":"rw"}}}}',
        ),
        opts,
      ),
    );
    expect(e.code).toBe('NS_BAD_BODY');
    expect(e.message).toContain('topicConfigSerializeWrapper.topicConfigTable["T"].perm');
    expect(e.message).toContain('32-bit integer');
  });

  it('registration: bad filter type, bad list, bad version', () => {
    expect(
      errorOf(() =>
        decodeRegisterBrokerBody(
          J('{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"topicFilterType":"X"}}}}'),
          opts,
        ),
      ).message,
    ).toContain('topicFilterType');
    expect(
      errorOf(() => decodeRegisterBrokerBody(J('{"filterServerList":[{}]}'), opts)).message,
    ).toContain('filterServerList[0]');
    expect(
      errorOf(() =>
        decodeRegisterBrokerBody(
          J('{"topicConfigSerializeWrapper":{"dataVersion":{"counter":1.5}}}'),
          opts,
        ),
      ).message,
    ).toContain('dataVersion.counter');
    expect(errorOf(() => decodeRegisterBrokerBody(J('[1,2]'), opts)).message).toContain(
      'expected an object',
    );
    expect(errorOf(() => decodeRegisterBrokerBody(J('{"a":'), opts)).message).toContain(
      'RegisterBrokerBody',
    );
  });

  it('legacy spellings and defaults', () => {
    // `topicSynFlag` was QueueData's old spelling only: in a TopicConfig it is an unknown key.
    const b = decodeRegisterBrokerBody(
      J("{topicConfigSerializeWrapper:{topicConfigTable:{'T':{topicSynFlag:1,}},},}"),
      opts,
    );
    expect(b.topicConfigSerializeWrapper.topicConfigTable.get('T')).toEqual({
      topicName: 'T',
      readQueueNums: 16,
      writeQueueNums: 16,
      perm: 6,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
    });
    // No DataVersion: Java's fresh one, stamped by the NameServer's clock.
    expect(b.topicConfigSerializeWrapper.dataVersion).toEqual({
      counter: 0,
      timestamp: 0,
      unstamped: true,
    });
    expect(
      decodeRegisterBrokerBody(null, opts).topicConfigSerializeWrapper.topicConfigTable.size,
    ).toBe(0);
    const route = decodeTopicRouteData(J('{"queueDatas":[{"brokerName":"b","topicSynFlag":3}]}'));
    expect(route.queueDatas[0]!.topicSysFlag).toBe(3);
    expect(route.brokerDatas).toEqual([]);
  });

  it('route, cluster info, KV, topic list, data version', () => {
    expect(
      errorOf(() => decodeTopicRouteData(J('{"brokerDatas":[{"brokerName":"b"}]}'))).message,
    ).toContain('brokerDatas[0].cluster');
    expect(
      errorOf(() =>
        decodeTopicRouteData(
          J('{"brokerDatas":[{"brokerName":"b","cluster":"c","brokerAddrs":{x:"a"}}]}'),
        ),
      ).message,
    ).toContain('is not an integer');
    expect(errorOf(() => decodeClusterInfo(J('{"clusterAddrTable":{"c":"b"}}'))).message).toContain(
      'clusterAddrTable["c"]',
    );
    expect(errorOf(() => decodeKVTable(J('{"table":{"k":{}}}'))).message).toContain('table["k"]');
    expect(errorOf(() => decodeTopicList(J('{"topicList":{}}'))).message).toContain('topicList');
    expect(errorOf(() => decodeDataVersion(J('{"timestamp":"soon"}'))).message).toContain(
      'timestamp',
    );
  });

  it('__proto__ topic names stay data', () => {
    const b = decodeRegisterBrokerBody(
      J(
        '{"topicConfigSerializeWrapper":{"topicConfigTable":{"__proto__":{"topicName":"__proto__","perm":6}}}}',
      ),
      opts,
    );
    expect([...b.topicConfigSerializeWrapper.topicConfigTable.keys()]).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['perm']).toBeUndefined();
  });
});

describe('compressed registration errors', () => {
  const c = { compressed: true, version: 407 };
  it('a body inflating past maxInflatedBytes is refused with the limit', () => {
    const bomb = zlib.deflateSync(Buffer.alloc(4096));
    const err = errorOf(() => decodeRegisterBrokerBody(bomb, { ...c, maxInflatedBytes: 1024 }));
    expect(err).toBeInstanceOf(InflatedBodyTooLargeError);
    expect(err).toMatchObject({ limit: 1024 });
    expect(err.message).toBe('compressed register body inflates to more than 1024 bytes');
    // Under the limit it gets as far as the layout.
    expect(
      errorOf(() => decodeRegisterBrokerBody(bomb, { ...c, maxInflatedBytes: 8192 })),
    ).not.toBeInstanceOf(InflatedBodyTooLargeError);
  });
  it('not zlib', () => {
    expect(errorOf(() => decodeRegisterBrokerBody(J('{"x":1}'), c)).message).toContain(
      'does not inflate',
    );
  });
  it('truncated layout', () => {
    const raw = Buffer.alloc(6);
    raw.writeInt32BE(100, 0);
    expect(errorOf(() => decodeRegisterBrokerBody(zlib.deflateSync(raw), c)).message).toContain(
      'bad dataVersion length',
    );
    expect(
      errorOf(() => decodeRegisterBrokerBody(zlib.deflateSync(Buffer.alloc(2)), c)).message,
    ).toContain('truncated');
  });
  it('a topic line with too few fields', () => {
    const parts: Buffer[] = [];
    const put = (s: string) => {
      const b = Buffer.from(s);
      const l = Buffer.alloc(4);
      l.writeInt32BE(b.length);
      parts.push(l, b);
    };
    put('{"counter":1,"timestamp":2}');
    const n = Buffer.alloc(4);
    n.writeInt32BE(1);
    parts.push(n);
    put('T 4 4 6');
    put('[]');
    expect(
      errorOf(() => decodeRegisterBrokerBody(zlib.deflateSync(Buffer.concat(parts)), c)).message,
    ).toContain('expected 5 space-separated fields');
  });
});

describe('CRC32 and DataVersion equality', () => {
  it('masked CRC-32 matches known values', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(bodyCrc32(Buffer.from('123456789'))).toBe(0xcbf43926 & 0x7fffffff);
    expect(bodyCrc32(null)).toBe(0);
    expect(bodyCrc32(Buffer.alloc(0))).toBe(0);
  });
  it('4.9 ignores stateVersion, 5.x compares it (absent = 0)', () => {
    const a = { counter: 1, timestamp: 2, stateVersion: 3 };
    const b = { counter: 1, timestamp: 2 };
    expect(dataVersionEquals(a, b, '4.9')).toBe(true);
    expect(dataVersionEquals(a, b, '5.x')).toBe(false);
    expect(dataVersionEquals({ ...b, stateVersion: 0 }, b, '5.x')).toBe(true);
    expect(dataVersionEquals(b, { counter: 2, timestamp: 2 }, '4.9')).toBe(false);
  });
});

describe('large and common bodies', () => {
  function bigBody(n: number): RegisterBrokerBody {
    const table = new Map<string, TopicConfig>();
    for (let i = 0; i < n; i++) {
      const name = `Topic_${i}_${(i * 2654435761) % 1000003}`;
      table.set(name, {
        topicName: name,
        readQueueNums: 8,
        writeQueueNums: 8,
        perm: 6,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false,
      });
    }
    return {
      topicConfigSerializeWrapper: {
        dataVersion: { counter: 1, timestamp: 2 },
        topicConfigTable: table,
      },
      filterServerList: [],
    };
  }

  it('decodes a 10,000-topic registration whole (JSON and compressed)', () => {
    // How fast is the codec bench's business (`pnpm bench -- --only=codec`): a timed unit test
    // failed a CI run on a loaded 2-core machine (385 ms against a bound of 250).
    const body = bigBody(10_000);
    const json = encodeRegisterBrokerBody(body, { version: 407 });
    const z = encodeRegisterBrokerBody(body, { version: 407, compressed: true });
    for (const decoded of [
      decodeRegisterBrokerBody(json, opts),
      decodeRegisterBrokerBody(z, { compressed: true, version: 407 }),
    ]) {
      const table = decoded.topicConfigSerializeWrapper.topicConfigTable;
      expect(table.size).toBe(10_000);
      // The same topics (the encoder writes them in Java's hash order, not insertion order).
      expect([...table.keys()].sort()).toEqual(
        [...body.topicConfigSerializeWrapper.topicConfigTable.keys()].sort(),
      );
      expect(table.get('Topic_9999_' + ((9999 * 2654435761) % 1000003))?.readQueueNums).toBe(8);
    }
  });

  it('encodes a route body in both JSON flavours', () => {
    const route = {
      queueDatas: [1, 2, 3].map((i) => ({
        brokerName: `b${i}`,
        readQueueNums: 8,
        writeQueueNums: 8,
        perm: 6,
        topicSysFlag: 0,
      })),
      brokerDatas: [1, 2, 3].map((i) => ({
        cluster: 'c',
        brokerName: `b${i}`,
        brokerAddrs: new Map([
          [0, `10.0.0.${i}:10911`],
          [1, `10.0.1.${i}:10911`],
        ]),
      })),
      filterServerTable: new Map<string, string[]>(),
    };
    // Both flavours round-trip (speed: the codec bench, as above).
    for (const standardJson of [true, false]) {
      const decoded = decodeTopicRouteData(encodeTopicRouteData(route, { standardJson }));
      expect(decoded.queueDatas).toEqual(route.queueDatas);
      expect(decoded.brokerDatas.map((b) => [...b.brokerAddrs])).toEqual(
        route.brokerDatas.map((b) => [...b.brokerAddrs]),
      );
    }
  });
});
