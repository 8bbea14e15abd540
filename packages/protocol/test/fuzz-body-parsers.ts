/** Every body parser the NameServer and clients run on untrusted bytes. */
import { parseJsonLenient } from '../src/json/lenient-parse.js';
import type { BodyParser } from './fuzz-harness.js';

export const BODY_PARSERS: readonly BodyParser[] = [
  (body) => parseJsonLenient(body.toString('utf8')),
];
