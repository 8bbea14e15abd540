/**
 * `RegisterBrokerBody`: the REGISTER_BROKER request body (§3.8, §3.9).
 *
 * Which format a body is in depends on the request: version < 37 → a bare
 * TopicConfigSerializeWrapper; otherwise RegisterBrokerBody JSON, or — with header
 * `compressed=true` — a zlib stream of a length-prefixed binary layout.
 */
import * as zlib from 'node:zlib';
import pako from 'pako';
import type { RegisterBrokerBody, TopicConfig, TopicQueueMappingInfo } from './types.js';
import { BodyDecodeError, InflatedBodyTooLargeError } from '../errors.js';
import { Version } from '../version.js';
import {
  type JsonFlavour,
  LEGACY,
  stringKeyOrder,
  writeStringArray,
} from '../json/fastjson-writer.js';
import { asRecord, parseJsonBody, readStringList } from '../json/read-fields.js';
import { parseJsonLenient } from '../json/lenient-parse.js';
import type { KeptMembers } from '../json/json-skim.js';
import { javaStringHashCode, javaStringHashOrder } from '../json/java-hash-order.js';
import {
  javaConcurrentHashMapPutAllTableSize,
  javaHashTableOrder,
} from '../json/java-hash-table.js';
import { readDataVersion, unstampedDataVersion, writeDataVersion } from './data-version.js';
import { decodeTopicConfigLine, encodeTopicConfigLine } from './topic-config.js';
import {
  readTopicConfigSerializeWrapper,
  topicConfigTableShape,
  writeTopicConfigSerializeWrapper,
} from './topic-config-serialize-wrapper.js';
import {
  readTopicQueueMappingInfo,
  writeTopicQueueMappingInfo,
} from './topic-queue-mapping-info.js';

/** Below this request version the body is a bare TopicConfigSerializeWrapper (Java: V3_0_11). */
export const REGISTER_BODY_MIN_VERSION = Version.V3_0_11;

/**
 * Default size compressed bodies may inflate to; larger ones are refused (zip-bomb guard; frames
 * are ≤ 16 MiB). The server passes its `maxInflatedRegisterBodyBytes`.
 */
export const MAX_INFLATED_REGISTER_BODY = 64 * 1024 * 1024;

export interface RegisterBrokerBodyDecodeOptions {
  /** The `compressed` request header. */
  compressed: boolean;
  /** The request's version ordinal. */
  version: number;
  /** Largest inflated size of a compressed body; default MAX_INFLATED_REGISTER_BODY. */
  maxInflatedBytes?: number;
}

export interface RegisterBrokerBodyEncodeOptions {
  compressed?: boolean;
  /** Sender's version: < 37 writes a bare wrapper; ≥ 413 adds the compressed mapping section. */
  version: number;
}

export function decodeRegisterBrokerBody(
  body: Buffer | null,
  options: RegisterBrokerBodyDecodeOptions,
): RegisterBrokerBody {
  if (body === null || body.length === 0) {
    // Java: no body → empty table with DataVersion {0,0}.
    return {
      topicConfigSerializeWrapper: {
        dataVersion: { counter: 0, timestamp: 0 },
        topicConfigTable: new Map(),
      },
      filterServerList: [],
    };
  }
  if (options.version < REGISTER_BODY_MIN_VERSION) {
    return {
      topicConfigSerializeWrapper: readTopicConfigSerializeWrapper(
        parseJsonBody(body, 'TopicConfigSerializeWrapper'),
        'topicConfigSerializeWrapper',
      ),
      filterServerList: [],
    };
  }
  if (options.compressed) {
    return decodeCompressedRegisterBrokerBody(body, options.version, options.maxInflatedBytes);
  }
  return readRegisterBrokerBody(parseJsonBody(body, 'RegisterBrokerBody', REGISTER_BODY_MEMBERS));
}

/**
 * The members of a RegisterBrokerBody and of its wrapper that readRegisterBrokerBody reads. Others
 * (a newer broker's fields, or crafted ones: a million tiny keys) are checked as JSON, a scan per
 * byte, and not built: `JSON.parse` spent 54-150 ms per MiB building them.
 */
