/**
 * What callers give the agent for a topic, and how it becomes a wire `TopicConfig`. Missing fields
 * take the Java broker's defaults for a topic created without options (TopicConfig constructor:
 * 16 read / 16 write queues, perm READ|WRITE, SINGLE_TAG, no sys flag, not ordered).
 */
import { InvalidOptionError } from '@ns/client';
import { Perm } from '@ns/protocol';
import type { TopicConfig, TopicFilterType } from '@ns/protocol';

export interface TopicConfigInput {
  readonly topicName: string;
  readonly readQueueNums?: number;
  readonly writeQueueNums?: number;
  readonly perm?: number;
  readonly topicFilterType?: TopicFilterType;
  readonly topicSysFlag?: number;
  readonly order?: boolean;
  /** 5.x topic attributes; only written when given. */
  readonly attributes?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

/** Java: TopicConfig.defaultReadQueueNums / defaultWriteQueueNums. */
export const DEFAULT_TOPIC_QUEUE_NUMS = 16;

/** A topic table as accepted by the agent: a list, or a map keyed by topic name. */
export type TopicTableInput =
  | Iterable<TopicConfigInput>
  | ReadonlyMap<string, TopicConfigInput>
  | Readonly<Record<string, Omit<TopicConfigInput, 'topicName'> & { topicName?: string }>>;

/** A topic field refused: what was expected, and what was found as JSON (`"8"` is a string). */
function fieldError(topic: string, field: string, expected: string, found: unknown) {
  return new InvalidOptionError(
    'topics',
    `topic ${JSON.stringify(topic)}: ${field}: expected ${expected}, got ${JSON.stringify(found) ?? String(found)}`,
  );
}

function intField(
  topic: string,
  name: string,
  value: unknown,
  dflt: number,
  max = 0x7fffffff,
): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw fieldError(topic, name, `an integer in 0..${max}`, value);
  }
  return value;
}

/**
 * Highest topic perm accepted: READ | WRITE | INHERIT. The NameServer stores any int, as Java's
 * does, but a topic's permission is made of those three bits (mqadmin updateTopic offers 2, 4 and
 * 6); PRIORITY (8) and higher bits mean nothing on a topic to the NameServer or to clients, so a
 * value with them is a typo (99 for 6) rather than a setting.
 */
const MAX_TOPIC_PERM = Perm.READ | Perm.WRITE | Perm.INHERIT;

/**
 * Java TopicValidator: 1..127 of `%|a-zA-Z0-9_-`. A Java broker cannot create any other name, and
 * some never reach a NameServer intact (a space splits a line of the compressed body).
 */
const TOPIC_NAME = /^[%|a-zA-Z0-9_-]{1,127}$/;

/** Validates one input and fills the defaults. */
export function toTopicConfig(input: TopicConfigInput): TopicConfig {
  const name = input.topicName;
  if (typeof name !== 'string' || !TOPIC_NAME.test(name)) {
    throw new InvalidOptionError(
      'topics',
      `topicName must be 1..127 of the characters %|a-zA-Z0-9_- (Java TopicValidator), got ${JSON.stringify(name)}`,
    );
  }
  if (input.order !== undefined && typeof input.order !== 'boolean') {
    throw fieldError(name, 'order', 'true or false', input.order);
  }
  const filter = input.topicFilterType ?? 'SINGLE_TAG';
  if (filter !== 'SINGLE_TAG' && filter !== 'MULTI_TAG') {
    throw fieldError(name, 'topicFilterType', 'SINGLE_TAG or MULTI_TAG', filter);
  }
  const tc: TopicConfig = {
    topicName: name,
    readQueueNums: intField(name, 'readQueueNums', input.readQueueNums, DEFAULT_TOPIC_QUEUE_NUMS),
    writeQueueNums: intField(
      name,
      'writeQueueNums',
      input.writeQueueNums,
      DEFAULT_TOPIC_QUEUE_NUMS,
    ),
    perm: intField(name, 'perm', input.perm, Perm.READ | Perm.WRITE, MAX_TOPIC_PERM),
    topicFilterType: filter,
    topicSysFlag: intField(name, 'topicSysFlag', input.topicSysFlag, 0),
    order: input.order ?? false,
  };
  if (input.attributes !== undefined) {
    const attrs: unknown = input.attributes;
    const entries = isReadonlyMap<unknown, unknown>(attrs)
      ? [...attrs]
      : isPlainObject(attrs)
        ? Object.entries(attrs)
        : null;
    if (
      entries === null ||
      entries.some(([k, v]) => typeof k !== 'string' || typeof v !== 'string')
    ) {
      throw fieldError(name, 'attributes', 'an object of string values', attrs);
    }
    tc.attributes = new Map(entries as [string, string][]);
  }
  return tc;
}

