/**
 * Bodies of WATCH_TOPIC_ROUTE (30000, a nameserver-ts extension; see request-code.ts).
 *
 * Request: `{"topics":{"TopicA":0,"TopicB":17}}`: each watched topic with the route version the
 * client holds (0 = none). Keys sorted, as the project's standard JSON writes maps.
 *
 * Response: `{"gone":[{"topic":"X","version":18}],"routes":[{"route":{…},"topic":"T","version":17}]}`
 * (fastjson property order: alphabetical). `routes` are the watched topics whose version is newer
 * than the one held, each with its TopicRouteData exactly as GET_ROUTEINFO_BY_TOPIC would send it
 * (standard or legacy JSON, §3.4); `gone` are watched topics that have no route any more (or never
 * had one) at a version newer than the one held. Both empty = nothing changed within the hold time.
 *
 * The response is assembled from pre-encoded pieces (`watchedRouteEntry`, `goneTopicEntry`,
 * `joinWatchTopicRouteResponse`) so a node can splice a route body it already encoded once into
 * many responses without re-encoding it.
 */
import type { TopicRouteData } from './types.js';
import { BodyDecodeError } from '../errors.js';
import { STANDARD, writeString } from '../json/fastjson-writer.js';
import { asArray, asRecord, badField, parseJsonBody, readLong } from '../json/read-fields.js';
import { encodeTopicRouteData, readTopicRouteData } from './topic-route-data.js';

export interface WatchTopicRouteRequestBody {
  /** topic → the route version the client holds (0 = none). */
  topics: Map<string, number>;
}

export interface WatchedRoute {
  topic: string;
  version: number;
  route: TopicRouteData;
}

export interface GoneTopic {
  topic: string;
  version: number;
}

export interface WatchTopicRouteResponseBody {
  routes: WatchedRoute[];
  gone: GoneTopic[];
}

function checkVersion(v: number, where: string): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`${where}: a version must be an integer 0..2^53-1, got ${v}`);
  }
}

export function encodeWatchTopicRouteRequestBody(body: WatchTopicRouteRequestBody): Buffer {
  const topics = [...body.topics.keys()].sort();
  let out = '{"topics":{';
  for (let i = 0; i < topics.length; i++) {
    const topic = topics[i]!;
    const version = body.topics.get(topic)!;
    checkVersion(version, `topics[${JSON.stringify(topic)}]`);
    if (i > 0) out += ',';
    out += writeString(topic, STANDARD) + ':' + String(version);
  }
  return Buffer.from(out + '}}', 'utf8');
}

/** Rejects empty topic names and versions that are not integers 0..2^53-1, naming the field. */
export function decodeWatchTopicRouteRequestBody(body: Buffer): WatchTopicRouteRequestBody {
  const where = 'WatchTopicRouteRequestBody';
  const rec = asRecord(parseJsonBody(body, where), where);
  const topicsValue = rec['topics'];
  const topicsWhere = `${where}.topics`;
  const table = asRecord(topicsValue, topicsWhere);
  const topics = new Map<string, number>();
  for (const topic of Object.keys(table)) {
    if (topic === '') throw badField(topicsWhere, 'non-empty topic names', '');
    const version = readLong(table, topic, topicsWhere, 0);
    if (version < 0) {
      throw badField(`${topicsWhere}[${JSON.stringify(topic)}]`, 'a version >= 0', version);
    }
    topics.set(topic, version);
  }
  return { topics };
}

/** `{"route":<routeBody>,"topic":"T","version":v}`; `routeBody` is spliced in as is. */
export function watchedRouteEntry(topic: string, version: number, routeBody: Buffer): Buffer {
  checkVersion(version, topic);
  return Buffer.concat([
    Buffer.from('{"route":', 'latin1'),
    routeBody,
    Buffer.from(`,"topic":${writeString(topic, STANDARD)},"version":${version}}`, 'utf8'),
  ]);
}

/** `{"topic":"T","version":v}`. */
export function goneTopicEntry(topic: string, version: number): Buffer {
  checkVersion(version, topic);
  return Buffer.from(`{"topic":${writeString(topic, STANDARD)},"version":${version}}`, 'utf8');
}

const GONE_OPEN = Buffer.from('{"gone":[', 'latin1');
const ROUTES_OPEN = Buffer.from('],"routes":[', 'latin1');
const CLOSE = Buffer.from(']}', 'latin1');
const COMMA = Buffer.from(',', 'latin1');

/** The response body from entries made by `watchedRouteEntry` and `goneTopicEntry`. */
export function joinWatchTopicRouteResponse(
  routes: readonly Buffer[],
  gone: readonly Buffer[],
): Buffer {
  const parts: Buffer[] = [GONE_OPEN];
  for (let i = 0; i < gone.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(gone[i]!);
  }
  parts.push(ROUTES_OPEN);
  for (let i = 0; i < routes.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(routes[i]!);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/** Encodes a whole response from typed data (clients of tests, scripted servers). */
export function encodeWatchTopicRouteResponseBody(
  body: WatchTopicRouteResponseBody,
  options: { standardJson: boolean },
): Buffer {
  return joinWatchTopicRouteResponse(
    body.routes.map((r) =>
      watchedRouteEntry(r.topic, r.version, encodeTopicRouteData(r.route, options)),
    ),
    body.gone.map((g) => goneTopicEntry(g.topic, g.version)),
  );
}

function readTopic(rec: Record<string, unknown>, where: string): string {
  const topic = rec['topic'];
  if (typeof topic !== 'string' || topic === '') throw badField(`${where}.topic`, 'a topic', topic);
  return topic;
}

function readVersion(rec: Record<string, unknown>, where: string): number {
  if (rec['version'] === undefined || rec['version'] === null) {
    throw badField(`${where}.version`, 'a version', rec['version'] ?? null);
  }
  const version = readLong(rec, 'version', where, 0);
  if (version < 0) throw badField(`${where}.version`, 'a version >= 0', version);
  return version;
}

/** Decodes a response body; routes may be in either JSON flavour. */
export function decodeWatchTopicRouteResponseBody(body: Buffer): WatchTopicRouteResponseBody {
  const where = 'WatchTopicRouteResponseBody';
  const rec = asRecord(parseJsonBody(body, where), where);
  const routes: WatchedRoute[] = [];
  const gone: GoneTopic[] = [];
  const routesValue = rec['routes'];
  if (routesValue !== undefined && routesValue !== null) {
    const arr = asArray(routesValue, `${where}.routes`);
    for (let i = 0; i < arr.length; i++) {
      const w = `${where}.routes[${i}]`;
      const entry = asRecord(arr[i], w);
      if (entry['route'] === undefined || entry['route'] === null) {
        throw new BodyDecodeError(`body field ${w}.route: expected a TopicRouteData, got null`);
      }
      routes.push({
        topic: readTopic(entry, w),
        version: readVersion(entry, w),
        route: readTopicRouteData(entry['route'], `${w}.route`),
      });
    }
  }
  const goneValue = rec['gone'];
  if (goneValue !== undefined && goneValue !== null) {
    const arr = asArray(goneValue, `${where}.gone`);
    for (let i = 0; i < arr.length; i++) {
      const w = `${where}.gone[${i}]`;
      const entry = asRecord(arr[i], w);
      gone.push({ topic: readTopic(entry, w), version: readVersion(entry, w) });
    }
  }
  return { routes, gone };
}
