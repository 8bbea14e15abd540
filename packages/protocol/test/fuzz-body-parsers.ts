/**
 * Every body decoder the NameServer, the clients and the broker agent run on untrusted bytes, with
 * valid bodies of its own format to start mutating from, and (where the node or a client does
 * something with the decoded value next) the encoder that must accept what the decoder returned.
 *
 * Seeds come from the encoders (every shape a body can take: empty, large, legacy and standard
 * JSON, 5.x fields) and from the captured 4.9.7 frames (each frame body goes to the decoders of
 * its request code). Compressed REGISTER_BROKER bodies are seeded with their inflated layout:
 * mutating that and deflating again reaches the layout reader; mutating the deflated bytes
 * exercises the inflater.
 */
import { inflateSync } from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import {
  decodeClusterInfo,
  decodeDataVersion,
  decodeFrame,
  decodeGetBrokerMemberGroupResponseBody,
  decodeKVTable,
  decodePropertiesBody,
  decodeRegisterBodyWithBase,
  decodeRegisterBrokerBody,
  decodeRegisterBrokerResult,
  decodeTopicConfigLine,
  decodeTopicConfigSerializeWrapper,
  decodeTopicList,
  decodeTopicRouteData,
  decodeWatchTopicRouteRequestBody,
  decodeWatchTopicRouteResponseBody,
  encodeClusterInfo,
  encodeCompressedRegisterBrokerBody,
  encodeDataVersion,
  encodeGetBrokerMemberGroupResponseBody,
  encodeKVTable,
  encodeRegisterBrokerBody,
  encodeTopicConfigLine,
  encodeTopicConfigSerializeWrapper,
  encodeTopicList,
  encodeTopicRouteData,
  encodeWatchTopicRouteRequestBody,
  encodeWatchTopicRouteResponseBody,
  formatProperties,
  LEGACY_JSON,
  parseJsonLenient,
  RequestCode,
  STANDARD_JSON,
  Version,
} from '@ns/protocol';
import type {
  ClusterInfo,
  RegisterBrokerBody,
  TopicConfig,
  TopicConfigSerializeWrapper,
  TopicRouteData,
} from '@ns/protocol';
import { listFixtures, loadFixture } from './fixtures.js';
import type { BodyParser } from './fuzz-harness.js';

