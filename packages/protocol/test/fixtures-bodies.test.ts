/**
 * Every JSON / compressed body of the 4.9.7 captures: decode it, check the decoded fields, and encode
 * the decoded value again; the bytes must equal the Java bytes.
 */
import { describe, it, expect } from 'vitest';
import * as zlib from 'node:zlib';
import { binaryHeaderOf, jsonHeaderOf, listFixtures, loadFixture, sliceFrame } from './fixtures.js';
import { bodyCrc32 } from '../src/bodies/body-crc32.js';
import { decodeDataVersion, encodeDataVersion } from '../src/bodies/data-version.js';
import {
  decodeRegisterBrokerBody,
  encodeRegisterBrokerBody,
} from '../src/bodies/register-broker-body.js';
import {
  decodeTopicRouteData,
  encodeTopicRouteData,
  routeBodyWantsStandardJson,
} from '../src/bodies/topic-route-data.js';
import { decodeClusterInfo, encodeClusterInfo } from '../src/bodies/cluster-info.js';
import { decodeKVTable, encodeKVTable } from '../src/bodies/kv-table.js';
import { decodeTopicList, encodeTopicList } from '../src/bodies/topic-list.js';

interface Side {
  code: number;
  version: number;
  ext: Record<string, string>;
  body: Buffer | null;
}

function side(frame: Buffer): Side {
  const s = sliceFrame(frame);
  if (s.serializeType === 0) {
    const h = jsonHeaderOf(frame);
    return { code: h.code, version: h.version, ext: h.extFields ?? {}, body: s.body };
  }
  const h = binaryHeaderOf(frame);
  return { code: h.code, version: h.version, ext: Object.fromEntries(h.extFields), body: s.body };
}

const fixtures = listFixtures().filter((n) => !n.startsWith('malformed-'));

/** Bodies that are not JSON and belong to other codecs (java.util.Properties text, engineer C). */
const PROPERTIES_CODES = new Set([318, 319]);

describe('fixture bodies: every body is covered', () => {
  it('each fixture body is handled by one of the cases below', () => {
    const handled = new Set([103, 105, 106, 206, 219, 224, 304, 311, 312, 313, 322]);
    const unhandled: string[] = [];
    for (const name of fixtures) {
      const { request, response } = loadFixture(name);
      const req = side(request);
      const res = response === null ? null : side(response);
      if (
        (req.body !== null || res?.body != null) &&
        !handled.has(req.code) &&
        !PROPERTIES_CODES.has(req.code)
      ) {
        unhandled.push(name);
      }
    }
    expect(unhandled).toEqual([]);
  });
});

