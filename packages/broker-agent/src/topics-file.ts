/**
 * Topic tables from files, for the CLI (and embedders that keep topics in a file).
 *
 * JSON (`*.json`), any of:
 * - the broker's own store file `config/topics.json`: `{"dataVersion":{…},"topicConfigTable":{name: TopicConfig}}`
 *   (its DataVersion is used too, so the NameServers see the broker's real version);
 * - an object `{ name: { readQueueNums, writeQueueNums, perm, … } }`;
 * - an array `[{ "topicName": …, … }]`.
 *
 * Java properties (`*.properties`), one topic per line:
 *   `<topicName>=<queues>` or `<topicName>=<readQueueNums>,<writeQueueNums>[,<perm>]`
 * (an empty value takes the defaults: 16 queues, perm 6).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseProperties } from '@ns/protocol';
import type { DataVersion, TopicConfig } from '@ns/protocol';
import { TopicsFileError } from './errors.js';
import type { TopicConfigInput } from './topic-config-input.js';
import { toTopicTable } from './topic-config-input.js';
import { checkDataVersion } from './options.js';

export interface TopicsFile {
  readonly topics: Map<string, TopicConfig>;
  /** Present when the file carried one (a broker's topics.json). */
  readonly dataVersion: DataVersion | undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function wrap<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TopicsFileError) throw err;
    throw new TopicsFileError(path, (err as Error).message, { cause: err });
  }
}

function readDataVersion(path: string, v: unknown): DataVersion | undefined {
  if (v === undefined || v === null) return undefined;
  return checkDataVersion('dataVersion', v);
}

function oneLine(message: string): string {
  return message.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** Parses JSON topics text (see the module comment). */
export function parseTopicsJson(path: string, text: string): TopicsFile {
  const doc: unknown = wrap(path, () => {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      // V8 quotes a short text whole, line breaks included: kept on one line.
      throw new TopicsFileError(path, oneLine((err as Error).message), { cause: err });
    }
  });
  return wrap(path, () => {
    if (Array.isArray(doc)) {
      return { topics: toTopicTable(doc as TopicConfigInput[]), dataVersion: undefined };
    }
    if (!isRecord(doc)) throw new TopicsFileError(path, 'expected a JSON object or array');
    if ('topicConfigTable' in doc) {
      const table = doc['topicConfigTable'];
      if (!isRecord(table)) throw new TopicsFileError(path, 'topicConfigTable must be an object');
      return {
        topics: toTopicTable(table as Record<string, TopicConfigInput>),
        dataVersion: readDataVersion(path, doc['dataVersion']),
      };
    }
    return {
      topics: toTopicTable(doc as Record<string, TopicConfigInput>),
      dataVersion: undefined,
    };
  });
}

/** One number of a line; its range is checked with the JSON forms' (toTopicConfig). */
function lineNumber(path: string, topic: string, field: string, text: string): number {
  if (!/^\d{1,10}$/.test(text.trim())) {
    throw new TopicsFileError(
      path,
      `topic ${JSON.stringify(topic)}: ${field}: expected a non-negative integer, got ${JSON.stringify(text)}`,
    );
  }
  return Number(text.trim());
}

/** Parses properties topics text (see the module comment). */
export function parseTopicsProperties(path: string, text: string): TopicsFile {
  const inputs: TopicConfigInput[] = [];
  for (const [topicName, value] of wrap(path, () => parseProperties(text))) {
    const parts = value.trim() === '' ? [] : value.split(',');
    if (parts.length > 3) {
      throw new TopicsFileError(
        path,
        `topic ${topicName}: expected <queues> or <read>,<write>[,<perm>], got ${JSON.stringify(value)}`,
      );
    }
    const fields = parts.length === 1 ? ['queues'] : ['readQueueNums', 'writeQueueNums', 'perm'];
    const [read, write, perm] = parts.map((p, i) => lineNumber(path, topicName, fields[i]!, p));
    inputs.push({
      topicName,
      ...(read === undefined ? {} : { readQueueNums: read, writeQueueNums: write ?? read }),
      ...(perm === undefined ? {} : { perm }),
    });
  }
  return { topics: wrap(path, () => toTopicTable(inputs)), dataVersion: undefined };
}

/** The formats readTopicsFile takes, for the message about a file read as JSON by default. */
const ACCEPTED_FORMATS =
  'accepted: a broker topics.json, a JSON object {"<topic>":{…}} or array [{"topicName":…}], ' +
  'or a .properties file of <topic>=<queues> lines';

/**
 * Reads a topics file; the format follows the extension (`.properties`, else JSON). A file named
 * neither `.json` nor `.properties` (topics.txt) that is not valid JSON gets an error saying it was
 * read as JSON and which formats are accepted: "Unexpected token" alone did not say why.
 */
export async function readTopicsFile(path: string): Promise<TopicsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TopicsFileError(path, `cannot read (${(err as Error).message})`, { cause: err });
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.properties') return parseTopicsProperties(path, text);
  if (ext === '.json') return parseTopicsJson(path, text);
  try {
    return parseTopicsJson(path, text);
  } catch (err) {
    if (!(err instanceof TopicsFileError)) throw err;
    // Its message starts with the path already.
    const detail = err.message.startsWith(`${path}: `)
      ? err.message.slice(path.length + 2)
      : err.message;
    throw new TopicsFileError(
      path,
      `read as JSON (only a name ending in .properties is read as properties lines): ${detail}; ${ACCEPTED_FORMATS}`,
      { cause: err },
    );
  }
}
