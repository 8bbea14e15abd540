/**
 * The route digest: a small summary of one NameServer node's route table that two nodes holding
 * the same brokers produce identically. Nodes never talk to each other, so a broker partitioned
 * from one node (or an admin write sent to one node only) silently gives clients different views;
 * comparing digests finds it.
 *
 * It covers what every node should agree on: cluster membership, each broker group's addresses,
 * each live broker's DataVersion, and per broker name the count and a hash of its topics' queue
 * settings. It leaves out what legitimately differs between nodes: heartbeat ages, connection ids,
 * registration times.
 *
 * Served as JSON by the node's HTTP admin port (`GET /digest`, `GET /digest/topics?brokerName=`);
 * this module holds the shapes and their validation, pure and I/O-free.
 */

/** Bumped when the hashing or the shape changes; digests of different formats are not compared. */
export const ROUTE_DIGEST_FORMAT = 1;

export interface DigestDataVersion {
  readonly counter: number;
  readonly timestamp: number;
}

/** One live broker process (Java BrokerLiveInfo), keyed like the node keys it: cluster + address. */
export interface DigestBroker {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly dataVersion: DigestDataVersion;
}

/** One broker name (Java BrokerData) and a summary of the topics it serves. */
export interface DigestBrokerGroup {
  readonly brokerName: string;
  readonly cluster: string;
  /** brokerId → address, ids as decimal strings (standard JSON). */
  readonly brokerAddrs: Readonly<Record<string, string>>;
  readonly topicCount: number;
  /** 8 hex digits: order-independent hash of (topic, read/write queues, perm, sysFlag). */
  readonly topicsHash: string;
}

export interface DigestCluster {
  readonly clusterName: string;
  /** Sorted. */
  readonly brokerNames: readonly string[];
}

export interface RouteDigest {
  readonly format: number;
  /** 8 hex digits over everything below: equal digests mean equal route state. */
  readonly digest: string;
  readonly topicCount: number;
  /** Sorted by name. */
  readonly clusters: readonly DigestCluster[];
  /** Sorted by broker name. */
  readonly brokerGroups: readonly DigestBrokerGroup[];
  /** Sorted by cluster, broker name, id, address. */
  readonly brokers: readonly DigestBroker[];
}

/** One topic's queue settings on one broker name. */
export interface DigestTopicQueue {
  readonly topic: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
}

/** `GET /digest/topics?brokerName=`: the detail behind one group's topicsHash. */
export interface DigestTopics {
  readonly format: number;
  readonly brokerName: string;
  /** Sorted by topic. */
  readonly topics: readonly DigestTopicQueue[];
}

export class DigestFormatError extends Error {
  override name = 'DigestFormatError';
}

type Json = Readonly<Record<string, unknown>>;

function fail(from: string, path: string, expected: string, got: unknown): never {
  throw new DigestFormatError(`${from}: ${path}: expected ${expected}, got ${preview(got)}`);
}

/** A short view of what a peer sent; never throws (a deeply nested value overflows stringify). */
function preview(got: unknown): string {
  if (got === undefined) return 'nothing';
  try {
    return JSON.stringify(got)?.slice(0, 60) ?? typeof got;
  } catch {
    return Array.isArray(got) ? 'an array nested too deep to show' : 'a value too deep to show';
  }
}

function obj(v: unknown, from: string, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(from, path, 'an object', v);
  return v as Json;
}

function arr(v: unknown, from: string, path: string): readonly unknown[] {
  if (!Array.isArray(v)) fail(from, path, 'an array', v);
  return v;
}

function str(o: Json, key: string, from: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(from, `${path}.${key}`, 'a string', v);
  return v;
}

function int(o: Json, key: string, from: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    fail(from, `${path}.${key}`, 'an integer', v);
  }
  return v;
}

function hex8(o: Json, key: string, from: string, path: string): string {
  const v = str(o, key, from, path);
  if (!/^[0-9a-f]{8}$/.test(v)) fail(from, `${path}.${key}`, '8 lowercase hex digits', v);
  return v;
}

