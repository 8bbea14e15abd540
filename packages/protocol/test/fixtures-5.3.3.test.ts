/**
 * The RocketMQ 5.3.3 captures (fixtures/rocketmq-5.3.3 at the repository root), as the 4.9.7 set
 * is checked by frame.test.ts, fixtures-headers.test.ts and fixtures-bodies.test.ts: every frame
 * decodes and re-encodes byte-equal, every header through its typed codec, every body through its
 * body codec (5.x table orders included).
 */
import { describe, expect, it } from 'vitest';
import {
  bodyCrc32,
  decodeAddWritePermOfBrokerRequestHeader,
  decodeAddWritePermOfBrokerResponseHeader,
  decodeBrokerHeartbeatRequestHeader,
  decodeClusterInfo,
  decodeDataVersion,
  decodeDeleteKVConfigRequestHeader,
  decodeDeleteTopicFromNamesrvRequestHeader,
  decodeFrame,
  decodeGetBrokerMemberGroupRequestHeader,
  decodeGetBrokerMemberGroupResponseBody,
  decodeGetRouteInfoRequestHeader,
  decodeNotifyMinBrokerIdChangeRequestHeader,
  decodePutKVConfigRequestHeader,
  decodeQueryDataVersionRequestHeader,
  decodeQueryDataVersionResponseHeader,
  decodeRegisterBrokerBody,
  decodeRegisterBrokerRequestHeader,
  decodeRegisterBrokerResponseHeader,
  decodeTopicList,
  decodeTopicRouteData,
  decodeUnRegisterBrokerRequestHeader,
  decodeWipeWritePermOfBrokerRequestHeader,
  decodeWipeWritePermOfBrokerResponseHeader,
  encodeAddWritePermOfBrokerRequestHeader,
  encodeAddWritePermOfBrokerResponseHeader,
  encodeBrokerHeartbeatRequestHeader,
  encodeClusterInfo,
  encodeCommand,
  encodeDataVersion,
  encodeDeleteKVConfigRequestHeader,
  encodeDeleteTopicFromNamesrvRequestHeader,
  encodeGetBrokerMemberGroupRequestHeader,
  encodeGetBrokerMemberGroupResponseBody,
  encodeGetRouteInfoRequestHeader,
  encodeNotifyMinBrokerIdChangeRequestHeader,
  encodePutKVConfigRequestHeader,
  encodeQueryDataVersionRequestHeader,
  encodeQueryDataVersionResponseHeader,
  encodeRegisterBrokerBody,
  encodeRegisterBrokerRequestHeader,
  encodeRegisterBrokerResponseHeader,
  encodeTopicList,
  encodeTopicRouteData,
  encodeUnRegisterBrokerRequestHeader,
  encodeWipeWritePermOfBrokerRequestHeader,
  encodeWipeWritePermOfBrokerResponseHeader,
  formatProperties,
  javaStringHashOrder,
  parsePropertiesEntries,
  routeBodyWantsStandardJson,
  Version,
} from '@ns/protocol';
import type { ExtFields } from '@ns/protocol';
import {
  FIXTURE_DIR_5_3_3,
  jsonHeaderOf,
  listFixturesIn,
  loadFixtureIn,
  sliceFrame,
} from './fixtures.js';

const names = listFixturesIn(FIXTURE_DIR_5_3_3);
const load = (name: string) => loadFixtureIn(FIXTURE_DIR_5_3_3, name);

interface Side {
  code: number;
  version: number;
  ext: [string, string][] | null;
  body: Buffer | null;
}

function side(frame: Buffer): Side {
  const h = jsonHeaderOf(frame);
  return {
    code: h.code,
    version: h.version,
    ext: h.extFields === undefined ? null : Object.entries(h.extFields),
    body: sliceFrame(frame).body,
  };
}

function toExt(entries: [string, string][]): ExtFields {
  const o = Object.create(null) as ExtFields;
  for (const [k, v] of entries) o[k] = v;
  return o;
}

