/**
 * A response frame encoded once and re-sent with different opaques: the bytes `encodeCommand`
 * produces for `{ ...cmd, opaque }`, minus the header encoding and the string → UTF-8 pass.
 *
 * - ROCKETMQ binary: the opaque is an int32 at a fixed place (frame offset 8 + 5), so the frame is
 *   kept whole and a send is one copy plus a 4-byte patch;
 * - JSON: `"opaque":N` has a variable width, so the frame is kept as the bytes before the digits
 *   (length words + header prefix) and after them (header suffix + body); a send writes the two
 *   length words and the decimal digits between the two copies.
 *
 * The header is produced by the regular encoder, so the result is byte-identical by construction.
 *
 * A prepared frame is kept for as long as its route is cached, so its bytes get memory of their
 * own, exactly their size: Node hands small buffers out of shared 8 KiB slabs, and one long-lived
 * buffer keeps its whole slab alive — with the short-lived responses allocated between them, the
 * route cache held about 6 KB per topic for 3.9 KB of bytes. `preparedFrameBody` gives the body's
 * bytes inside the frame, so a cache need not keep its own copy beside it.
 */
import { SerializeType } from './constants.js';
import { encodeCommand } from './frame.js';
import { encodeJsonHeader } from './header-json.js';
import type { RemotingCommand } from './remoting-command.js';

/** Frame offset of the opaque in a ROCKETMQ frame: length word, header word, code+language+version. */
const ROCKETMQ_OPAQUE_OFFSET = 8 + 5;

export interface PreparedFrame {
  readonly serializeType: SerializeType;
  /** ROCKETMQ: the whole frame (opaque 0). JSON: length words (unset) + header up to the digits. */
  readonly head: Buffer;
  /** JSON only: the header after the opaque digits + the body; empty for ROCKETMQ. */
  readonly tail: Buffer;
  /** JSON only: header bytes other than the opaque digits (prefix + suffix). */
  readonly headerFixedLength: number;
}

const EMPTY = Buffer.alloc(0);

/** Prepares `cmd` (its opaque is ignored) for `preparedFrameBytes`. */
export function prepareFrame(cmd: RemotingCommand): PreparedFrame {
  const template: RemotingCommand = { ...cmd, opaque: 0 };
  if (cmd.serializeType === SerializeType.ROCKETMQ) {
    const head = ownCopy(encodeCommand(template));
    return { serializeType: SerializeType.ROCKETMQ, head, tail: EMPTY, headerFixedLength: 0 };
  }
  const header = encodeJsonHeader(template);
  // `,"opaque":` cannot occur inside a JSON string (its quote would be escaped), so this is the
  // key itself; fastjson always writes code first, so the comma is there.
  const marker = ',"opaque":0';
  const at = header.indexOf(marker);
  if (at < 0 || header.indexOf(marker, at + 1) >= 0) {
    throw new Error('prepareFrame: JSON header has no unique opaque field');
  }
  const split = at + marker.length - 1;
  const prefix = Buffer.from(header.slice(0, split), 'utf8');
  const suffix = Buffer.from(header.slice(split + 1), 'utf8');
  const head = Buffer.allocUnsafeSlow(8 + prefix.length);
  head.fill(0, 0, 8);
  prefix.copy(head, 8);
  const body = cmd.body;
  const tail = Buffer.allocUnsafeSlow(suffix.length + (body?.length ?? 0));
  suffix.copy(tail, 0);
  body?.copy(tail, suffix.length);
  const headerFixedLength = prefix.length + suffix.length;
  return { serializeType: SerializeType.JSON, head, tail, headerFixedLength };
}

/** `bytes` in memory of their own, exactly their size (see the file's comment). */
function ownCopy(bytes: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own, 0);
  return own;
}

/**
 * The last `bodyLength` bytes of the prepared frame — its body, when `bodyLength` is the length of
 * the body it was prepared with — as a view (no copy).
 */
export function preparedFrameBody(p: PreparedFrame, bodyLength: number): Buffer {
  const bytes = p.serializeType === SerializeType.ROCKETMQ ? p.head : p.tail;
  if (bodyLength < 0 || bodyLength > bytes.length) {
    throw new RangeError(`preparedFrameBody: no body of ${bodyLength} bytes in this frame`);
  }
  return bytes.subarray(bytes.length - bodyLength);
}

/** The frame for the prepared response with `opaque`: exactly `encodeCommand({ ...cmd, opaque })`. */
export function preparedFrameBytes(p: PreparedFrame, opaque: number): Buffer {
  const head = p.head;
  if (p.serializeType === SerializeType.ROCKETMQ) {
    const buf = Buffer.allocUnsafe(head.length);
    // TypedArray#set: an inlined memcpy, cheaper than Buffer#copy's native call for small frames.
    buf.set(head, 0);
    buf.writeInt32BE(opaque | 0, ROCKETMQ_OPAQUE_OFFSET);
    return buf;
  }
  const digits = String(opaque | 0);
  const tail = p.tail;
  const total = head.length + digits.length + tail.length;
  const buf = Buffer.allocUnsafe(total);
  buf.set(head, 0);
  let o = head.length;
  for (let i = 0; i < digits.length; i++) buf[o++] = digits.charCodeAt(i);
  buf.set(tail, o);
  buf.writeInt32BE(total - 4, 0);
  buf.writeUInt32BE(p.headerFixedLength + digits.length, 4);
  return buf;
}
