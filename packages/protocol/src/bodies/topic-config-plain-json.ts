/**
 * A TopicConfig straight from the bytes of a REGISTER_BROKER body, for the one shape brokers
 * really write: fastjson's compact object with the known fields, integer, boolean and plain
 * string values, and an empty `attributes` map (5.x). Decoding a new broker's table this way skips
 * JSON.parse of the whole body and the generic field readers, which together cost several times
 * more than reading the bytes once (issue 11: a new broker of 50,000 topics).
 *
 * It accepts only a strict subset of JSON whose meaning is plain: anything else (whitespace,
 * escapes, unknown or repeated fields, null, fractions, exponents, big or zero-led numbers, the
 * ordinal form of topicFilterType, a non-empty attribute map, a topicName other than the key)
 * answers "not plain", and the caller decodes the body the general way. So whatever this reads
 * equals what `readTopicConfig(JSON.parse(value), …, key)` gives for it.
 *
 * Pure: no I/O.
 */
import type { TopicConfig, TopicFilterType } from './types.js';
import { TOPIC_CONFIG_DEFAULTS } from './topic-config.js';

const CH_QUOTE = 0x22;
const CH_COMMA = 0x2c;
const CH_MINUS = 0x2d;
const CH_ZERO = 0x30;
const CH_NINE = 0x39;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;

/** The fields, by the bit that marks them seen. */
const F_ATTRIBUTES = 1;
const F_ORDER = 2;
const F_PERM = 4;
const F_READ = 8;
const F_FILTER = 16;
const F_NAME = 32;
const F_SYS_FLAG = 64;
const F_WRITE = 128;

const bytesOf = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const TRUE = bytesOf('true');
const FALSE = bytesOf('false');
const SINGLE_TAG = bytesOf('"SINGLE_TAG"');
const MULTI_TAG = bytesOf('"MULTI_TAG"');
const EMPTY_OBJECT = bytesOf('{}');

/** `"name":` of a field, as bytes. */
const token = (name: string): Uint8Array => bytesOf(`"${name}":`);
const K_ATTRIBUTES = token('attributes');
const K_ORDER = token('order');
const K_PERM = token('perm');
const K_READ = token('readQueueNums');
const K_FILTER = token('topicFilterType');
const K_NAME = token('topicName');
const K_SYS_FLAG = token('topicSysFlag');
const K_WRITE = token('writeQueueNums');

/** The field whose `"name":` starts at `q` (its bit), or 0: by its first letters, then checked. */
function fieldAt(buf: Uint8Array, q: number): number {
  switch (buf[q + 1] ?? 0) {
    case 0x61: // a
      return at(buf, q, K_ATTRIBUTES) ? F_ATTRIBUTES : 0;
    case 0x6f: // o
      return at(buf, q, K_ORDER) ? F_ORDER : 0;
    case 0x70: // p
      return at(buf, q, K_PERM) ? F_PERM : 0;
    case 0x72: // r
      return at(buf, q, K_READ) ? F_READ : 0;
    case 0x77: // w
      return at(buf, q, K_WRITE) ? F_WRITE : 0;
    case 0x74: // t: topicFilterType, topicName, topicSysFlag
      switch (buf[q + 6] ?? 0) {
        case 0x46: // F
          return at(buf, q, K_FILTER) ? F_FILTER : 0;
        case 0x4e: // N
          return at(buf, q, K_NAME) ? F_NAME : 0;
        case 0x53: // S
          return at(buf, q, K_SYS_FLAG) ? F_SYS_FLAG : 0;
        default:
          return 0;
      }
    default:
      return 0;
  }
}

/** Length of a field's `"name":`. */
function fieldLength(bit: number): number {
  switch (bit) {
    case F_ATTRIBUTES:
      return K_ATTRIBUTES.length;
    case F_ORDER:
      return K_ORDER.length;
    case F_PERM:
      return K_PERM.length;
    case F_READ:
      return K_READ.length;
    case F_FILTER:
      return K_FILTER.length;
    case F_NAME:
      return K_NAME.length;
    case F_SYS_FLAG:
      return K_SYS_FLAG.length;
    default:
      return K_WRITE.length;
  }
}

/** Whether `buf` holds `token` at `p`. */
function at(buf: Uint8Array, p: number, token: Uint8Array): boolean {
  const n = token.length;
  if (p + n > buf.length) return false;
  for (let i = 0; i < n; i++) if (buf[p + i] !== token[i]) return false;
  return true;
}

/**
 * A plain topic config's values, as scanPlainTopicConfig leaves them: one object reused for every
 * entry of a body, so reading a table makes no object per topic.
 */
export interface PlainFields {
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: TopicFilterType;
  topicSysFlag: number;
  order: boolean;
  /** The object had an (empty) `attributes` map. */
  attributes: boolean;
}

