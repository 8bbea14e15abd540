/** fast-check round trips of every body codec, in both JSON flavours and the compressed form. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type {
  BrokerData,
  ClusterInfo,
  DataVersion,
  GetBrokerMemberGroupResponseBody,
  KVTable,
  QueueData,
  RegisterBrokerBody,
  TopicConfig,
  TopicList,
  TopicQueueMappingInfo,
  TopicRouteData,
} from '../src/bodies/types.js';
import { LEGACY, STANDARD } from '../src/json/fastjson-writer.js';
import { Version } from '../src/version.js';
import {
  decodeDataVersion,
  encodeDataVersion,
  dataVersionEquals,
} from '../src/bodies/data-version.js';
import {
  decodeRegisterBrokerBody,
  encodeRegisterBrokerBody,
} from '../src/bodies/register-broker-body.js';
import { decodeTopicRouteData, encodeTopicRouteData } from '../src/bodies/topic-route-data.js';
import { decodeClusterInfo, encodeClusterInfo } from '../src/bodies/cluster-info.js';
import { decodeKVTable, encodeKVTable } from '../src/bodies/kv-table.js';
import { decodeTopicList, encodeTopicList } from '../src/bodies/topic-list.js';
import {
  decodeGetBrokerMemberGroupResponseBody,
  encodeGetBrokerMemberGroupResponseBody,
} from '../src/bodies/broker-member-group.js';
import {
  decodeTopicConfigSerializeWrapper,
  encodeTopicConfigSerializeWrapper,
} from '../src/bodies/topic-config-serialize-wrapper.js';
import {
  decodeRegisterBrokerResult,
  encodeRegisterBrokerResult,
} from '../src/bodies/register-broker-result.js';

/** Maps → sorted entry lists, so equality does not depend on iteration order. */
function norm(v: unknown): unknown {
  if (v instanceof Map) {
    return [...v.entries()]
      .map(([k, x]) => [k, norm(x)] as const)
      .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0));
  }
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = norm(x);
    return o;
  }
  return v;
}

const text = fc.string({ unit: 'binary', maxLength: 12 });
const topicName = fc.stringMatching(/^[%|a-zA-Z0-9_-]{1,20}$/);
const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
const long = fc.maxSafeInteger();
const brokerId = fc.integer({ min: -5, max: 2 ** 40 });

const dataVersion: fc.Arbitrary<DataVersion> = fc.oneof(
  fc.record(
    { counter: long, timestamp: long, stateVersion: long },
    { requiredKeys: ['counter', 'timestamp'] },
  ),
  // Read from JSON without a timestamp: written back without one.
  fc
    .record({ counter: long, stateVersion: long }, { requiredKeys: ['counter'] })
    .map((v): DataVersion => ({ ...v, timestamp: 0, unstamped: true })),
);

function mapOf<K, V>(
  k: fc.Arbitrary<K>,
  v: fc.Arbitrary<V>,
  maxLength = 6,
): fc.Arbitrary<Map<K, V>> {
  return fc
    .uniqueArray(fc.tuple(k, v), { selector: (e) => e[0], maxLength })
    .map((es) => new Map(es));
}

const topicConfig = (name: fc.Arbitrary<string>): fc.Arbitrary<TopicConfig> =>
  fc.record(
    {
      topicName: name,
      readQueueNums: int32,
      writeQueueNums: int32,
      perm: int32,
      topicFilterType: fc.constantFrom('SINGLE_TAG' as const, 'MULTI_TAG' as const),
      topicSysFlag: int32,
      order: fc.boolean(),
      attributes: mapOf(text, text, 3),
    },
    {
      requiredKeys: [
        'topicName',
        'readQueueNums',
        'writeQueueNums',
        'perm',
        'topicFilterType',
        'topicSysFlag',
        'order',
      ],
    },
  );

const mappingInfo: fc.Arbitrary<TopicQueueMappingInfo> = fc.record(
  {
    topic: text,
    scope: text,
    totalQueues: int32,
    bname: text,
    epoch: long,
    dirty: fc.boolean(),
    currIdMap: mapOf(int32, int32, 4),
  },
  { requiredKeys: ['topic', 'scope', 'totalQueues', 'bname', 'epoch', 'dirty'] },
);

function registerBody(
  name: fc.Arbitrary<string>,
  withMappings: boolean,
): fc.Arbitrary<RegisterBrokerBody> {
  return fc
    .record({
      dv: dataVersion,
      topics: fc.uniqueArray(topicConfig(name), { selector: (t) => t.topicName, maxLength: 8 }),
      filterServerList: fc.array(text, { maxLength: 3 }),
      mappings: withMappings
        ? fc.uniqueArray(mappingInfo, { selector: (m) => m.topic, maxLength: 3 })
        : fc.constant<TopicQueueMappingInfo[]>([]),
      mdv: fc.option(dataVersion, { nil: undefined }),
    })
    .map(({ dv, topics, filterServerList, mappings, mdv }) => {
      const w: RegisterBrokerBody['topicConfigSerializeWrapper'] = {
        dataVersion: dv,
        topicConfigTable: new Map(topics.map((t) => [t.topicName, t])),
      };
      if (withMappings) {
        w.topicQueueMappingInfoMap = new Map(mappings.map((m) => [m.topic, m]));
        if (mdv !== undefined) w.mappingDataVersion = mdv;
      }
      return { topicConfigSerializeWrapper: w, filterServerList };
    });
}