export const REGISTER_BODY_MEMBERS: KeptMembers = {
  keys: new Set(['topicConfigSerializeWrapper', 'filterServerList']),
  nested: {
    key: 'topicConfigSerializeWrapper',
    keep: {
      keys: new Set([
        'dataVersion',
        'topicConfigTable',
        'mappingDataVersion',
        'topicQueueMappingInfoMap',
        'topicQueueMappingDetailMap',
      ]),
    },
  },
};

/** A parsed (version ≥ 37, uncompressed) RegisterBrokerBody JSON value → the body. */
export function readRegisterBrokerBody(parsed: unknown): RegisterBrokerBody {
  const rec = asRecord(parsed, 'RegisterBrokerBody');
  const w = rec['topicConfigSerializeWrapper'];
  return {
    topicConfigSerializeWrapper:
      w === undefined || w === null
        ? { dataVersion: unstampedDataVersion(), topicConfigTable: new Map() }
        : readTopicConfigSerializeWrapper(w, 'topicConfigSerializeWrapper'),
    filterServerList: readStringList(rec, 'filterServerList', '', []) ?? [],
  };
}

export function encodeRegisterBrokerBody(
  body: RegisterBrokerBody,
  options: RegisterBrokerBodyEncodeOptions,
  flavour: JsonFlavour = LEGACY,
): Buffer {
  if (options.version < REGISTER_BODY_MIN_VERSION) {
    return Buffer.from(
      writeTopicConfigSerializeWrapper(
        body.topicConfigSerializeWrapper,
        flavour,
        topicConfigTableShape(options.version),
      ),
      'utf8',
    );
  }
  if (options.compressed === true) return encodeCompressedRegisterBrokerBody(body, options.version);
  return Buffer.from(
    '{"filterServerList":' +
      writeStringArray(body.filterServerList, flavour) +
      ',"topicConfigSerializeWrapper":' +
      writeTopicConfigSerializeWrapper(
        body.topicConfigSerializeWrapper,
        flavour,
        topicConfigTableShape(options.version),
      ) +
      '}',
    'utf8',
  );
}