function checkFormat(o: Json, from: string): number {
  const format = int(o, 'format', from, 'digest');
  if (format !== ROUTE_DIGEST_FORMAT) {
    throw new DigestFormatError(
      `${from}: digest format ${format}, this tool reads format ${ROUTE_DIGEST_FORMAT} (upgrade the older side)`,
    );
  }
  return format;
}

/**
 * Validates a parsed `GET /digest` body. `from` names the node in error messages. Throws
 * DigestFormatError naming the first field that is wrong.
 */
export function parseRouteDigest(value: unknown, from: string): RouteDigest {
  const o = obj(value, from, 'digest');
  const format = checkFormat(o, from);
  const clusters = arr(o.clusters, from, 'clusters').map((c, i): DigestCluster => {
    const p = `clusters[${i}]`;
    const co = obj(c, from, p);
    return {
      clusterName: str(co, 'clusterName', from, p),
      brokerNames: arr(co.brokerNames, from, `${p}.brokerNames`).map((n, j) =>
        typeof n === 'string' ? n : fail(from, `${p}.brokerNames[${j}]`, 'a string', n),
      ),
    };
  });
  const brokerGroups = arr(o.brokerGroups, from, 'brokerGroups').map((g, i): DigestBrokerGroup => {
    const p = `brokerGroups[${i}]`;
    const go = obj(g, from, p);
    const addrs = obj(go.brokerAddrs, from, `${p}.brokerAddrs`);
    const brokerAddrs: Record<string, string> = {};
    for (const [id, addr] of Object.entries(addrs)) {
      if (typeof addr !== 'string') fail(from, `${p}.brokerAddrs.${id}`, 'a string', addr);
      Object.defineProperty(brokerAddrs, id, { value: addr, enumerable: true });
    }
    return {
      brokerName: str(go, 'brokerName', from, p),
      cluster: str(go, 'cluster', from, p),
      brokerAddrs,
      topicCount: int(go, 'topicCount', from, p),
      topicsHash: hex8(go, 'topicsHash', from, p),
    };
  });
  const brokers = arr(o.brokers, from, 'brokers').map((b, i): DigestBroker => {
    const p = `brokers[${i}]`;
    const bo = obj(b, from, p);
    const dv = obj(bo.dataVersion, from, `${p}.dataVersion`);
    return {
      clusterName: str(bo, 'clusterName', from, p),
      brokerName: str(bo, 'brokerName', from, p),
      brokerId: int(bo, 'brokerId', from, p),
      brokerAddr: str(bo, 'brokerAddr', from, p),
      dataVersion: {
        counter: int(dv, 'counter', from, `${p}.dataVersion`),
        timestamp: int(dv, 'timestamp', from, `${p}.dataVersion`),
      },
    };
  });
  return {
    format,
    digest: hex8(o, 'digest', from, 'digest'),
    topicCount: int(o, 'topicCount', from, 'digest'),
    clusters,
    brokerGroups,
    brokers,
  };
}

/** Validates a parsed `GET /digest/topics?brokerName=` body. */
export function parseDigestTopics(value: unknown, from: string): DigestTopics {
  const o = obj(value, from, 'topics');
  const format = checkFormat(o, from);
  return {
    format,
    brokerName: str(o, 'brokerName', from, 'topics'),
    topics: arr(o.topics, from, 'topics.topics').map((t, i): DigestTopicQueue => {
      const p = `topics[${i}]`;
      const to = obj(t, from, p);
      return {
        topic: str(to, 'topic', from, p),
        readQueueNums: int(to, 'readQueueNums', from, p),
        writeQueueNums: int(to, 'writeQueueNums', from, p),
        perm: int(to, 'perm', from, p),
        topicSysFlag: int(to, 'topicSysFlag', from, p),
      };
    }),
  };
}
