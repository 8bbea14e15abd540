/**
 * `TopicList`: `{"brokerAddr":"…","topicList":[…]}`. Java's topicList is a `HashSet<String>`; the
 * list is written in the given order (see `javaStringHashOrder` to reproduce the Java order).
 */
import type { TopicList } from './types.js';
import {
  type JsonFlavour,
  LEGACY,
  writeString,
  writeStringArray,
} from '../json/fastjson-writer.js';
import {
  asRecord,
  parseJsonBody,
  readOptionalString,
  readStringList,
} from '../json/read-fields.js';

export function writeTopicList(list: TopicList, flavour: JsonFlavour = LEGACY): string {
  let out = '{';
  if (list.brokerAddr !== undefined)
    out += '"brokerAddr":' + writeString(list.brokerAddr, flavour) + ',';
  return out + '"topicList":' + writeStringArray(list.topicList, flavour) + '}';
}

export function encodeTopicList(list: TopicList, flavour: JsonFlavour = LEGACY): Buffer {
  return Buffer.from(writeTopicList(list, flavour), 'utf8');
}

export function readTopicList(v: unknown, where: string): TopicList {
  const rec = asRecord(v, where);
  const out: TopicList = { topicList: readStringList(rec, 'topicList', where, []) ?? [] };
  const addr = readOptionalString(rec, 'brokerAddr', where);
  if (addr !== undefined) out.brokerAddr = addr;
  return out;
}

export function decodeTopicList(body: Buffer): TopicList {
  return readTopicList(parseJsonBody(body, 'TopicList'), 'TopicList');
}