/** A PlainFields to pass to scanPlainTopicConfig. */
export function plainFields(): PlainFields {
  return {
    readQueueNums: 0,
    writeQueueNums: 0,
    perm: 0,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
    attributes: false,
  };
}

/**
 * Reads the object at `p` (its `{`) as the topic config of the table key whose bytes (without
 * quotes) lie at `[keyStart, keyEnd)` of `buf`, into `out`; returns where the object ends
 * (exclusive), or -1 when it is not of the plain shape (see the module comment) — never an error:
 * the general decoder gives those. `out` is only meaningful when the answer is not -1.
 */
export function scanPlainTopicConfig(
  buf: Uint8Array,
  p: number,
  keyStart: number,
  keyEnd: number,
  out: PlainFields,
): number {
  if (buf[p] !== CH_LBRACE) return -1;
  let q = p + 1;
  let seen = 0;
  out.readQueueNums = TOPIC_CONFIG_DEFAULTS.readQueueNums;
  out.writeQueueNums = TOPIC_CONFIG_DEFAULTS.writeQueueNums;
  out.perm = TOPIC_CONFIG_DEFAULTS.perm;
  out.topicFilterType = TOPIC_CONFIG_DEFAULTS.topicFilterType;
  out.topicSysFlag = TOPIC_CONFIG_DEFAULTS.topicSysFlag;
  out.order = TOPIC_CONFIG_DEFAULTS.order;
  if (buf[q] === CH_RBRACE) q++;
  else {
    for (;;) {
      const bit = fieldAt(buf, q);
      if (bit === 0 || (seen & bit) !== 0) return -1;
      seen |= bit;
      q += fieldLength(bit);
      switch (bit) {
        case F_ATTRIBUTES:
          if (!at(buf, q, EMPTY_OBJECT)) return -1;
          q += EMPTY_OBJECT.length;
          break;
        case F_ORDER:
          if (at(buf, q, TRUE)) {
            out.order = true;
            q += TRUE.length;
          } else if (at(buf, q, FALSE)) {
            out.order = false;
            q += FALSE.length;
          } else return -1;
          break;
        case F_FILTER:
          if (at(buf, q, SINGLE_TAG)) {
            out.topicFilterType = 'SINGLE_TAG';
            q += SINGLE_TAG.length;
          } else if (at(buf, q, MULTI_TAG)) {
            out.topicFilterType = 'MULTI_TAG';
            q += MULTI_TAG.length;
          } else return -1;
          break;
        case F_NAME: {
          // Exactly the key's bytes, in quotes: the name is the key.
          const n = keyEnd - keyStart;
          if (buf[q] !== CH_QUOTE || buf[q + n + 1] !== CH_QUOTE || q + n + 2 > buf.length) {
            return -1;
          }
          for (let i = 0; i < n; i++) if (buf[q + 1 + i] !== buf[keyStart + i]) return -1;
          q += n + 2;
          break;
        }
        default: {
          // An int: -?(0|[1-9][0-9]{0,8}) — always within 32 bits.
          let neg = false;
          if (buf[q] === CH_MINUS) {
            neg = true;
            q++;
          }
          const first = q;
          let v = 0;
          while (q < buf.length) {
            const c = buf[q]!;
            if (c < CH_ZERO || c > CH_NINE) break;
            v = v * 10 + (c - CH_ZERO);
            q++;
          }
          const digits = q - first;
          if (digits === 0 || digits > 9 || (digits > 1 && buf[first] === CH_ZERO)) return -1;
          // JSON.parse gives -0 for "-0", which (v | 0) === v lets through: keep it so.
          const value = neg ? -v : v;
          if (bit === F_PERM) out.perm = value;
          else if (bit === F_READ) out.readQueueNums = value;
          else if (bit === F_WRITE) out.writeQueueNums = value;
          else out.topicSysFlag = value;
        }
      }
      const c = buf[q];
      if (c === CH_COMMA) {
        q++;
        continue;
      }
      if (c === CH_RBRACE) {
        q++;
        break;
      }
      return -1;
    }
  }
  out.attributes = (seen & F_ATTRIBUTES) !== 0;
  return q;
}

/** The TopicConfig named `key` that `fields` describe. */
export function topicConfigOf(key: string, fields: PlainFields): TopicConfig {
  const config: TopicConfig = {
    topicName: key,
    readQueueNums: fields.readQueueNums,
    writeQueueNums: fields.writeQueueNums,
    perm: fields.perm,
    topicFilterType: fields.topicFilterType,
    topicSysFlag: fields.topicSysFlag,
    order: fields.order,
  };
  if (fields.attributes) config.attributes = new Map();
  return config;
}