const queueData: fc.Arbitrary<QueueData> = fc.record({
  brokerName: text,
  readQueueNums: int32,
  writeQueueNums: int32,
  perm: int32,
  topicSysFlag: int32,
});

const brokerData: fc.Arbitrary<BrokerData> = fc.record(
  {
    cluster: text,
    brokerName: text,
    brokerAddrs: mapOf(brokerId, text, 4),
    enableActingMaster: fc.constant(true),
    zoneName: text,
  },
  { requiredKeys: ['cluster', 'brokerName', 'brokerAddrs'] },
);

const routeData: fc.Arbitrary<TopicRouteData> = fc.record(
  {
    orderTopicConf: text,
    queueDatas: fc.array(queueData, { maxLength: 4 }),
    brokerDatas: fc.array(brokerData, { maxLength: 4 }),
    filterServerTable: mapOf(text, fc.array(text, { maxLength: 2 }), 3),
    topicQueueMappingByBroker: mapOf(text, mappingInfo, 2),
  },
  { requiredKeys: ['queueDatas', 'brokerDatas', 'filterServerTable'] },
);

const flavours = [
  ['legacy', LEGACY],
  ['standard', STANDARD],
] as const;

describe.each(flavours)('round trips (%s JSON)', (_label, flavour) => {
  it('RegisterBrokerBody (JSON, 4.9 and 5.x shapes)', () => {
    fc.assert(
      fc.property(
        fc.boolean().chain((m) => registerBody(text, m)),
        (body) => {
          const buf = encodeRegisterBrokerBody(body, { version: 407 }, flavour);
          expect(norm(decodeRegisterBrokerBody(buf, { compressed: false, version: 407 }))).toEqual(
            norm(body),
          );
        },
      ),
    );
  });

  it('TopicConfigSerializeWrapper (bare body, version < 37)', () => {
    fc.assert(
      fc.property(registerBody(text, false), (body) => {
        const buf = encodeRegisterBrokerBody(body, { version: 30 }, flavour);
        expect(
          buf.equals(encodeTopicConfigSerializeWrapper(body.topicConfigSerializeWrapper, flavour)),
        ).toBe(true);
        const back = decodeRegisterBrokerBody(buf, { compressed: false, version: 30 });
        expect(norm(back.topicConfigSerializeWrapper)).toEqual(
          norm(body.topicConfigSerializeWrapper),
        );
        expect(norm(decodeTopicConfigSerializeWrapper(buf))).toEqual(
          norm(body.topicConfigSerializeWrapper),
        );
      }),
    );
  });

  it('TopicRouteData', () => {
    fc.assert(
      fc.property(routeData, (route) => {
        const buf = encodeTopicRouteData(route, { standardJson: flavour.standard });
        expect(norm(decodeTopicRouteData(buf))).toEqual(norm(route));
        if (flavour.standard) expect(() => JSON.parse(buf.toString('utf8'))).not.toThrow();
        if (flavour.standard) expect(/[^\x00-\x7f]/.test(buf.toString('utf8'))).toBe(false);
      }),
    );
  });

  it('ClusterInfo', () => {
    const info: fc.Arbitrary<ClusterInfo> = fc.record({
      brokerAddrTable: mapOf(text, brokerData, 5),
      clusterAddrTable: mapOf(text, fc.uniqueArray(text, { maxLength: 4 }), 3),
    });
    fc.assert(
      fc.property(info, (ci) => {
        const back = decodeClusterInfo(encodeClusterInfo(ci, flavour));
        // Broker-name sets have no order: compare them sorted.
        const sortSets = (c: ClusterInfo) => ({
          ...c,
          clusterAddrTable: new Map([...c.clusterAddrTable].map(([k, v]) => [k, [...v].sort()])),
        });
        expect(norm(sortSets(back))).toEqual(norm(sortSets(ci)));
      }),
    );
  });

  it('KVTable, TopicList, member group, DataVersion', () => {
    fc.assert(
      fc.property(
        fc.record({ table: mapOf(text, text, 8) }),
        fc.record(
          { topicList: fc.array(text, { maxLength: 6 }), brokerAddr: text },
          { requiredKeys: ['topicList'] },
        ),
        fc.record({ cluster: text, brokerName: text, brokerAddrs: mapOf(brokerId, text, 4) }),
        dataVersion,
        (kv: KVTable, tl: TopicList, g, dv) => {
          expect(norm(decodeKVTable(encodeKVTable(kv, flavour)))).toEqual(norm(kv));
          expect(decodeTopicList(encodeTopicList(tl, flavour))).toEqual(tl);
          const mg: GetBrokerMemberGroupResponseBody = { brokerMemberGroup: g };
          expect(
            norm(
              decodeGetBrokerMemberGroupResponseBody(
                encodeGetBrokerMemberGroupResponseBody(mg, flavour),
              ),
            ),
          ).toEqual(norm(mg));
          const dvBack = decodeDataVersion(encodeDataVersion(dv));
          expect(dvBack).toEqual(dv);
          expect(dataVersionEquals(dvBack, dv, '5.x')).toBe(true);
        },
      ),
    );
  });
});

