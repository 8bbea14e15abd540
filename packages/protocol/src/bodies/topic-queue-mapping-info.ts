/** `TopicQueueMappingInfo` (5.x static topics): passed through, never interpreted (§3.8). */
import type { TopicQueueMappingInfo } from './types.js';
import { type JsonFlavour, writeLongKeyedMap, writeString } from '../json/fastjson-writer.js';
import {
  asRecord,
  intValue,
  readBoolean,
  readInt,
  readLong,
  readLongKeyedMap,
  readOptionalString,
} from '../json/read-fields.js';

export function readTopicQueueMappingInfo(v: unknown, where: string): TopicQueueMappingInfo {
  const rec = asRecord(v, where);
  const info: TopicQueueMappingInfo = {
    topic: readOptionalString(rec, 'topic', where) ?? '',
    // Java: the scope field defaults to "__global__".
    scope: readOptionalString(rec, 'scope', where) ?? '__global__',
    totalQueues: readInt(rec, 'totalQueues', where, 0),
    bname: readOptionalString(rec, 'bname', where) ?? '',
    epoch: readLong(rec, 'epoch', where, 0),
    dirty: readBoolean(rec, 'dirty', where, false),
  };
  const m = rec['currIdMap'];
  if (m !== undefined && m !== null)
    info.currIdMap = readLongKeyedMap(m, `${where}.currIdMap`, intValue);
  return info;
}

/** Sorted properties: bname, currIdMap (Integer keys: bare in legacy JSON), dirty, epoch, scope, topic, totalQueues. */
export function writeTopicQueueMappingInfo(
  info: TopicQueueMappingInfo,
  flavour: JsonFlavour,
): string {
  let out = '{"bname":' + writeString(info.bname, flavour);
  if (info.currIdMap !== undefined) {
    out += ',"currIdMap":' + writeLongKeyedMap(info.currIdMap, String, flavour);
  }
  return (
    out +
    `,"dirty":${info.dirty},"epoch":${info.epoch},"scope":${writeString(info.scope, flavour)}` +
    `,"topic":${writeString(info.topic, flavour)},"totalQueues":${info.totalQueues}}`
  );
}