describe('5.3.3 frames', () => {
  it('covers all 91 captured frames, every one JSON-serialized and version 479', () => {
    let frames = 0;
    for (const name of names) {
      const { request, response } = load(name);
      for (const frame of response === null ? [request] : [request, response]) {
        frames++;
        expect(sliceFrame(frame).serializeType).toBe(0);
        expect(jsonHeaderOf(frame).version).toBe(Version.V5_3_3);
      }
    }
    expect(frames).toBe(91);
  });

  it.each(names)('%s: decodes and re-encodes byte-equal', (name) => {
    const { request, response } = load(name);
    for (const frame of response === null ? [request] : [request, response]) {
      expect(encodeCommand(decodeFrame(frame.subarray(4)))).toEqual(frame);
    }
  });
});

type Codec = [
  decode: (ext: ExtFields | null) => object,
  encode: (h: any, extra?: Record<string, string>) => ExtFields,
];

const REQUEST_CODECS: Record<number, Codec> = {
  100: [decodePutKVConfigRequestHeader, encodePutKVConfigRequestHeader],
  102: [decodeDeleteKVConfigRequestHeader, encodeDeleteKVConfigRequestHeader],
  103: [decodeRegisterBrokerRequestHeader, encodeRegisterBrokerRequestHeader],
  104: [decodeUnRegisterBrokerRequestHeader, encodeUnRegisterBrokerRequestHeader],
  105: [decodeGetRouteInfoRequestHeader, encodeGetRouteInfoRequestHeader],
  205: [decodeWipeWritePermOfBrokerRequestHeader, encodeWipeWritePermOfBrokerRequestHeader],
  216: [decodeDeleteTopicFromNamesrvRequestHeader, encodeDeleteTopicFromNamesrvRequestHeader],
  322: [decodeQueryDataVersionRequestHeader, encodeQueryDataVersionRequestHeader],
  327: [decodeAddWritePermOfBrokerRequestHeader, encodeAddWritePermOfBrokerRequestHeader],
  901: [decodeGetBrokerMemberGroupRequestHeader, encodeGetBrokerMemberGroupRequestHeader],
  904: [decodeBrokerHeartbeatRequestHeader, encodeBrokerHeartbeatRequestHeader],
  905: [decodeNotifyMinBrokerIdChangeRequestHeader, encodeNotifyMinBrokerIdChangeRequestHeader],
};

const RESPONSE_CODECS: Record<number, Codec> = {
  103: [decodeRegisterBrokerResponseHeader, encodeRegisterBrokerResponseHeader],
  205: [decodeWipeWritePermOfBrokerResponseHeader, encodeWipeWritePermOfBrokerResponseHeader],
  322: [decodeQueryDataVersionResponseHeader, encodeQueryDataVersionResponseHeader],
  327: [decodeAddWritePermOfBrokerResponseHeader, encodeAddWritePermOfBrokerResponseHeader],
};

/**
 * Fields a 5.x sender adds (not part of a header class, so passed to the codec as extras) with `RemotingCommand.addExtField` (ACL signing, the broker's zone
 * hook). When that runs before the header fields are merged in, `addExtField` has created the
 * map as `new HashMap<>(256)` (4.9: a default HashMap), so all fields come out in the hash order
 * of 256 buckets instead of 16.
 */
const ADDED_BY_HOOKS = new Set(['AccessKey', 'Signature', '__ZONE_NAME']);