describe('compressed registration round trips', () => {
  it('4.9 layout: topicSysFlag and order are not carried', () => {
    fc.assert(
      fc.property(registerBody(topicName, false), (body) => {
        const buf = encodeRegisterBrokerBody(body, { version: 407, compressed: true });
        const back = decodeRegisterBrokerBody(buf, { compressed: true, version: 407 });
        const expected = new Map(
          [...body.topicConfigSerializeWrapper.topicConfigTable].map(([k, t]) => [
            k,
            { ...t, topicSysFlag: 0, order: false },
          ]),
        );
        expect(norm(back.topicConfigSerializeWrapper.topicConfigTable)).toEqual(norm(expected));
        expect(back.topicConfigSerializeWrapper.dataVersion).toEqual(
          body.topicConfigSerializeWrapper.dataVersion,
        );
        expect(back.filterServerList).toEqual(body.filterServerList);
      }),
    );
  });

  it('5.x layout (version ≥ 413) carries the mapping section', () => {
    fc.assert(
      fc.property(registerBody(topicName, true), (body) => {
        const buf = encodeRegisterBrokerBody(body, { version: 479, compressed: true });
        const back = decodeRegisterBrokerBody(buf, { compressed: true, version: 479 });
        expect(norm(back.topicConfigSerializeWrapper.topicQueueMappingInfoMap)).toEqual(
          norm(
            new Map(
              [...body.topicConfigSerializeWrapper.topicQueueMappingInfoMap!.values()].map((m) => [
                m.topic,
                m,
              ]),
            ),
          ),
        );
      }),
    );
  });
});

describe('a DataVersion without a timestamp (Java stamps it with the receiver clock)', () => {
  const UNSTAMPED = { counter: 0, timestamp: 0, unstamped: true };
  const v497 = { compressed: false, version: Version.V4_9_7 };
  const json = (s: string): Buffer => Buffer.from(s, 'utf8');

  it('is marked, never read as timestamp 0', () => {
    expect(decodeDataVersion(json('{"counter":3}'))).toEqual({ ...UNSTAMPED, counter: 3 });
    expect(decodeDataVersion(json('{"counter":3,"timestamp":null}'))).toEqual({
      ...UNSTAMPED,
      counter: 3,
    });
    expect(decodeDataVersion(json('{"counter":3,"timestamp":0}'))).toEqual({
      counter: 3,
      timestamp: 0,
    });
  });

  it('a body without a DataVersion or without a wrapper has a fresh one; no body has {0, 0}', () => {
    const wrapperOnly = decodeRegisterBrokerBody(
      json('{"topicConfigSerializeWrapper":{"topicConfigTable":{}},"filterServerList":[]}'),
      v497,
    );
    expect(wrapperOnly.topicConfigSerializeWrapper.dataVersion).toEqual(UNSTAMPED);
    const none = decodeRegisterBrokerBody(json('{"filterServerList":[]}'), v497);
    expect(none.topicConfigSerializeWrapper.dataVersion).toEqual(UNSTAMPED);
    const bare = decodeRegisterBrokerBody(json('{"topicConfigTable":{}}'), {
      compressed: false,
      version: 20,
    });
    expect(bare.topicConfigSerializeWrapper.dataVersion).toEqual(UNSTAMPED);
    expect(decodeRegisterBrokerBody(null, v497).topicConfigSerializeWrapper.dataVersion).toEqual({
      counter: 0,
      timestamp: 0,
    });
  });
});

describe('RegisterBrokerResult', () => {
  it('round trips through ext fields and a KVTable body', () => {
    fc.assert(
      fc.property(
        fc.option(text, { nil: null }),
        fc.option(text, { nil: null }),
        fc.option(mapOf(text, text), { nil: null }),
        (ha, master, table) => {
          const result = {
            haServerAddr: ha,
            masterAddr: master,
            kvTable: table === null ? null : { table },
          };
          const { extFields, body } = encodeRegisterBrokerResult(result);
          expect(norm(decodeRegisterBrokerResult(extFields, body))).toEqual(norm(result));
        },
      ),
    );
  });
});
