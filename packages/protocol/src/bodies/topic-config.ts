/**
 * `TopicConfig`: the JSON object inside a registration's topicConfigTable, and the space-separated
 * line format of compressed registrations (§3.8, §3.9).
 */
import type { TopicConfig, TopicFilterType } from './types.js';
import { BodyDecodeError } from '../errors.js';
import { type JsonFlavour, writeString, writeStringKeyedMap } from '../json/fastjson-writer.js';
import {
  asRecord,
  badField,
  readBoolean,
  readInt,
  readOptionalString,
  readStringKeyedMap,
  stringValue,
} from '../json/read-fields.js';
import { parseJsonLenient } from '../json/lenient-parse.js';

/** Java `TopicConfig` field defaults (a new broker-side topic). */
export const TOPIC_CONFIG_DEFAULTS = {
  readQueueNums: 16,
  writeQueueNums: 16,
  perm: 6,
  topicFilterType: 'SINGLE_TAG',
  topicSysFlag: 0,
  order: false,
} as const;

function readFilterType(v: unknown, where: string): TopicFilterType {
  if (v === undefined || v === null) return 'SINGLE_TAG';
  if (v === 'SINGLE_TAG' || v === 'MULTI_TAG') return v;
  // Java: fastjson also maps an enum ordinal.
  if (v === 0) return 'SINGLE_TAG';
  if (v === 1) return 'MULTI_TAG';
  throw badField(`${where}.topicFilterType`, 'SINGLE_TAG or MULTI_TAG', v);
}

/**
 * Reads one topicConfigTable entry. A missing `topicName` falls back to the table key (Java would
 * keep null and register a topic named null; the key is what the broker meant).
 */
export function readTopicConfig(v: unknown, where: string, key?: string): TopicConfig {
  const rec = asRecord(v, where);
  const topicName = readOptionalString(rec, 'topicName', where) ?? key;
  if (topicName === undefined) throw badField(`${where}.topicName`, 'a string', null);
  const tc: TopicConfig = {
    topicName,
    readQueueNums: readInt(rec, 'readQueueNums', where, TOPIC_CONFIG_DEFAULTS.readQueueNums),
    writeQueueNums: readInt(rec, 'writeQueueNums', where, TOPIC_CONFIG_DEFAULTS.writeQueueNums),
    perm: readInt(rec, 'perm', where, TOPIC_CONFIG_DEFAULTS.perm),
    topicFilterType: readFilterType(rec['topicFilterType'], where),
    // Only QueueData was ever spelled `topicSynFlag`; TopicConfig has always had `topicSysFlag`.
    topicSysFlag: readInt(rec, 'topicSysFlag', where, 0),
    order: readBoolean(rec, 'order', where, false),
  };
  const attrs = rec['attributes'];
  if (attrs !== undefined && attrs !== null) {
    tc.attributes = readStringKeyedMap(attrs, `${where}.attributes`, stringValue);
  }
  return tc;
}

/** TopicConfig JSON, properties sorted: attributes (5.x), order, perm, readQueueNums, … */
export function writeTopicConfig(tc: TopicConfig, flavour: JsonFlavour): string {
  let out = '{';
  if (tc.attributes !== undefined) {
    out +=
      '"attributes":' +
      writeStringKeyedMap(tc.attributes, (s) => writeString(s, flavour), flavour) +
      ',';
  }
  return (
    out +
    `"order":${tc.order},"perm":${tc.perm},"readQueueNums":${tc.readQueueNums},` +
    `"topicFilterType":"${tc.topicFilterType}","topicName":${writeString(tc.topicName, flavour)},` +
    `"topicSysFlag":${tc.topicSysFlag},"writeQueueNums":${tc.writeQueueNums}}`
  );
}

/**
 * `TopicConfig.encode()`: `name read write perm filterType`, plus ` <attributes JSON>` on 5.x when
 * attributes are present. topicSysFlag and order are not carried (Java quirk).
 */
export function encodeTopicConfigLine(tc: TopicConfig): string {
  let line = `${tc.topicName} ${tc.readQueueNums} ${tc.writeQueueNums} ${tc.perm} ${tc.topicFilterType}`;
  if (tc.attributes !== undefined) {
    line +=
      ' ' +
      writeStringKeyedMap(tc.attributes, (s) => writeString(s, { standard: false }), {
        standard: false,
      });
  }
  return line;
}

const LINE_INT = /^-?\d{1,10}$/;

function lineInt(s: string, field: string, line: string): number {
  const n = Number(s);
  if (!LINE_INT.test(s) || (n | 0) !== n) {
    throw new BodyDecodeError(
      `compressed topic line ${JSON.stringify(line)}: ${field} is not an int`,
    );
  }
  return n;
}

/**
 * `TopicConfig.decode(line)`. Java 4.9 requires exactly 5 parts; 5.x accepts a 6th (attributes JSON,
 * ignored when unparsable). We accept both, so 5.x brokers' compressed bodies also decode.
 */
export function decodeTopicConfigLine(line: string): TopicConfig {
  const parts = line.split(' ');
  if (parts.length < 5) {
    throw new BodyDecodeError(
      `compressed topic line ${JSON.stringify(line)}: expected 5 space-separated fields, got ${parts.length}`,
    );
  }
  const filter = parts[4]!;
  if (filter !== 'SINGLE_TAG' && filter !== 'MULTI_TAG') {
    throw new BodyDecodeError(`compressed topic line ${JSON.stringify(line)}: bad topicFilterType`);
  }
  const tc: TopicConfig = {
    topicName: parts[0]!,
    readQueueNums: lineInt(parts[1]!, 'readQueueNums', line),
    writeQueueNums: lineInt(parts[2]!, 'writeQueueNums', line),
    perm: lineInt(parts[3]!, 'perm', line),
    topicFilterType: filter,
    topicSysFlag: 0,
    order: false,
  };
  if (parts.length > 5) {
    try {
      const parsed = parseJsonLenient(parts.slice(5).join(' '));
      tc.attributes = readStringKeyedMap(parsed, 'attributes', stringValue);
    } catch {
      // Java 5.x: attribute parse errors are ignored.
    }
  }
  return tc;
}
