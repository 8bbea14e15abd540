/**
 * The benchmark workload: broker identities, topic names, and REGISTER_BROKER / route request
 * frames built with the protocol encoders (the same bytes a 4.9.7 broker or client would send).
 *
 * Topic names are fixed-width so every route request frame has the same length, and opaques are
 * 10-digit numbers written into a fixed slot, so a generator can patch a pre-encoded frame in
 * place instead of re-encoding a header per request.
 */
import {
  bodyCrc32,
  createRequest,
  encodeCommand,
  encodeRegisterBrokerBody,
  RequestCode,
  Version,
} from './ns.js';
import type { TopicConfig, TopicRouteData } from './ns.js';

export interface BrokerSpec {
  clusterName: string;
  brokerName: string;
  brokerAddr: string;
  haServerAddr: string;
  /** 0 = master. */
  brokerId: number;
}

/** Every opaque the harness sends lies in [OPAQUE_BASE, 2^31): always exactly 10 digits. */
export const OPAQUE_BASE = 1_000_000_000;
export const OPAQUE_SPAN = 0x7fffffff - OPAQUE_BASE;

/** `clusters` × `groups` broker groups, each a master (id 0) and optionally a slave (id 1). */
export function benchBrokers(
  clusters: number,
  groups: number,
  withSlaves: boolean,
  tag = 'b',
): BrokerSpec[] {
  const out: BrokerSpec[] = [];
  for (let c = 0; c < clusters; c++) {
    for (let g = 0; g < groups; g++) {
      const brokerName = `${tag}-c${c}-g${g}`;
      const ids = withSlaves ? [0, 1] : [0];
      for (const brokerId of ids) {
        // Declared addresses only: nothing listens there; the NameServer never dials brokers.
        const host = `10.${brokerId}.${c}.${g}`;
        out.push({
          clusterName: `BenchCluster-${c}`,
          brokerName,
          brokerAddr: `${host}:10911`,
          haServerAddr: `${host}:10912`,
          brokerId,
        });
      }
    }
  }
  return out;
}

export function topicNames(prefix: string, n: number): string[] {
  const out: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = `${prefix}-${String(i).padStart(6, '0')}`;
  return out;
}

/**
 * A RegisterBrokerBody JSON (legacy flavour, as a Java broker writes it) for `topics`, each with
 * 4 read and write queues unless `queuesOf(index)` says otherwise (how the harness changes the
 * config of some topics between registrations).
 */
export function registerBody(
  topics: readonly string[],
  counter: number,
  timestamp: number,
  queuesOf?: (index: number) => number,
): Buffer {
  const table = new Map<string, TopicConfig>();
  for (const [i, t] of topics.entries()) {
    const queues = queuesOf?.(i) ?? 4;
    table.set(t, {
      topicName: t,
      readQueueNums: queues,
      writeQueueNums: queues,
      perm: 6,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
    });
  }
  return encodeRegisterBrokerBody(
    {
      topicConfigSerializeWrapper: { dataVersion: { counter, timestamp }, topicConfigTable: table },
      filterServerList: [],
    },
    { version: Version.V4_9_7 },
  );
}

export interface RegisterFrameOptions {
  opaque: number;
  /** 5.x header field; the harness uses it to keep brokers alive or to make them expire fast. */
  heartbeatTimeoutMillis?: number;
}

/** A whole REGISTER_BROKER frame (JSON header, version 407, bodyCrc32 set as a broker does). */
export function registerFrame(
  broker: BrokerSpec,
  body: Buffer,
  options: RegisterFrameOptions,
): Buffer {
  const ext: Record<string, string> = {
    brokerName: broker.brokerName,
    brokerAddr: broker.brokerAddr,
    clusterName: broker.clusterName,
    haServerAddr: broker.haServerAddr,
    brokerId: String(broker.brokerId),
    compressed: 'false',
    bodyCrc32: String(bodyCrc32(body)),
  };
  if (options.heartbeatTimeoutMillis !== undefined) {
    ext['heartbeatTimeoutMillis'] = String(options.heartbeatTimeoutMillis);
  }
  return encodeCommand(
    createRequest({
      code: RequestCode.REGISTER_BROKER,
      opaque: options.opaque,
      extFields: ext,
      body,
      version: Version.V4_9_7,
    }),
  );
}

/** A GET_ROUTEINFO_BY_TOPIC frame (JSON header, version 407) carrying opaque OPAQUE_BASE. */
export function routeRequestFrame(topic: string, opaque = OPAQUE_BASE): Buffer {
  return encodeCommand(
    createRequest({
      code: RequestCode.GET_ROUTEINFO_BY_TOPIC,
      opaque,
      extFields: { topic },
      version: Version.V4_9_7,
    }),
  );
}

const OPAQUE_KEY = Buffer.from('"opaque":', 'latin1');

/** Offset of the first opaque digit in a JSON-header frame (length prefix included). */
export function opaqueDigitsOffset(frame: Buffer): number {
  const headerEnd = 8 + (frame.readUInt32BE(4) & 0xffffff);
  const at = frame.indexOf(OPAQUE_KEY, 8);
  if (at < 0 || at >= headerEnd) throw new Error('frame has no "opaque" in its JSON header');
  return at + OPAQUE_KEY.length;
}

/** Writes a 10-digit opaque into `frame` at `offset` (ASCII digits, no allocation). */
export function patchOpaque(frame: Buffer, offset: number, opaque: number): void {
  let v = opaque;
  for (let i = 9; i >= 0; i--) {
    frame[offset + i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}

/**
 * Reads an integer JSON field (`"key":123`) from a JSON header without parsing the whole
 * header: responses are checked on the generator's hot path, and the generator shares two cores
 * with the server. Returns NaN when absent.
 */
export function readHeaderInt(
  frame: Buffer,
  key: Buffer,
  headerStart: number,
  headerEnd: number,
): number {
  const at = frame.indexOf(key, headerStart);
  if (at < 0 || at >= headerEnd) return NaN;
  let i = at + key.length;
  while (frame[i] === 0x20) i++;
  let neg = false;
  if (frame[i] === 0x2d) {
    neg = true;
    i++;
  }
  let v = 0;
  let digits = 0;
  for (; i < headerEnd; i++) {
    const c = frame[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    digits++;
  }
  if (digits === 0) return NaN;
  return neg ? -v : v;
}

/** The route a node returns for a topic every broker group of `brokers` hosts (4 queues, perm 6). */
export function expectedRoute(brokers: readonly BrokerSpec[]): TopicRouteData {
  const groups = new Map<string, Map<number, string>>();
  for (const b of brokers) {
    const m = groups.get(b.brokerName) ?? new Map<number, string>();
    m.set(b.brokerId, b.brokerAddr);
    groups.set(b.brokerName, m);
  }
  return {
    brokerDatas: [...groups].map(([brokerName, brokerAddrs]) => ({
      cluster: brokers.find((b) => b.brokerName === brokerName)!.clusterName,
      brokerName,
      brokerAddrs,
      // The node answers as Java 5.x by default (compatibilityLine), whose BrokerData has it.
      enableActingMaster: false,
    })),
    queueDatas: [...groups.keys()].map((brokerName) => ({
      brokerName,
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 6,
      topicSysFlag: 0,
    })),
    filterServerTable: new Map(),
  };
}
