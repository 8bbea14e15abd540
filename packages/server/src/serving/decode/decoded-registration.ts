/**
 * A REGISTER_BROKER body as the serving side's decode thread hands it to the registry owner: what
 * changed since the previous body of the same broker ("base"), in a compact form that is cheap to
 * copy between threads and processes: typed arrays only (every topic name's UTF-8 bytes back to
 * back, where each ends, and their four numbers), instead of tens of thousands of objects or
 * strings. Copying those is one memcpy; the registry owner makes each name a string when it comes
 * to that row, in the slices it works in, so no event loop makes 50,000 strings in one go.
 *
 * Bases are numbered by the decoder (`<decoder id>:<n>`); a delta names the base it applies to,
 * and the owner only applies it to a table built from that very base (registry/registration-bases).
 */
import { deserialize, serialize } from 'node:v8';
import type {
  DataVersion,
  TopicConfig,
  TopicConfigRows,
  TopicQueueMappingInfo,
} from '@ns/protocol';

/**
 * Topic rows (the codec's TopicConfigRows): row i's topic name is
 * `nameBytes[nameEnds[i - 1] .. nameEnds[i])` (from 0 for row 0), UTF-8; its read/write queue
 * numbers, perm and sys flag are `nums[4i .. 4i + 3]`.
 */
export type TopicRows = TopicConfigRows;

/** The parts of a body besides its topic table (5.x mapping fields only when the body has them). */
export interface BodyExtras {
  readonly dataVersion: DataVersion;
  /** null: the body carried no list (pre-3.0.11 brokers), so the stored one is kept. */
  readonly filterServerList: string[] | null;
  readonly mappingDataVersion?: DataVersion;
  readonly topicQueueMappingInfoMap?: Map<string, TopicQueueMappingInfo>;
  readonly topicQueueMappingDetailMap?: Map<string, unknown>;
}

export type DecodedRegistration =
  /** The header's CRC32 does not match the body (Java answers `crc32 not match`). */
  | { readonly kind: 'crc-mismatch' }
  /**
   * The body does not decode: the full decoder's message; `inflateLimit` when it inflates past
   * that many bytes (maxInflatedRegisterBodyBytes).
   */
  | { readonly kind: 'undecodable'; readonly message: string; readonly inflateLimit?: number }
  /** Byte for byte the body of base `base`. */
  | { readonly kind: 'unchanged'; readonly base: string }
  /**
   * Every topic (no usable base); `base` numbers it for the next delta (null: not kept). `keys`:
   * the table's keys, row by row, only when one differs from its row's topicName (never with a
   * base): Java's rule g compares the keys, the puts use the topicNames.
   */
  | ({
      readonly kind: 'full';
      readonly base: string | null;
      readonly rows: TopicRows;
      readonly keys?: string[];
    } & BodyExtras)
  /** What changed since base `from`; the result is base `base`. */
  | ({
      readonly kind: 'delta';
      readonly from: string;
      readonly base: string;
      /** Changed or new topics, in body order. */
      readonly upserts: TopicRows;
      readonly removed: string[];
      /** Where each new or moved topic sits: after which topic of the new order (null = first). */
      readonly inserted: [after: string | null, topic: string][];
      /** The same by position (the codec's RegisterBodyPositions): how the owner applies it. */
      readonly upsertAt: Int32Array;
      readonly continues: Int32Array | null;
    } & BodyExtras)
  /**
   * A large 'full' or 'delta', still in the bytes the decode thread serialized it to (`seal`):
   * opened (`unseal`) by the registry owner. A serving worker thus forwards one buffer to the
   * owner instead of reading tens of thousands of rows from its thread and writing them again to
   * the owner's channel, each a walk of its event loop. `of` and `base` are the sealed value's
   * (the serving side needs them to answer a 'resend').
   */
  | {
      readonly kind: 'sealed';
      readonly of: 'full' | 'delta';
      readonly base: string | null;
      readonly bytes: Uint8Array;
    };

/** A DecodedRegistration in the open (what the registry owner works with). */
export type OpenRegistration = Exclude<DecodedRegistration, { readonly kind: 'sealed' }>;

/** Rows from which a 'full' or 'delta' is sealed (below that, opening it costs next to nothing). */
/**
 * A broker's group (cluster and broker name: a master and its slaves), whose members' bases the
 * decode thread may use for one another (see register-decoder-core.ts).
 */
export function groupKey(clusterName: string, brokerName: string): string {
  return `${clusterName}\u0000${brokerName}`;
}

export const SEAL_MIN_ROWS = 2048;

/**
 * The base whose body a 'resend' must decode in full: the one an 'unchanged' or a 'delta' (sealed
 * or not) answer was made against; null for any other answer (the owner never asks for those).
 */
export function resendBaseOf(decoded: DecodedRegistration): string | null {
  if (decoded.kind === 'unchanged' || decoded.kind === 'delta') return decoded.base;
  return decoded.kind === 'sealed' && decoded.of === 'delta' ? decoded.base : null;
}

