/** Every body parser the NameServer and clients run on untrusted bytes. */
import {
  decodeWatchTopicRouteRequestBody,
  decodeWatchTopicRouteResponseBody,
} from '../src/bodies/watch-topic-route.js';
import { parseJsonLenient } from '../src/json/lenient-parse.js';
import type { BodyParser } from './fuzz-harness.js';

export const BODY_PARSERS: readonly BodyParser[] = [
  (body) => parseJsonLenient(body.toString('utf8')),
  (body) => decodeWatchTopicRouteRequestBody(body),
  (body) => decodeWatchTopicRouteResponseBody(body),
];
