/**
 * Loader for the RocketMQ 4.9.7 wire captures in /work/shared/fixtures/rocketmq-4.9.7 (see its
 * README.md). Frames are whole frames, 4-byte length prefix included.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `<repo root>/../shared/fixtures/rocketmq-4.9.7/`, computed from this file's location. */
export const FIXTURE_DIR = fileURLToPath(
  new URL('../../../../shared/fixtures/rocketmq-4.9.7/', import.meta.url),
);

function readHex(path: string): Buffer {
  const text = readFileSync(path, 'utf8').trim();
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new Error(`not lowercase hex: ${path}`);
  return Buffer.from(text, 'hex');
}

/** Fixture names (`get-route`, `register-broker-master`, …), sorted. */
export function listFixtures(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.request.hex'))
    .map((f) => f.slice(0, -'.request.hex'.length))
    .sort();
}

/** Both frames of a fixture; `response` is null when the NameServer answered nothing. */
export function loadFixture(name: string): { request: Buffer; response: Buffer | null } {
  const base = FIXTURE_DIR + name;
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