function isReadonlyMap<K, V>(value: unknown): value is ReadonlyMap<K, V> {
  return value instanceof Map;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One entry of a table must be an object: `{"T": null}` failed on reading a property of null. */
function settings(where: string, value: unknown): Record<string, unknown> {
  if (!isPlainObject(value) || value instanceof Map) {
    throw new InvalidOptionError(
      'topics',
      `${where}: expected an object of topic settings (readQueueNums, writeQueueNums, perm, …), got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return value;
}

function isIterable(value: unknown): value is Iterable<TopicConfigInput> {
  return typeof value === 'object' && value !== null && Symbol.iterator in value;
}

/** Builds the table (topic name → config). A later duplicate name replaces an earlier one. */
export function toTopicTable(input: TopicTableInput): Map<string, TopicConfig> {
  const table = new Map<string, TopicConfig>();
  if (isReadonlyMap<string, TopicConfigInput>(input)) {
    for (const [key, value] of input) {
      const tc = toTopicConfig({
        ...(settings(`topic ${JSON.stringify(key)}`, value) as Partial<TopicConfigInput>),
        topicName: value.topicName,
      });
      if (tc.topicName !== key) {
        throw new InvalidOptionError(
          'topics',
          `topic table key ${JSON.stringify(key)} differs from its topicName ${JSON.stringify(tc.topicName)}`,
        );
      }
      table.set(key, tc);
    }
    return table;
  }
  if (isIterable(input)) {
    let i = 0;
    for (const value of input) {
      const tc = toTopicConfig(settings(`topics[${i++}]`, value) as unknown as TopicConfigInput);
      table.set(tc.topicName, tc);
    }
    return table;
  }
  for (const [key, value] of Object.entries(input)) {
    const given = settings(`topic ${JSON.stringify(key)}`, value);
    const tc = toTopicConfig({
      ...(given as Partial<TopicConfigInput>),
      topicName: (given['topicName'] as string | undefined) ?? key,
    });
    if (tc.topicName !== key) {
      throw new InvalidOptionError(
        'topics',
        `topic table key ${JSON.stringify(key)} differs from its topicName ${JSON.stringify(tc.topicName)}`,
      );
    }
    table.set(key, tc);
  }
  return table;
}

/** Field-by-field equality (what the NameServer would store for it). */
export function sameTopicConfig(a: TopicConfig, b: TopicConfig): boolean {
  if (
    a.topicName !== b.topicName ||
    a.readQueueNums !== b.readQueueNums ||
    a.writeQueueNums !== b.writeQueueNums ||
    a.perm !== b.perm ||
    a.topicFilterType !== b.topicFilterType ||
    a.topicSysFlag !== b.topicSysFlag ||
    a.order !== b.order
  ) {
    return false;
  }
  const x = a.attributes ?? new Map<string, string>();
  const y = b.attributes ?? new Map<string, string>();
  if (x.size !== y.size) return false;
  for (const [k, v] of x) if (y.get(k) !== v) return false;
  return true;
}