class ByteWriter {
  private readonly chunks: Buffer[] = [];
  int(n: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(n, 0);
    this.chunks.push(b);
  }
  bytes(text: string): void {
    const b = Buffer.from(text, 'utf8');
    this.int(b.length);
    this.chunks.push(b);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Java `RegisterBrokerBody.encode(true)`: DataVersion JSON, topic count, one line per topic (in the
 * broker's table order), filter server list JSON, and for 5.x the static-topic mapping section;
 * deflated with BEST_COMPRESSION, byte-equal with a Java 4.9.7 broker's body.
 */
export function encodeCompressedRegisterBrokerBody(
  body: RegisterBrokerBody,
  version: number,
): Buffer {
  const w = new ByteWriter();
  const wrapper = body.topicConfigSerializeWrapper;
  w.bytes(writeDataVersion(wrapper.dataVersion));
  const table = wrapper.topicConfigTable;
  const names = compressedTopicOrder([...table.keys()], version);
  w.int(names.length);
  for (const name of names) w.bytes(encodeTopicConfigLine(table.get(name)!));
  w.bytes(writeStringArray(body.filterServerList, LEGACY));
  if (version >= Version.V5_0_0) {
    const infos = wrapper.topicQueueMappingInfoMap ?? new Map<string, TopicQueueMappingInfo>();
    w.int(infos.size);
    for (const info of infos.values()) w.bytes(writeTopicQueueMappingInfo(info, LEGACY));
  }
  // pako is a port of reference zlib: level 9 gives the same bytes as the JDK's Deflater
  // (verified against the 4.9.7 compressed fixtures); Node's bundled zlib (Chromium's fork) picks
  // different matches, so its streams are valid but not byte-equal.
  const raw = w.toBuffer();
  const out = pako.deflate(raw, { level: 9 });
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * The order a broker of `version` writes topics into a compressed body: `encode(true)` iterates a
 * clone of the registered table (`topicConfigTableShape`), made by
 * - 4.x … 5.0.x: `new ConcurrentHashMap<>()` and one put per entry (grows while filled; the 4.9.7
 *   fixtures have 8 and 11 topics, 16 buckets);
 * - 5.1.0 … 5.1.3: `new ConcurrentHashMap<>()` + `putAll`;
 * - 5.1.4+: `new ConcurrentHashMap<>(size)` + `putAll` (the 5.3.3 fixture: 13 topics, 64 buckets).
 * A `putAll` presizes the table first, so those copies never grow while filled.
 */
function compressedTopicOrder(keys: readonly string[], version: number): string[] {
  const registered = stringKeyOrder(keys, LEGACY, topicConfigTableShape(version));
  if (version < Version.V5_1_0) {
    return javaHashTableOrder('ConcurrentHashMap', registered, javaStringHashCode);
  }
  const n = registered.length;
  const capacity = javaConcurrentHashMapPutAllTableSize(
    n,
    version >= Version.V5_1_4 ? n : undefined,
  );
  return javaStringHashOrder(registered, { capacity });
}

class ByteReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  remaining(): number {
    return this.buf.length - this.pos;
  }
  int(what: string): number {
    if (this.remaining() < 4) {
      throw new BodyDecodeError(`compressed register body truncated reading ${what}`);
    }
    const n = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return n;
  }
  text(what: string): string {
    const len = this.int(`${what} length`);
    if (len < 0 || len > this.remaining()) {
      throw new BodyDecodeError(`compressed register body: bad ${what} length ${len}`);
    }
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

/**
 * Inflates a compressed register body. More than `maxInflatedBytes` bytes is an
 * InflatedBodyTooLargeError; a stream that does not inflate, a BodyDecodeError.
 */
export function inflateRegisterBody(
  body: Buffer,
  maxInflatedBytes: number = MAX_INFLATED_REGISTER_BODY,
): Buffer {
  try {
    return zlib.inflateSync(body, { maxOutputLength: maxInflatedBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InflatedBodyTooLargeError(
        `compressed register body inflates to more than ${maxInflatedBytes} bytes`,
        maxInflatedBytes,
        { cause: err },
      );
    }
    throw new BodyDecodeError(
      `compressed register body does not inflate: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function parseSection(text: string, what: string): unknown {
  try {
    return parseJsonLenient(text);
  } catch (err) {
    throw new BodyDecodeError(`compressed register body: ${what}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function decodeCompressedRegisterBrokerBody(
  body: Buffer,
  version: number,
  maxInflatedBytes: number = MAX_INFLATED_REGISTER_BODY,
): RegisterBrokerBody {
  return decodeInflatedRegisterBrokerBody(inflateRegisterBody(body, maxInflatedBytes), version);
}

/** The binary layout of a compressed register body, already inflated. */
export function decodeInflatedRegisterBrokerBody(raw: Buffer, version: number): RegisterBrokerBody {
  const r = new ByteReader(raw);
  const dataVersion = readDataVersion(
    parseSection(r.text('dataVersion'), 'dataVersion'),
    'dataVersion',
  );
  const count = r.int('topic count');
  if (count < 0)
    throw new BodyDecodeError(`compressed register body: negative topic count ${count}`);
  const topicConfigTable = new Map<string, TopicConfig>();
  for (let i = 0; i < count; i++) {
    const tc = decodeTopicConfigLine(r.text(`topic ${i}`));
    topicConfigTable.set(tc.topicName, tc);
  }
  const fsl = parseSection(r.text('filterServerList'), 'filterServerList');
  const filterServerList =
    readStringList({ filterServerList: fsl }, 'filterServerList', '', []) ?? [];
  const result: RegisterBrokerBody = {
    topicConfigSerializeWrapper: { dataVersion, topicConfigTable },
    filterServerList,
  };
  // Java 5.x reads the mapping section only for version ≥ V5_0_0; an absent section (a 4.9-era
  // sender claiming a 5.x version) is read as empty rather than failing.
  if (version >= Version.V5_0_0 && r.remaining() >= 4) {
    const m = r.int('mapping count');
    if (m < 0) throw new BodyDecodeError(`compressed register body: negative mapping count ${m}`);
    const infos = new Map<string, TopicQueueMappingInfo>();
    for (let i = 0; i < m; i++) {
      const info = readTopicQueueMappingInfo(
        parseSection(r.text(`mapping ${i}`), `mapping ${i}`),
        `topicQueueMappingInfoMap[${i}]`,
      );
      infos.set(info.topic, info);
    }
    result.topicConfigSerializeWrapper.topicQueueMappingInfoMap = infos;
  }
  return result;
}