describe('REGISTER_BROKER request bodies', () => {
  const names = fixtures.filter((n) => side(loadFixture(n).request).code === 103);

  it.each(names)('%s: CRC, decode, re-encode', (name) => {
    const req = side(loadFixture(name).request);
    if (req.body === null) return expect(req.ext['bodyCrc32'] ?? '0').toBe('0');
    const crcField = Number(req.ext['bodyCrc32'] ?? '0');
    if (name === 'register-broker-crc32-mismatch') {
      expect(bodyCrc32(req.body)).not.toBe(crcField);
    } else {
      expect(bodyCrc32(req.body)).toBe(crcField);
    }
    const compressed = req.ext['compressed'] === 'true';
    const decoded = decodeRegisterBrokerBody(req.body, { compressed, version: req.version });
    const wrapper = decoded.topicConfigSerializeWrapper;
    expect(decoded.filterServerList).toEqual([]);
    if (name === 'register-broker-crc32-mismatch') {
      expect(wrapper.topicConfigTable.size).toBe(0);
      return;
    }
    for (const [topic, tc] of wrapper.topicConfigTable) {
      expect(tc.topicName).toBe(topic);
      expect(tc.topicFilterType).toBe('SINGLE_TAG');
      expect(tc.topicSysFlag).toBe(0);
    }
    const again = encodeRegisterBrokerBody(decoded, { compressed, version: req.version });
    if (!compressed) {
      expect(again.toString('utf8')).toBe(req.body.toString('utf8'));
    } else {
      expect(zlib.inflateSync(again)).toEqual(zlib.inflateSync(req.body));
      // The deflate stream too (pako = reference zlib, like the JDK's Deflater), hence the CRC.
      expect(again).toEqual(req.body);
      expect(bodyCrc32(again)).toBe(crcField);
    }
  });

  it('register-broker-master: the full table of a fresh 4.9.7 broker', () => {
    const req = side(loadFixture('register-broker-master').request);
    const b = decodeRegisterBrokerBody(req.body, { compressed: false, version: req.version });
    const w = b.topicConfigSerializeWrapper;
    expect(w.dataVersion).toEqual({ counter: 0, timestamp: 1795422624070 });
    expect([...w.topicConfigTable.keys()]).toEqual([
      'SCHEDULE_TOPIC_XXXX',
      'SELF_TEST_TOPIC',
      'DefaultCluster',
      'DefaultCluster_REPLY_TOPIC',
      'broker-a',
      'TBW102',
      'BenchmarkTest',
      'OFFSET_MOVED_EVENT',
    ]);
    expect(w.topicConfigTable.get('TBW102')).toEqual({
      topicName: 'TBW102',
      readQueueNums: 8,
      writeQueueNums: 8,
      perm: 7,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
    });
    expect(w.topicConfigTable.get('BenchmarkTest')?.readQueueNums).toBe(1024);
  });

  it('register-broker-master-incremental: one topic, bumped data version', () => {
    const req = side(loadFixture('register-broker-master-incremental').request);
    const w = decodeRegisterBrokerBody(req.body, {
      compressed: false,
      version: 407,
    }).topicConfigSerializeWrapper;
    expect(w.dataVersion).toEqual({ counter: 1, timestamp: 1795422677007 });
    expect([...w.topicConfigTable.values()]).toEqual([
      {
        topicName: 'FixtureTopic',
        readQueueNums: 4,
        writeQueueNums: 4,
        perm: 6,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false,
      },
    ]);
  });

  it('register-broker-master-kvtable: an order topic is flagged order:true by the broker', () => {
    const req = side(loadFixture('register-broker-master-kvtable').request);
    const w = decodeRegisterBrokerBody(req.body, {
      compressed: false,
      version: 407,
    }).topicConfigSerializeWrapper;
    expect(w.dataVersion).toEqual({ counter: 3, timestamp: 1795422694680 });
    expect(w.topicConfigTable.size).toBe(11);
  });

  it('register-broker-compressed: layout decoded as in the README', () => {
    const req = side(loadFixture('register-broker-compressed').request);
    const w = decodeRegisterBrokerBody(req.body, {
      compressed: true,
      version: 407,
    }).topicConfigSerializeWrapper;
    expect(w.dataVersion).toEqual({ counter: 0, timestamp: 1795422643779 });
    expect(
      [...w.topicConfigTable.values()].map(
        (t) =>
          `${t.topicName} ${t.readQueueNums} ${t.writeQueueNums} ${t.perm} ${t.topicFilterType}`,
      ),
    ).toEqual([
      'SCHEDULE_TOPIC_XXXX 18 18 6 SINGLE_TAG',
      'DefaultCluster_REPLY_TOPIC 1 1 6 SINGLE_TAG',
      'broker-b 1 1 7 SINGLE_TAG',
      'BenchmarkTest 1024 1024 6 SINGLE_TAG',
      'OFFSET_MOVED_EVENT 1 1 6 SINGLE_TAG',
      'TBW102 8 8 7 SINGLE_TAG',
      'SELF_TEST_TOPIC 1 1 6 SINGLE_TAG',
      'DefaultCluster 16 16 7 SINGLE_TAG',
    ]);
  });

  it('register-broker-compressed-oneway: 11 topics incl. RMQ_SYS_TRANS_HALF_TOPIC', () => {
    const req = side(loadFixture('register-broker-compressed-oneway').request);
    const w = decodeRegisterBrokerBody(req.body, {
      compressed: true,
      version: 407,
    }).topicConfigSerializeWrapper;
    expect(w.dataVersion).toEqual({ counter: 4, timestamp: 1795422707559 });
    expect(w.topicConfigTable.size).toBe(11);
    expect(w.topicConfigTable.get('RMQ_SYS_TRANS_HALF_TOPIC')?.perm).toBe(6);
  });
});

describe('QUERY_DATA_VERSION bodies', () => {
  it.each(['query-data-version', 'query-data-version-unknown-broker'])('%s', (name) => {
    const { request, response } = loadFixture(name);
    const req = side(request);
    const dv = decodeDataVersion(req.body!);
    expect(encodeDataVersion(dv)).toEqual(req.body);
    const res = side(response!);
    if (name === 'query-data-version') {
      expect(dv).toEqual({ counter: 0, timestamp: 1795422861255 });
      expect(decodeDataVersion(res.body!)).toEqual(dv);
      expect(encodeDataVersion(decodeDataVersion(res.body!))).toEqual(res.body);
    } else {
      expect(dv).toEqual({ counter: 0, timestamp: 0 });
      expect(res.body).toBeNull();
    }
  });
});