describe('5.3.3 request headers', () => {
  const withHeader = names.filter((n) => side(load(n).request).ext !== null);

  it('every request with ext fields has a typed codec', () => {
    const codes = new Set(withHeader.map((n) => side(load(n).request).code));
    expect([...codes].filter((c) => REQUEST_CODECS[c] === undefined)).toEqual([]);
  });

  it.each(withHeader)('%s: decode, re-encode in Java HashMap order', (name) => {
    const { request } = load(name);
    const { code, ext } = side(request);
    const [decode, encode] = REQUEST_CODECS[code]!;
    const header = decode(toExt(ext!));
    const extra: Record<string, string> = {};
    for (const [k, v] of ext!) if (ADDED_BY_HOOKS.has(k)) extra[k] = v;
    const again = encode(header, extra);
    if (ext!.some(([k]) => ADDED_BY_HOOKS.has(k))) {
      expect(Object.fromEntries(Object.entries(again))).toEqual(Object.fromEntries(ext!));
      const keys = ext!.map(([k]) => k);
      expect(keys).toEqual(javaStringHashOrder(keys, { capacity: 256 }));
      return;
    }
    expect(Object.entries(again)).toEqual(ext);
    expect(encodeCommand({ ...decodeFrame(request.subarray(4)), extFields: again })).toEqual(
      request,
    );
  });

  it('REGISTER_BROKER 5.x fields: enableActingMaster, heartbeatTimeoutMillis, __ZONE_NAME', () => {
    const acting = decodeRegisterBrokerRequestHeader(
      toExt(side(load('register-broker-acting-master').request).ext!),
    );
    expect(acting).toMatchObject({ enableActingMaster: true, heartbeatTimeoutMillis: 10000 });
    const plain = decodeRegisterBrokerRequestHeader(
      toExt(side(load('register-broker-master').request).ext!),
    );
    expect(plain.enableActingMaster).toBe(false);
    expect(plain.heartbeatTimeoutMillis).toBeUndefined();
    const zone = decodeRegisterBrokerRequestHeader(
      toExt(side(load('register-broker-zone').request).ext!),
    );
    expect(zone.zoneName).toBe('zone-a');
  });

  it('NOTIFY_MIN_BROKER_ID_CHANGE: a master registered, then the master went away', () => {
    const registered = decodeNotifyMinBrokerIdChangeRequestHeader(
      toExt(side(load('notify-min-broker-id-change-master-registered').request).ext!),
    );
    expect(registered).toEqual({
      minBrokerId: 0,
      minBrokerAddr: '127.0.0.1:28934',
      haBrokerAddr: '127.0.0.1:28935',
    });
    const killed = decodeNotifyMinBrokerIdChangeRequestHeader(
      toExt(side(load('notify-min-broker-id-change-master-killed').request).ext!),
    );
    expect(killed).toEqual({
      minBrokerId: 1,
      minBrokerAddr: '127.0.0.2:30740',
      offlineBrokerAddr: '127.0.0.1:28934',
    });
  });
});

describe('5.3.3 response headers', () => {
  const withCodec = names.filter((n) => {
    const { request, response } = load(n);
    return response !== null && RESPONSE_CODECS[side(request).code] !== undefined;
  });

  it.each(withCodec)('%s', (name) => {
    const { request, response } = load(name);
    const res = side(response!);
    const [decode, encode] = RESPONSE_CODECS[side(request).code]!;
    if (res.ext === null) {
      // register-broker-compressed-5x: an exception-made SYSTEM_ERROR without a header class.
      expect(res.code).not.toBe(0);
      return;
    }
    expect(Object.entries(encode(decode(toExt(res.ext))))).toEqual(res.ext);
  });
});

