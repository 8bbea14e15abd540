/**
 * Loader for the wire captures of real RocketMQ NameServers kept in `<repo>/fixtures/` (see each
 * set's README.md). Frames are whole frames, 4-byte length prefix included. Every path is computed
 * from this file's location, so a fresh clone finds them wherever it lives; no test reads outside
 * the repository.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The capture sets under `<repo>/fixtures/`, one per RocketMQ release. */
export type FixtureSet = 'rocketmq-4.9.7' | 'rocketmq-5.3.3';

/** `<repo>/fixtures/<set>/` (trailing slash included). */
export function fixtureSetDir(set: FixtureSet): string {
  return fileURLToPath(new URL(`../../../fixtures/${set}/`, import.meta.url));
}

/** `<repo>/fixtures/rocketmq-4.9.7/`: the set most tests compare against. */
export const FIXTURE_DIR = fixtureSetDir('rocketmq-4.9.7');

/** `<repo>/fixtures/rocketmq-4.9.7/recordings/`: whole sessions, one JSON object per line. */
export const RECORDINGS_DIR = `${FIXTURE_DIR}recordings/`;

function readHex(path: string): Buffer {
  const text = readFileSync(path, 'utf8').trim();
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new Error(`not lowercase hex: ${path}`);
  return Buffer.from(text, 'hex');
}

/** Fixture names (`get-route`, `register-broker-master`, …), sorted. */
export function listFixtures(set: FixtureSet = 'rocketmq-4.9.7'): string[] {
  return readdirSync(fixtureSetDir(set))
    .filter((f) => f.endsWith('.request.hex'))
    .map((f) => f.slice(0, -'.request.hex'.length))
    .sort();
}

/** Both frames of a fixture; `response` is null when the NameServer answered nothing. */
export function loadFixture(
  name: string,
  set: FixtureSet = 'rocketmq-4.9.7',
): { request: Buffer; response: Buffer | null } {
  const base = fixtureSetDir(set) + name;
  const responsePath = `${base}.response.hex`;
  return {
    request: readHex(`${base}.request.hex`),
    response: existsSync(responsePath) ? readHex(responsePath) : null,
  };
}

/** A frame cut without the frame layer: serialize type, raw header bytes and body (null if empty). */
export interface SlicedFrame {
  serializeType: number;
  header: Buffer;
  body: Buffer | null;
}

/** Cuts a whole frame (length prefix included): header length = low 24 bits of bytes 4..7. */
export function sliceFrame(frame: Buffer): SlicedFrame {
  const total = frame.readInt32BE(0);
  if (total + 4 !== frame.length) throw new Error(`length prefix ${total} != ${frame.length - 4}`);
  const word = frame.readUInt32BE(4);
  const headerLength = word & 0xffffff;
  const header = frame.subarray(8, 8 + headerLength);
  const body = frame.subarray(8 + headerLength);
  return { serializeType: word >>> 24, header, body: body.length === 0 ? null : body };
}

/** Ext fields of a JSON-header frame, in wire order (JSON.parse keeps string-key order). */
export function jsonHeaderOf(frame: Buffer): {
  code: number;
  version: number;
  extFields?: Record<string, string>;
} {
  const { serializeType, header } = sliceFrame(frame);
  if (serializeType !== 0) throw new Error('not a JSON header');
  return JSON.parse(header.toString('utf8'));
}

/** Ext fields of a ROCKETMQ binary-header frame, in wire order. */
export function binaryHeaderOf(frame: Buffer): {
  code: number;
  version: number;
  extFields: [string, string][];
} {
  const { serializeType, header } = sliceFrame(frame);
  if (serializeType !== 1) throw new Error('not a ROCKETMQ header');
  const code = header.readInt16BE(0);
  const version = header.readInt16BE(3);
  let p = 13;
  const remarkLen = header.readInt32BE(p);
  p += 4 + remarkLen;
  const extLen = header.readInt32BE(p);
  p += 4;
  const end = p + extLen;
  const extFields: [string, string][] = [];
  while (p < end) {
    const kl = header.readInt16BE(p);
    const k = header.toString('utf8', p + 2, p + 2 + kl);
    p += 2 + kl;
    const vl = header.readInt32BE(p);
    const v = header.toString('utf8', p + 4, p + 4 + vl);
    p += 4 + vl;
    extFields.push([k, v]);
  }
  return { code, version, extFields };
}

// ---------------------------------------------------------------------------------------------
// Any capture set by folder; the 5.3.3 set lives in the repository (fixtures/rocketmq-5.3.3).

/** `<repo root>/fixtures/rocketmq-5.3.3/`: frames captured from the real Java 5.3.3 NameServer. */
export const FIXTURE_DIR_5_3_3 = fileURLToPath(
  new URL('../../../fixtures/rocketmq-5.3.3/', import.meta.url),
);

/** Fixture names of the set in `dir`, sorted. */
export function listFixturesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.request.hex'))
    .map((f) => f.slice(0, -'.request.hex'.length))
    .sort();
}

/** Both frames of fixture `name` of the set in `dir`; `response` null when none was sent. */
export function loadFixtureIn(
  dir: string,
  name: string,
): { request: Buffer; response: Buffer | null } {
  const responsePath = `${dir}${name}.response.hex`;
  return {
    request: readHex(`${dir}${name}.request.hex`),
    response: existsSync(responsePath) ? readHex(responsePath) : null,
  };
}