describe('route bodies (GET_ROUTEINFO_BY_TOPIC)', () => {
  const names = fixtures.filter((n) => {
    const { request, response } = loadFixture(n);
    return side(request).code === 105 && response !== null && side(response).body !== null;
  });

  it('there are route bodies in both flavours', () => {
    expect(names.length).toBeGreaterThanOrEqual(9);
  });

  it.each(names)('%s: decode and re-encode in the flavour the request selects', (name) => {
    const { request, response } = loadFixture(name);
    const req = side(request);
    const res = side(response!);
    const standard = routeBodyWantsStandardJson(
      req.version,
      (req.ext['acceptStandardJsonOnly'] ?? '').toLowerCase() === 'true',
    );
    expect(res.body!.includes('{0:')).toBe(!standard);
    const route = decodeTopicRouteData(res.body!);
    expect(route.brokerDatas.map((b) => b.brokerName)).toEqual(['broker-b', 'broker-a']);
    expect(route.queueDatas.map((q) => q.brokerName)).toEqual(['broker-b', 'broker-a']);
    expect(route.brokerDatas[1]!.brokerAddrs).toEqual(
      new Map([
        [0, '127.0.0.1:20911'],
        [1, '127.0.0.1:20921'],
      ]),
    );
    expect(route.filterServerTable.size).toBe(0);
    expect(encodeTopicRouteData(route, { standardJson: standard })).toEqual(res.body);
  });

  it('get-route-orderconf carries orderTopicConf', () => {
    const res = side(loadFixture('get-route-orderconf').response!);
    expect(decodeTopicRouteData(res.body!).orderTopicConf).toBe('broker-a:4');
  });

  it('get-route-tbw102 and after-add: perm 7, then 6 after ADD_WRITE_PERM', () => {
    const before = decodeTopicRouteData(side(loadFixture('get-route-tbw102').response!).body!);
    const after = decodeTopicRouteData(
      side(loadFixture('get-route-tbw102-after-add').response!).body!,
    );
    expect(before.queueDatas.map((q) => q.perm)).toEqual([7, 7]);
    expect(after.queueDatas.map((q) => q.perm)).toContain(6);
  });

  it('get-route-after-wipe: write bit cleared on broker-a', () => {
    const r = decodeTopicRouteData(side(loadFixture('get-route-after-wipe').response!).body!);
    expect(r.queueDatas.find((q) => q.brokerName === 'broker-a')?.perm).toBe(4);
  });

  it('legacy v399 body is exactly the standard body with bare ids', () => {
    const legacy = side(loadFixture('get-route-legacy-v399').response!).body!;
    const std = side(loadFixture('get-route-legacy-v399-standard-json').response!).body!;
    expect(legacy.toString()).toBe(std.toString().replace(/"(\d+)":"127/g, '$1:"127'));
  });
});

describe('cluster info, topic lists, KV tables', () => {
  it.each(['get-broker-cluster-info', 'get-broker-cluster-info-rocketmq'])('%s', (name) => {
    const res = side(loadFixture(name).response!);
    const info = decodeClusterInfo(res.body!);
    expect([...info.brokerAddrTable.keys()]).toEqual(['broker-b', 'broker-a']);
    expect(info.brokerAddrTable.get('broker-a')?.brokerAddrs.get(1)).toBe('127.0.0.1:20921');
    expect(info.clusterAddrTable.get('DefaultCluster')).toEqual(['broker-b', 'broker-a']);
    expect(encodeClusterInfo(info)).toEqual(res.body);
    // Insertion order on the Java side was broker-a then broker-b: the encoder reproduces hash order.
    const reordered = {
      brokerAddrTable: new Map([...info.brokerAddrTable].reverse()),
      clusterAddrTable: new Map([['DefaultCluster', ['broker-a', 'broker-b']]]),
    };
    expect(encodeClusterInfo(reordered)).toEqual(res.body);
  });

  const listNames = fixtures.filter((n) =>
    [206, 224, 304, 311, 312, 313].includes(side(loadFixture(n).request).code),
  );
  it.each(listNames)('%s: TopicList', (name) => {
    const res = side(loadFixture(name).response!);
    const list = decodeTopicList(res.body!);
    expect(encodeTopicList(list)).toEqual(res.body);
    if (name === 'get-system-topic-list') {
      expect(list).toEqual({
        brokerAddr: '127.0.0.1:20931',
        topicList: ['broker-b', 'broker-a', 'DefaultCluster'],
      });
    }
    if (name === 'get-all-topic-list') expect(list.topicList).toHaveLength(9);
    if (name === 'get-topics-by-cluster') expect(list.topicList).toContain('FixtureTopic');
    if (name.endsWith('missing') || name.includes('unit')) expect(list.topicList).toEqual([]);
  });

  it.each([
    'get-kvlist-by-namespace',
    'register-broker-master-kvtable',
    'register-broker-rocketmq',
  ])('%s: KVTable', (name) => {
    const res = side(loadFixture(name).response!);
    const kv = decodeKVTable(res.body!);
    expect(kv.table.get('OrderFixtureTopic')).toBe('broker-b:8;broker-a:8');
    expect(encodeKVTable(kv)).toEqual(res.body);
  });
});