describe('5.3.3 bodies', () => {
  const registrations = names.filter((n) => side(load(n).request).code === 103);

  it.each(registrations)('%s: CRC, decode, re-encode (5.1.4+ broker table order)', (name) => {
    const req = side(load(name).request);
    const ext = Object.fromEntries(req.ext!);
    expect(bodyCrc32(req.body)).toBe(Number(ext['bodyCrc32']));
    // 5.3.3 deflates with compressedRegister=true but still sends compressed=false (the fixture's
    // NameServer then fails to parse it); the body itself is a valid compressed body.
    const compressed = name === 'register-broker-compressed-5x';
    expect(ext['compressed']).toBe('false');
    const decoded = decodeRegisterBrokerBody(req.body, { compressed, version: req.version });
    for (const [topic, tc] of decoded.topicConfigSerializeWrapper.topicConfigTable) {
      expect(tc.topicName).toBe(topic);
    }
    const again = encodeRegisterBrokerBody(decoded, { compressed, version: req.version });
    if (!compressed) expect(again.toString('utf8')).toBe(req.body!.toString('utf8'));
    expect(again).toEqual(req.body);
  });

  it('register-broker-master: 13 topics, stateVersion and the 5.x mapping sections', () => {
    const req = side(load('register-broker-master').request);
    const w = decodeRegisterBrokerBody(req.body, {
      compressed: false,
      version: req.version,
    }).topicConfigSerializeWrapper;
    expect(w.topicConfigTable.size).toBe(13);
    expect(w.dataVersion).toEqual({ counter: 0, stateVersion: 0, timestamp: 1796406731631 });
    expect(w.mappingDataVersion).toEqual({ counter: 0, stateVersion: 0, timestamp: 1796406734300 });
    expect(w.topicConfigTable.get('rmq_sys_SYNC_BROKER_MEMBER_broker-a')?.perm).toBe(1);
  });

  const routes = names.filter((n) => {
    const { request, response } = load(n);
    return side(request).code === 105 && response !== null && side(response).body !== null;
  });

  it.each(routes)('%s: route body in the flavour the request selects', (name) => {
    const { request, response } = load(name);
    const req = side(request);
    const res = side(response!);
    const standard = routeBodyWantsStandardJson(req.version, false);
    const route = decodeTopicRouteData(res.body!);
    for (const bd of route.brokerDatas) expect(bd.enableActingMaster).toBeTypeOf('boolean');
    expect(encodeTopicRouteData(route, { standardJson: standard })).toEqual(res.body);
  });

  it('get-route-acting-master: the slave shown as brokerId 0, perm without the write bit', () => {
    const route = decodeTopicRouteData(side(load('get-route-acting-master').response!).body!);
    expect([...route.brokerDatas[0]!.brokerAddrs]).toEqual([[0, '127.0.0.1:21687']]);
    expect(route.queueDatas[0]!.perm).toBe(4);
  });

  const clusterInfos = names.filter((n) => side(load(n).request).code === 106);

  it.each(clusterInfos)('%s: cluster info with the 5.x table orders', (name) => {
    const res = side(load(name).response!);
    const info = decodeClusterInfo(res.body!);
    for (const bd of info.brokerAddrTable.values()) expect(bd.enableActingMaster).toBeDefined();
    expect(encodeClusterInfo(info, undefined, '5.x')).toEqual(res.body);
  });

  it.each(names.filter((n) => side(load(n).request).code === 206))('%s: TopicList', (name) => {
    const res = side(load(name).response!);
    expect(encodeTopicList(decodeTopicList(res.body!))).toEqual(res.body);
  });

  it.each(names.filter((n) => side(load(n).request).code === 901))(
    '%s: GetBrokerMemberGroupResponseBody',
    (name) => {
      const res = side(load(name).response!);
      expect(
        encodeGetBrokerMemberGroupResponseBody(decodeGetBrokerMemberGroupResponseBody(res.body!)),
      ).toEqual(res.body);
    },
  );

  it('query-data-version: DataVersion with stateVersion, request and response', () => {
    const { request, response } = load('query-data-version');
    for (const body of [side(request).body!, side(response!).body!]) {
      expect(decodeDataVersion(body)).toEqual({
        counter: 0,
        stateVersion: 0,
        timestamp: 1796406845852,
      });
      expect(encodeDataVersion(decodeDataVersion(body))).toEqual(body);
    }
  });

  it('get-namesrv-config: 40 keys sorted by key, as properties text', () => {
    const body = side(load('get-namesrv-config').response!).body!;
    const entries = parsePropertiesEntries(body.toString('latin1'));
    const keys = entries.map((e) => e.key);
    expect(keys).toHaveLength(40);
    expect(keys).toEqual([...keys].sort());
    expect(formatProperties(entries.map((e) => [e.key, e.value] as const))).toBe(
      body.toString('latin1'),
    );
  });
});
