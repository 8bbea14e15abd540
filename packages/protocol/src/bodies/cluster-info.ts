/**
 * `ClusterInfo`: the GET_BROKER_CLUSTER_INFO body, always legacy JSON (§3.3):
 * `{"brokerAddrTable":{name:BrokerData},"clusterAddrTable":{cluster:[names]}}`.
 */
import type { BrokerData, ClusterInfo } from './types.js';
import {
  type JavaMapShape,
  type JsonFlavour,
  LEGACY,
  stringKeyOrder,
  writeStringArray,
  writeStringKeyedMap,
} from '../json/fastjson-writer.js';
import {
  asRecord,
  parseJsonBody,
  readStringKeyedMap,
  stringListValue,
} from '../json/read-fields.js';
import { readBrokerData, writeBrokerData } from './broker-data.js';
import type { JavaLine } from '../java-line.js';
import { javaConcurrentHashMapTableSize } from '../json/java-hash-table.js';

/** Java 4.9.7 RouteInfoManager: `brokerAddrTable = new HashMap<>(128)`. */
export const BROKER_ADDR_TABLE_SHAPE: JavaMapShape = Object.freeze({ initialCapacity: 128 });
/** Java 4.9.7 RouteInfoManager: `clusterAddrTable = new HashMap<>(32)`. */
export const CLUSTER_ADDR_TABLE_SHAPE: JavaMapShape = Object.freeze({ initialCapacity: 32 });

/**
 * The two tables of each NameServer line. 5.x: `new ConcurrentHashMap<>(128)` (256 buckets) and
 * `new ConcurrentHashMap<>(32)` (64 buckets). Each cluster's broker-name set is a default
 * `HashSet` in both.
 */
export const CLUSTER_INFO_SHAPES: Readonly<
  Record<JavaLine, { brokerAddrTable: JavaMapShape; clusterAddrTable: JavaMapShape }>
> = Object.freeze({
  '4.9': { brokerAddrTable: BROKER_ADDR_TABLE_SHAPE, clusterAddrTable: CLUSTER_ADDR_TABLE_SHAPE },
  '5.x': {
    brokerAddrTable: Object.freeze({ concurrentTableSize: javaConcurrentHashMapTableSize(128) }),
    clusterAddrTable: Object.freeze({ concurrentTableSize: javaConcurrentHashMapTableSize(32) }),
  },
});

/**
 * Legacy JSON with Java's iteration orders: the tables in hash order of the Java tables of `line`,
 * and each cluster's broker-name `HashSet` in hash order. Pass the maps and name lists in the
 * order entries were inserted on the Java side (JS insertion order). `nameSetCapacity`: the
 * buckets of a cluster's set when it once held more names than now (Java's never shrinks);
 * without it, the default set grown to the names it holds.
 */
export function writeClusterInfo(
  info: ClusterInfo,
  flavour: JsonFlavour = LEGACY,
  line: JavaLine = '4.9',
  nameSetCapacity?: (cluster: string) => number,
): string {
  const shapes = CLUSTER_INFO_SHAPES[line];
  const writeNames = (names: readonly string[], cluster: string): string =>
    writeStringArray(
      stringKeyOrder(
        names,
        flavour,
        nameSetCapacity === undefined ? {} : { initialCapacity: nameSetCapacity(cluster) },
      ),
      flavour,
    );
  return (
    '{"brokerAddrTable":' +
    writeStringKeyedMap(
      info.brokerAddrTable,
      (bd: BrokerData) => writeBrokerData(bd, flavour),
      flavour,
      shapes.brokerAddrTable,
    ) +
    ',"clusterAddrTable":' +
    writeStringKeyedMap(info.clusterAddrTable, writeNames, flavour, shapes.clusterAddrTable) +
    '}'
  );
}

export function encodeClusterInfo(
  info: ClusterInfo,
  flavour: JsonFlavour = LEGACY,
  line: JavaLine = '4.9',
  nameSetCapacity?: (cluster: string) => number,
): Buffer {
  return Buffer.from(writeClusterInfo(info, flavour, line, nameSetCapacity), 'utf8');
}

export function readClusterInfo(v: unknown, where: string): ClusterInfo {
  const rec = asRecord(v, where);
  const bat = rec['brokerAddrTable'];
  const cat = rec['clusterAddrTable'];
  return {
    brokerAddrTable:
      bat === undefined || bat === null
        ? new Map<string, BrokerData>()
        : readStringKeyedMap(bat, `${where}.brokerAddrTable`, (e, w, k) =>
            readBrokerData(e, `${w}[${JSON.stringify(k)}]`),
          ),
    clusterAddrTable:
      cat === undefined || cat === null
        ? new Map<string, string[]>()
        : readStringKeyedMap(cat, `${where}.clusterAddrTable`, (e, w, k) =>
            stringListValue(e, `${w}[${JSON.stringify(k)}]`),
          ),
  };
}

export function decodeClusterInfo(body: Buffer): ClusterInfo {
  return readClusterInfo(parseJsonBody(body, 'ClusterInfo'), 'ClusterInfo');
}