/** `decoded`, sealed when it is a large 'full' or 'delta'. */
export function seal(decoded: OpenRegistration): DecodedRegistration {
  if (decoded.kind !== 'full' && decoded.kind !== 'delta') return decoded;
  const rows =
    decoded.kind === 'full'
      ? decoded.rows.count
      : decoded.upserts.count + decoded.removed.length + decoded.inserted.length;
  if (rows < SEAL_MIN_ROWS) return decoded;
  const bytes = serialize(decoded);
  return {
    kind: 'sealed',
    of: decoded.kind,
    base: decoded.base,
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
  };
}

/** The registration a sealed one holds (any other as it is). */
export function unseal(decoded: DecodedRegistration): OpenRegistration {
  if (decoded.kind !== 'sealed') return decoded;
  const open = deserialize(decoded.bytes) as OpenRegistration;
  if (open.kind !== decoded.of) {
    throw new Error(`sealed registration holds a '${open.kind}', not the '${decoded.of}' it says`);
  }
  return open;
}

export function toRows(configs: Iterable<TopicConfig>, count: number): TopicRows {
  const names = new Array<string>(count);
  const nameEnds = new Int32Array(count);
  const nums = new Int32Array(count * 4);
  let chars = 0;
  let i = 0;
  for (const tc of configs) {
    names[i] = tc.topicName;
    chars += tc.topicName.length;
    nameEnds[i] = chars;
    nums[4 * i] = tc.readQueueNums;
    nums[4 * i + 1] = tc.writeQueueNums;
    nums[4 * i + 2] = tc.perm;
    nums[4 * i + 3] = tc.topicSysFlag;
    i++;
  }
  if (i !== count) throw new Error(`toRows: ${i} topic configs, ${count} expected`);
  // All ASCII (what brokers use): every name written in one native call, the ends are the
  // character counts (half the time of writing name by name: 4.7 vs 8.1 ms for 50,000 topics).
  const all = names.join('');
  if (Buffer.byteLength(all, 'utf8') === chars) {
    const nameBytes = Buffer.allocUnsafeSlow(chars);
    nameBytes.write(all, 0, 'latin1');
    return { count, nameBytes: new Uint8Array(nameBytes.buffer, 0, chars), nameEnds, nums };
  }
  // Name by name: the ends are byte offsets, and a joined string could pair one name's lone
  // surrogate with the next one's.
  let bytes = 0;
  for (let k = 0; k < count; k++) {
    bytes += Buffer.byteLength(names[k]!, 'utf8');
    nameEnds[k] = bytes;
  }
  // Memory of its own (not the Buffer pool's), so the decode thread can move it.
  const nameBytes = Buffer.allocUnsafeSlow(bytes);
  let at = 0;
  for (const name of names) at += nameBytes.write(name, at, 'utf8');
  return { count, nameBytes: new Uint8Array(nameBytes.buffer, 0, bytes), nameEnds, nums };
}

/**
 * Reads the names of `rows`: `nameAt(i)` makes row i's name a string (a native UTF-8 slice), so a
 * caller working through the rows in slices pays for each name in the slice that uses it.
 */
export function topicNames(rows: TopicRows): { readonly nameAt: (i: number) => string } {
  // A Buffer over the same memory (a decode crossing a thread or process arrives as a plain
  // Uint8Array): Buffer#toString slices UTF-8 natively.
  const bytes = Buffer.from(
    rows.nameBytes.buffer,
    rows.nameBytes.byteOffset,
    rows.nameBytes.length,
  );
  const ends = rows.nameEnds;
  return {
    nameAt: (i) => bytes.toString('utf8', i === 0 ? 0 : ends[i - 1]!, ends[i]),
  };
}

/** Every name of `rows`, in row order (small row sets and tests; see topicNames). */
export function namesOf(rows: TopicRows): string[] {
  const { nameAt } = topicNames(rows);
  return Array.from({ length: rows.count }, (_, i) => nameAt(i));
}

/**
 * The TopicConfigs of some rows. Only the fields a NameServer uses travel; the others get Java's
 * defaults (they never reach a response).
 */
export function fromRows(rows: TopicRows): TopicConfig[] {
  const { nameAt } = topicNames(rows);
  const out = new Array<TopicConfig>(rows.count);
  for (let i = 0; i < rows.count; i++) out[i] = rowAt(rows, i, nameAt(i));
  return out;
}

/** The TopicConfig of row `i`, named `name` (its name: see topicNames; fromRows for the rest). */
export function rowAt(rows: TopicRows, i: number, name: string): TopicConfig {
  return {
    topicName: name,
    readQueueNums: rows.nums[4 * i]!,
    writeQueueNums: rows.nums[4 * i + 1]!,
    perm: rows.nums[4 * i + 2]!,
    topicSysFlag: rows.nums[4 * i + 3]!,
    topicFilterType: 'SINGLE_TAG',
    order: false,
  };
}
