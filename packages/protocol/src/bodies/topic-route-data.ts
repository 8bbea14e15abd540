/**
 * `TopicRouteData`: the GET_ROUTEINFO_BY_TOPIC body (§3.2) and, on 5.x, the
 * REGISTER_TOPIC_IN_NAMESRV body. Encoded in legacy or standard JSON (§3.4); lists are written in
 * the given order (Java builds them from hash tables: the caller orders them).
 */
import type { BrokerData, QueueData, TopicQueueMappingInfo, TopicRouteData } from './types.js';
import { Version } from '../version.js';
import {
  type JsonFlavour,
  LEGACY,
  STANDARD,
  writeString,
  writeStringArray,
  writeStringKeyedMap,
} from '../json/fastjson-writer.js';
import {
  asArray,
  asRecord,
  parseJsonBody,
  readOptionalString,
  readStringKeyedMap,
  stringListValue,
} from '../json/read-fields.js';
import { readBrokerData, writeBrokerData } from './broker-data.js';
import { readQueueData, writeQueueData } from './queue-data.js';
import {
  readTopicQueueMappingInfo,
  writeTopicQueueMappingInfo,
} from './topic-queue-mapping-info.js';

export interface TopicRouteEncodeOptions {
  /** Standard JSON (quoted ids, sorted maps, browser-compatible escaping) instead of legacy. */
  standardJson: boolean;
}

/**
 * §3.4 (4.9.4+ and 5.x): standard JSON when the request version is ≥ V4_9_4 (401) or the request
 * says `acceptStandardJsonOnly=true`; legacy otherwise.
 */
export function routeBodyWantsStandardJson(
  requestVersion: number,
  acceptStandardJsonOnly: boolean,
): boolean {
  return requestVersion >= Version.V4_9_4 || acceptStandardJsonOnly;
}

export function writeTopicRouteData(data: TopicRouteData, flavour: JsonFlavour): string {
  let out = '{"brokerDatas":[';
  const bds = data.brokerDatas;
  for (let i = 0; i < bds.length; i++) {
    if (i > 0) out += ',';
    out += writeBrokerData(bds[i]!, flavour);
  }
  out +=
    '],"filterServerTable":' +
    writeStringKeyedMap(data.filterServerTable, (l) => writeStringArray(l, flavour), flavour);
  if (data.orderTopicConf !== undefined) {
    out += ',"orderTopicConf":' + writeString(data.orderTopicConf, flavour);
  }
  out += ',"queueDatas":[';
  const qds = data.queueDatas;
  for (let i = 0; i < qds.length; i++) {
    if (i > 0) out += ',';
    out += writeQueueData(qds[i]!, flavour);
  }
  out += ']';
  if (data.topicQueueMappingByBroker !== undefined) {
    out +=
      ',"topicQueueMappingByBroker":' +
      writeStringKeyedMap(
        data.topicQueueMappingByBroker,
        (i) => writeTopicQueueMappingInfo(i, flavour),
        flavour,
      );
  }
  return out + '}';
}

export function encodeTopicRouteData(
  data: TopicRouteData,
  options: TopicRouteEncodeOptions,
): Buffer {
  return Buffer.from(writeTopicRouteData(data, options.standardJson ? STANDARD : LEGACY), 'utf8');
}

export function readTopicRouteData(v: unknown, where: string): TopicRouteData {
  const rec = asRecord(v, where);
  const qv = rec['queueDatas'];
  const queueDatas: QueueData[] = [];
  if (qv !== undefined && qv !== null) {
    const arr = asArray(qv, `${where}.queueDatas`);
    for (let i = 0; i < arr.length; i++)
      queueDatas.push(readQueueData(arr[i], `${where}.queueDatas[${i}]`));
  }
  const bv = rec['brokerDatas'];
  const brokerDatas: BrokerData[] = [];
  if (bv !== undefined && bv !== null) {
    const arr = asArray(bv, `${where}.brokerDatas`);
    for (let i = 0; i < arr.length; i++)
      brokerDatas.push(readBrokerData(arr[i], `${where}.brokerDatas[${i}]`));
  }
  const fv = rec['filterServerTable'];
  const data: TopicRouteData = {
    queueDatas,
    brokerDatas,
    filterServerTable:
      fv === undefined || fv === null
        ? new Map<string, string[]>()
        : readStringKeyedMap(fv, `${where}.filterServerTable`, (e, w, k) =>
            stringListValue(e, `${w}[${JSON.stringify(k)}]`),
          ),
  };
  const otc = readOptionalString(rec, 'orderTopicConf', where);
  if (otc !== undefined) data.orderTopicConf = otc;
  const tq = rec['topicQueueMappingByBroker'];
  if (tq !== undefined && tq !== null) {
    data.topicQueueMappingByBroker = readStringKeyedMap(
      tq,
      `${where}.topicQueueMappingByBroker`,
      (e, w, k): TopicQueueMappingInfo =>
        readTopicQueueMappingInfo(e, `${w}[${JSON.stringify(k)}]`),
    );
  }
  return data;
}

/** Decodes either flavour (bare or quoted broker ids). */
export function decodeTopicRouteData(body: Buffer): TopicRouteData {
  return readTopicRouteData(parseJsonBody(body, 'TopicRouteData'), 'TopicRouteData');
}