export interface BodyDecoder {
  readonly name: string;
  /** Decodes untrusted bytes; may throw ProtocolError subclasses only. */
  decode(body: Buffer): unknown;
  /** What the receiver does next with a decoded value (encode it again); must not throw. */
  reencode?(value: unknown): void;
  /** Valid bodies of this format (the inflated layout for `deflated` decoders). */
  readonly seeds: Buffer[];
  /** The decoder takes deflated bytes: seeds are the inflated layout, deflated after mutation. */
  readonly deflated?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Seeds from the encoders

function topicConfig(topicName: string, i: number): TopicConfig {
  const tc: TopicConfig = {
    topicName,
    readQueueNums: 1 + (i % 16),
    writeQueueNums: 1 + (i % 8),
    perm: [2, 4, 6][i % 3]!,
    topicFilterType: i % 5 === 0 ? 'MULTI_TAG' : 'SINGLE_TAG',
    topicSysFlag: i % 4,
    order: i % 7 === 0,
  };
  if (i % 6 === 0) tc.attributes = new Map([['+message.type', 'NORMAL']]);
  return tc;
}

function wrapper(topics: number, v5: boolean): TopicConfigSerializeWrapper {
  const table = new Map<string, TopicConfig>();
  for (let i = 0; i < topics; i++) {
    const name = i % 9 === 4 ? `%RETRY%group-${i}` : `Topic-${i}-\u00e9\u4e2d`;
    table.set(name, topicConfig(name, i));
  }
  const w: TopicConfigSerializeWrapper = {
    dataVersion: { counter: topics * 7, timestamp: 1_700_000_000_000 + topics },
    topicConfigTable: table,
  };
  if (v5) {
    w.dataVersion.stateVersion = 3;
    w.mappingDataVersion = { counter: 2, timestamp: 1_700_000_000_001 };
    const first = [...table.keys()][0];
    if (first !== undefined) {
      w.topicQueueMappingInfoMap = new Map([
        [
          first,
          {
            topic: first,
            scope: '__global__',
            totalQueues: 8,
            bname: 'broker-a',
            epoch: 12,
            dirty: false,
            currIdMap: new Map([
              [0, 0],
              [1, 3],
            ]),
          },
        ],
      ]);
    }
  }
  return w;
}

function registerBodies(): RegisterBrokerBody[] {
  return [0, 1, 3, 17].flatMap((n) =>
    [false, true].map((v5) => ({
      topicConfigSerializeWrapper: wrapper(n, v5),
      filterServerList: n % 2 === 1 ? ['10.0.0.9:40000', '10.0.0.9:40001'] : [],
    })),
  );
}

function routes(): TopicRouteData[] {
  const full: TopicRouteData = {
    orderTopicConf: 'broker-a:4;broker-b:4',
    queueDatas: [
      { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
      { brokerName: 'broker-b', readQueueNums: 8, writeQueueNums: 2, perm: 4, topicSysFlag: 3 },
    ],
    brokerDatas: [
      {
        cluster: 'DefaultCluster',
        brokerName: 'broker-a',
        brokerAddrs: new Map([
          [0, '10.0.0.1:10911'],
          [1, '10.0.0.2:10911'],
        ]),
        enableActingMaster: true,
        zoneName: 'zone-1',
      },
      {
        cluster: 'DefaultCluster',
        brokerName: 'broker-b',
        brokerAddrs: new Map([[0, '10.0.0.3:10911']]),
      },
    ],
    filterServerTable: new Map([['10.0.0.1:10911', ['10.0.0.1:40000']]]),
    topicQueueMappingByBroker: new Map([
      [
        'broker-a',
        {
          topic: 'T',
          scope: '__global__',
          totalQueues: 4,
          bname: 'broker-a',
          epoch: 1,
          dirty: true,
        },
      ],
    ]),
  };
  const empty: TopicRouteData = { queueDatas: [], brokerDatas: [], filterServerTable: new Map() };
  return [full, empty];
}

function clusterInfo(): ClusterInfo {
  return {
    brokerAddrTable: new Map([
      [
        'broker-a',
        {
          cluster: 'c1',
          brokerName: 'broker-a',
          brokerAddrs: new Map([
            [0, '10.0.0.1:10911'],
            [2, '10.0.0.2:10911'],
          ]),
        },
      ],
      ['broker-b', { cluster: 'c2', brokerName: 'broker-b', brokerAddrs: new Map() }],
    ]),
    clusterAddrTable: new Map([
      ['c1', ['broker-a']],
      ['c2', ['broker-b', 'broker-c']],
    ]),
  };
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

// ---------------------------------------------------------------------------------------------
// Seeds from the captured frames, by request code

/** Bodies of the captured requests and responses, keyed by the request code. */
function capturedBodies(): Map<number, { requests: Buffer[]; responses: Buffer[] }> {
  const out = new Map<number, { requests: Buffer[]; responses: Buffer[] }>();
  for (const name of listFixtures()) {
    const { request, response } = loadFixture(name);
    let code: number;
    let requestBody: Buffer | null;
    let compressed = false;
    try {
      const cmd = decodeFrame(request.subarray(4));
      code = cmd.code;
      requestBody = cmd.body;
      compressed = cmd.extFields?.['compressed'] === 'true';
    } catch {
      continue; // the malformed-frame fixtures
    }
    let entry = out.get(code);
    if (entry === undefined) {
      entry = { requests: [], responses: [] };
      out.set(code, entry);
    }
    if (requestBody !== null)
      entry.requests.push(compressed ? inflateSync(requestBody) : requestBody);
    if (response !== null) {
      try {
        const body = decodeFrame(response.subarray(4)).body;
        if (body !== null) entry.responses.push(body);
      } catch {
        // not a decodable response frame: no seed
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function buildDecoders(): BodyDecoder[] {
  const captured = capturedBodies();
  const requestsOf = (code: number): Buffer[] => captured.get(code)?.requests ?? [];
  const responsesOf = (code: number): Buffer[] => captured.get(code)?.responses ?? [];
  const registerCaptures = requestsOf(RequestCode.REGISTER_BROKER);
  // Captured REGISTER_BROKER bodies: JSON ones start with '{', inflated layouts with a length.
  const capturedJson = registerCaptures.filter((b) => b[0] === 0x7b);
  const capturedLayouts = registerCaptures.filter((b) => b[0] !== 0x7b);
  const bodies = registerBodies();
  const layout = (b: RegisterBrokerBody, version: number): Buffer =>
    inflateSync(encodeCompressedRegisterBrokerBody(b, version));
  const jsonSeeds: Buffer[] = [];

  const decoders: BodyDecoder[] = [
    {
      name: 'RegisterBrokerBody (JSON)',
      decode: (b) => decodeRegisterBrokerBody(b, { compressed: false, version: Version.V4_9_7 }),
      reencode: (v) =>
        encodeRegisterBrokerBody(v as RegisterBrokerBody, { version: Version.V4_9_7 }),
      seeds: [
        ...bodies.map((b) => encodeRegisterBrokerBody(b, { version: Version.V4_9_7 })),
        ...bodies.map((b) =>
          encodeRegisterBrokerBody(b, { version: Version.V5_0_0 }, STANDARD_JSON),
        ),
        ...capturedJson,
      ],
    },
    {
      // A new broker's body as the decode thread reads it: the plain reader where it applies,
      // else the general path. Whatever it answers must be the general decoder's answer (a
      // difference throws an untyped error, which fails the run).
      name: 'RegisterBrokerBody (JSON, decoded for a base)',
      decode: (b) => {
        const options = { compressed: false, version: Version.V4_9_7 };
        let want: RegisterBrokerBody | Error;
        try {
          want = decodeRegisterBrokerBody(b, options);
        } catch (err) {
          want = err as Error;
        }
        let got: RegisterBrokerBody;
        try {
          const fresh = decodeRegisterBodyWithBase(b, options, null);
          if (fresh.delta.kind !== 'full') throw new Error('a decode without a base was not full');
          got = fresh.delta.body;
        } catch (err) {
          if (want instanceof Error && (err as Error).message === want.message) throw err;
          throw new Error(`decoded for a base: threw ${String(err)}, the general decoder did not`);
        }
        if (want instanceof Error) {
          throw new Error(`decoded for a base, the general decoder threw ${want.message}`);
        }
        const keys = (v: RegisterBrokerBody): string[] => [
          ...v.topicConfigSerializeWrapper.topicConfigTable.keys(),
        ];
        if (!isDeepStrictEqual(got, want) || !isDeepStrictEqual(keys(got), keys(want))) {
          throw new Error('decoded for a base: not what the general decoder gives');
        }
        return got;
      },
      reencode: (v) =>
        encodeRegisterBrokerBody(v as RegisterBrokerBody, { version: Version.V4_9_7 }),
      seeds: [
        ...bodies.map((b) => encodeRegisterBrokerBody(b, { version: Version.V4_9_7 })),
        ...capturedJson,
      ],
    },
    {
      name: 'RegisterBrokerBody (compressed, 4.9)',
      decode: (b) => decodeRegisterBrokerBody(b, { compressed: true, version: Version.V4_9_7 }),
      reencode: (v) =>
        encodeRegisterBrokerBody(v as RegisterBrokerBody, {
          compressed: true,
          version: Version.V4_9_7,
        }),
      seeds: [...bodies.map((b) => layout(b, Version.V4_9_7)), ...capturedLayouts],
      deflated: true,
    },
    {
      name: 'RegisterBrokerBody (compressed, 5.x mappings)',
      decode: (b) => decodeRegisterBrokerBody(b, { compressed: true, version: Version.V5_0_0 }),
      reencode: (v) =>
        encodeRegisterBrokerBody(v as RegisterBrokerBody, {
          compressed: true,
          version: Version.V5_0_0,
        }),
      seeds: bodies.map((b) => layout(b, Version.V5_0_0)),
      deflated: true,
    },
    {
      name: 'RegisterBrokerBody (pre-3.0.11 wrapper)',
      decode: (b) => decodeRegisterBrokerBody(b, { compressed: false, version: 20 }),
      reencode: (v) => encodeRegisterBrokerBody(v as RegisterBrokerBody, { version: 20 }),
      seeds: bodies.map((b) => encodeRegisterBrokerBody(b, { version: 20 })),
    },
    {
      name: 'TopicConfigSerializeWrapper',
      decode: (b) => decodeTopicConfigSerializeWrapper(b),
      reencode: (v) => encodeTopicConfigSerializeWrapper(v as TopicConfigSerializeWrapper),
      seeds: bodies.flatMap((b) => [
        encodeTopicConfigSerializeWrapper(b.topicConfigSerializeWrapper),
        encodeTopicConfigSerializeWrapper(b.topicConfigSerializeWrapper, STANDARD_JSON),
      ]),
    },
    {
      name: 'compressed topic line',
      decode: (b) => decodeTopicConfigLine(b.toString('utf8')),
      reencode: (v) => encodeTopicConfigLine(v as TopicConfig),
      seeds: [...wrapper(17, true).topicConfigTable.values()].map((tc) =>
        utf8(encodeTopicConfigLine(tc)),
      ),
    },
    {
      name: 'TopicRouteData',
      decode: (b) => decodeTopicRouteData(b),
      reencode: (v) => {
        encodeTopicRouteData(v as TopicRouteData, { standardJson: false });
        encodeTopicRouteData(v as TopicRouteData, { standardJson: true });
      },
      seeds: [
        ...routes().flatMap((r) => [
          encodeTopicRouteData(r, { standardJson: false }),
          encodeTopicRouteData(r, { standardJson: true }),
        ]),
        ...responsesOf(RequestCode.GET_ROUTEINFO_BY_TOPIC),
        ...requestsOf(RequestCode.REGISTER_TOPIC_IN_NAMESRV),
      ],
    },
    {
      name: 'DataVersion',
      decode: (b) => decodeDataVersion(b),
      reencode: (v) => encodeDataVersion(v as ReturnType<typeof decodeDataVersion>),
      seeds: [
        encodeDataVersion({ counter: 0, timestamp: 0 }),
        encodeDataVersion({ counter: 123, timestamp: 1_700_000_000_000, stateVersion: 4 }),
        ...requestsOf(RequestCode.QUERY_DATA_VERSION),
        ...responsesOf(RequestCode.QUERY_DATA_VERSION),
      ],
    },
    {
      name: 'properties',
      decode: (b) => decodePropertiesBody(b),
      reencode: (v) => formatProperties(v as Map<string, string>),
      seeds: [
        utf8(
          formatProperties([
            ['deleteTopicWithBrokerRegistration', 'true'],
            ['key with spaces', 'v=a:b#c!d'],
            ['unicode', '\u00e9\u4e2d\ud83d\ude00'],
          ]),
        ),
        utf8(
          '# comment\n! other\nkey1 = value \\\n  continued\nkey2:v2\r\nkey3\tv3\n\\u0041=\\u00e9\n',
        ),
        ...requestsOf(RequestCode.UPDATE_NAMESRV_CONFIG),
        ...responsesOf(RequestCode.GET_NAMESRV_CONFIG),
      ],
    },
    {
      name: 'KVTable',
      decode: (b) => decodeKVTable(b),
      reencode: (v) => {
        encodeKVTable(v as ReturnType<typeof decodeKVTable>);
        encodeKVTable(v as ReturnType<typeof decodeKVTable>, STANDARD_JSON);
      },
      seeds: [
        encodeKVTable({ table: new Map() }),
        encodeKVTable({
          table: new Map([
            ['TopicA', 'broker-a:4;broker-b:4'],
            ['__proto__', '\u00e9'],
          ]),
        }),
        ...responsesOf(RequestCode.GET_KVLIST_BY_NAMESPACE),
        ...responsesOf(RequestCode.REGISTER_BROKER),
      ],
    },
    {
      name: 'RegisterBrokerResult',
      decode: (b) => decodeRegisterBrokerResult({ masterAddr: '10.0.0.1:10911' }, b),
      seeds: [
        encodeKVTable({ table: new Map([['TopicA', 'broker-a:4']]) }),
        ...responsesOf(RequestCode.REGISTER_BROKER),
      ],
    },
    {
      name: 'ClusterInfo',
      decode: (b) => decodeClusterInfo(b),
      reencode: (v) => {
        encodeClusterInfo(v as ClusterInfo);
        encodeClusterInfo(v as ClusterInfo, STANDARD_JSON);
      },
      seeds: [
        encodeClusterInfo(clusterInfo()),
        encodeClusterInfo(clusterInfo(), STANDARD_JSON),
        encodeClusterInfo({ brokerAddrTable: new Map(), clusterAddrTable: new Map() }),
        ...responsesOf(RequestCode.GET_BROKER_CLUSTER_INFO),
      ],
    },
    {
      name: 'TopicList',
      decode: (b) => decodeTopicList(b),
      reencode: (v) => {
        encodeTopicList(v as ReturnType<typeof decodeTopicList>);
        encodeTopicList(v as ReturnType<typeof decodeTopicList>, STANDARD_JSON);
      },
      seeds: [
        encodeTopicList({ topicList: [] }),
        encodeTopicList({ topicList: ['a', 'b', '%RETRY%g', '\u4e2d'], brokerAddr: '10.0.0.1:1' }),
        ...responsesOf(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
        ...responsesOf(RequestCode.GET_TOPICS_BY_CLUSTER),
        ...responsesOf(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS),
        ...responsesOf(RequestCode.GET_UNIT_TOPIC_LIST),
        ...responsesOf(RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST),
        ...responsesOf(RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST),
      ],
    },
    {
      name: 'GetBrokerMemberGroupResponseBody',
      decode: (b) => decodeGetBrokerMemberGroupResponseBody(b),
      reencode: (v) =>
        encodeGetBrokerMemberGroupResponseBody(
          v as ReturnType<typeof decodeGetBrokerMemberGroupResponseBody>,
        ),
      seeds: [
        encodeGetBrokerMemberGroupResponseBody({
          brokerMemberGroup: {
            cluster: 'c',
            brokerName: 'broker-a',
            brokerAddrs: new Map([
              [0, '10.0.0.1:10911'],
              [1, '10.0.0.2:10911'],
            ]),
          },
        }),
        encodeGetBrokerMemberGroupResponseBody(
          { brokerMemberGroup: { cluster: 'c', brokerName: 'b', brokerAddrs: new Map() } },
          LEGACY_JSON,
        ),
      ],
    },
    {
      name: 'WatchTopicRouteRequestBody',
      decode: (b) => decodeWatchTopicRouteRequestBody(b),
      reencode: (v) =>
        encodeWatchTopicRouteRequestBody(v as ReturnType<typeof decodeWatchTopicRouteRequestBody>),
      seeds: [
        encodeWatchTopicRouteRequestBody({ topics: new Map() }),
        encodeWatchTopicRouteRequestBody({
          topics: new Map([
            ['TopicA', 0],
            ['%RETRY%g', 17],
            ['\u4e2d', 5],
          ]),
        }),
      ],
    },
    {
      name: 'WatchTopicRouteResponseBody',
      decode: (b) => decodeWatchTopicRouteResponseBody(b),
      reencode: (v) => {
        const body = v as ReturnType<typeof decodeWatchTopicRouteResponseBody>;
        encodeWatchTopicRouteResponseBody(body, { standardJson: false });
        encodeWatchTopicRouteResponseBody(body, { standardJson: true });
      },
      seeds: routes().flatMap((route, i) => [
        encodeWatchTopicRouteResponseBody(
          { routes: [{ topic: `T${i}`, version: i + 1, route }], gone: [] },
          { standardJson: false },
        ),
        encodeWatchTopicRouteResponseBody(
          { routes: [], gone: [{ topic: `G${i}`, version: 3 }] },
          { standardJson: true },
        ),
      ]),
    },
    {
      name: 'lenient JSON',
      decode: (b) => parseJsonLenient(b.toString('utf8')),
      seeds: jsonSeeds,
    },
  ];
  // The lenient parser underlies every JSON decoder: it starts from all of their seeds.
  const json = decoders.flatMap((d) =>
    d.deflated === true ? [] : d.seeds.filter((s) => s[0] === 0x7b),
  );
  jsonSeeds.push(...json);
  for (const d of decoders) {
    if (d.seeds.length === 0) throw new Error(`fuzz decoder ${d.name} has no seed`);
  }
  return decoders;
}

export const BODY_DECODERS: readonly BodyDecoder[] = buildDecoders();

/** For the frame fuzz: every decoder, fed each frame body as it is. */
export const BODY_PARSERS: readonly BodyParser[] = BODY_DECODERS.map(
  (d) => (body: Buffer) => d.decode(body),
);
