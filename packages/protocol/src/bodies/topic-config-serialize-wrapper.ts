/**
 * `TopicConfigSerializeWrapper` (4.9) / `TopicConfigAndMappingSerializeWrapper` (5.x) JSON.
 * A registration with request version < 37 carries this object as its whole body.
 */
import type { TopicConfig, TopicConfigSerializeWrapper, TopicQueueMappingInfo } from './types.js';
import {
  type JavaMapShape,
  type JsonFlavour,
  LEGACY,
  writeJsonValue,
  writeStringKeyedMap,
} from '../json/fastjson-writer.js';
import { asRecord, parseJsonBody, readStringKeyedMap } from '../json/read-fields.js';
import { Version } from '../version.js';
import { readDataVersion, unstampedDataVersion, writeDataVersion } from './data-version.js';
import { readTopicConfig, writeTopicConfig } from './topic-config.js';
import {
  readTopicQueueMappingInfo,
  writeTopicQueueMappingInfo,
} from './topic-queue-mapping-info.js';

/**
 * The broker's topicConfigTable is `new ConcurrentHashMap<>(1024)`, which sizes its table to
 * tableSizeFor(1024 + 512 + 1) = 2048 buckets (verified against the 4.9.7 registration fixtures).
 * ConcurrentHashMap resizes at size ≥ 0.75·n and may reorder a bucket's chain while transferring;
 * neither matters below 1536 topics.
 */
export const TOPIC_CONFIG_TABLE_SHAPE: JavaMapShape = Object.freeze({ initialCapacity: 2048 });

/**
 * The table a 5.1.4+ broker registers (verified against the 5.3.3 registration fixtures):
 * `registerBrokerAll` copies its topic table, entry by entry in that table's order, into a fresh
 * `new ConcurrentHashMap<>()` (16 buckets, growing), and registers the copy.
 */
export const TOPIC_CONFIG_TABLE_SHAPE_5_1_4: JavaMapShape = Object.freeze({
  concurrentTableSize: 16,
  filledFrom: TOPIC_CONFIG_TABLE_SHAPE,
});

/**
 * The shape of the topicConfigTable a broker of request version `version` registers. (A split
 * registration reuses one cleared map for every chunk; a chunk after one of 12 or more topics is
 * put into the grown table, which this shape does not model.)
 */
export function topicConfigTableShape(version: number): JavaMapShape {
  return version >= Version.V5_1_4 ? TOPIC_CONFIG_TABLE_SHAPE_5_1_4 : TOPIC_CONFIG_TABLE_SHAPE;
}

export function readTopicConfigSerializeWrapper(
  v: unknown,
  where: string,
): TopicConfigSerializeWrapper {
  const rec = asRecord(v, where);
  const dv = rec['dataVersion'];
  const table = rec['topicConfigTable'];
  const tableWhere = `${where}.topicConfigTable`;
  const out: TopicConfigSerializeWrapper = {
    // Java: a missing DataVersion is a fresh one, stamped with the receiver's clock.
    dataVersion:
      dv === undefined || dv === null
        ? unstampedDataVersion()
        : readDataVersion(dv, `${where}.dataVersion`),
    topicConfigTable:
      table === undefined || table === null
        ? new Map<string, TopicConfig>()
        : readStringKeyedMap(table, tableWhere, (e, w, k) =>
            readTopicConfig(e, `${w}[${JSON.stringify(k)}]`, k),
          ),
  };
  const mdv = rec['mappingDataVersion'];
  if (mdv !== undefined && mdv !== null) {
    out.mappingDataVersion = readDataVersion(mdv, `${where}.mappingDataVersion`);
  }
  const infos = rec['topicQueueMappingInfoMap'];
  if (infos !== undefined && infos !== null) {
    out.topicQueueMappingInfoMap = readStringKeyedMap(
      infos,
      `${where}.topicQueueMappingInfoMap`,
      (e, w, k): TopicQueueMappingInfo =>
        readTopicQueueMappingInfo(e, `${w}[${JSON.stringify(k)}]`),
    );
  }
  const details = rec['topicQueueMappingDetailMap'];
  if (details !== undefined && details !== null) {
    out.topicQueueMappingDetailMap = readStringKeyedMap(
      details,
      `${where}.topicQueueMappingDetailMap`,
      (e) => e,
    );
  }
  return out;
}

/**
 * JSON of the wrapper; properties sorted, 5.x sections only when present. `tableShape`: how the
 * sender built its topicConfigTable (`topicConfigTableShape(version)`; default: a 4.x broker's).
 */
export function writeTopicConfigSerializeWrapper(
  w: TopicConfigSerializeWrapper,
  flavour: JsonFlavour = LEGACY,
  tableShape: JavaMapShape = TOPIC_CONFIG_TABLE_SHAPE,
): string {
  let out = '{"dataVersion":' + writeDataVersion(w.dataVersion);
  if (w.mappingDataVersion !== undefined) {
    out += ',"mappingDataVersion":' + writeDataVersion(w.mappingDataVersion);
  }
  out +=
    ',"topicConfigTable":' +
    writeStringKeyedMap(
      w.topicConfigTable,
      (tc) => writeTopicConfig(tc, flavour),
      flavour,
      tableShape,
    );
  if (w.topicQueueMappingDetailMap !== undefined) {
    out +=
      ',"topicQueueMappingDetailMap":' +
      writeStringKeyedMap(w.topicQueueMappingDetailMap, (d) => writeJsonValue(d, flavour), flavour);
  }
  if (w.topicQueueMappingInfoMap !== undefined) {
    out +=
      ',"topicQueueMappingInfoMap":' +
      writeStringKeyedMap(
        w.topicQueueMappingInfoMap,
        (i) => writeTopicQueueMappingInfo(i, flavour),
        flavour,
      );
  }
  return out + '}';
}

export function encodeTopicConfigSerializeWrapper(
  w: TopicConfigSerializeWrapper,
  flavour: JsonFlavour = LEGACY,
): Buffer {
  return Buffer.from(writeTopicConfigSerializeWrapper(w, flavour), 'utf8');
}

export function decodeTopicConfigSerializeWrapper(body: Buffer): TopicConfigSerializeWrapper {
  return readTopicConfigSerializeWrapper(
    parseJsonBody(body, 'TopicConfigSerializeWrapper'),
    'topicConfigSerializeWrapper',
  );
}
