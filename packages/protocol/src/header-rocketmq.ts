/**
 * ROCKETMQ binary header (serializeType 1), Java `RocketMQSerializable`. Big-endian:
 *
 *   offset size field
 *   0      2    code (int16)
 *   2      1    language (byte, LanguageCode ordinal)
 *   3      2    version (int16)
 *   5      4    opaque (int32)
 *   9      4    flag (int32)
 *   13     4    remark length R (int32), 0 = null
 *   17     R    remark, UTF-8
 *   17+R   4    extFields length X (int32), 0 = no map
 *   21+R   X    entries: key length (int16) + key UTF-8 + value length (int32) + value UTF-8
 *
 * An empty ext map is written as length 0, so it reads back as null (as in Java).
 */
import { FrameError } from './errors.js';
import { languageFromByte, languageToByte } from './language-code.js';
import { newExtFields, type RemotingCommand } from './remoting-command.js';
import { SerializeType } from './constants.js';

export const ROCKETMQ_HEADER_FIXED_LENGTH = 21;

/** Byte length of the binary header of `cmd`. */
export function rocketmqHeaderLength(cmd: RemotingCommand): number {
  let n = ROCKETMQ_HEADER_FIXED_LENGTH;
  if (cmd.remark !== null) n += Buffer.byteLength(cmd.remark, 'utf8');
  const ext = cmd.extFields;
  if (ext !== null) {
    for (const key in ext) {
      const value = ext[key];
      if (value === undefined || value === null) continue;
      n += 2 + Buffer.byteLength(key, 'utf8') + 4 + Buffer.byteLength(value, 'utf8');
    }
  }
  return n;
}

/** Writes the header of `cmd` into `buf` at `offset`; returns the offset after it. */
export function writeRocketmqHeader(cmd: RemotingCommand, buf: Buffer, offset: number): number {
  let o = offset;
  buf.writeInt16BE(cmd.code, o);
  buf.writeUInt8(languageToByte(cmd.language), o + 2);
  buf.writeInt16BE(cmd.version, o + 3);
  buf.writeInt32BE(cmd.opaque, o + 5);
  buf.writeInt32BE(cmd.flag, o + 9);
  o += 13;
  if (cmd.remark === null) {
    buf.writeInt32BE(0, o);
    o += 4;
  } else {
    const n = buf.write(cmd.remark, o + 4, 'utf8');
    buf.writeInt32BE(n, o);
    o += 4 + n;
  }
  const lengthAt = o;
  o += 4;
  const ext = cmd.extFields;
  if (ext !== null) {
    for (const key in ext) {
      const value = ext[key];
      if (value === undefined || value === null) continue;
      const kn = buf.write(key, o + 2, 'utf8');
      buf.writeInt16BE(kn, o);
      o += 2 + kn;
      const vn = buf.write(value, o + 4, 'utf8');
      buf.writeInt32BE(vn, o);
      o += 4 + vn;
    }
  }
  buf.writeInt32BE(o - lengthAt - 4, lengthAt);
  return o;
}

function truncated(what: string): FrameError {
  return new FrameError(
    'NS_BAD_BINARY_HEADER',
    `ROCKETMQ header truncated or inconsistent: ${what}`,
  );
}

/** Decodes `header` (exactly the header bytes) of a frame whose body is `body`. */
export function decodeRocketmqHeader(header: Buffer, body: Buffer | null): RemotingCommand {
  const end = header.length;
  if (end < ROCKETMQ_HEADER_FIXED_LENGTH) throw truncated(`${end} bytes, need at least 21`);
  const code = header.readInt16BE(0);
  const language = languageFromByte(header.readUInt8(2));
  const version = header.readInt16BE(3);
  const opaque = header.readInt32BE(5);
  const flag = header.readInt32BE(9);
  let o = 13;
  const remarkLength = header.readInt32BE(o);
  o += 4;
  // Java rejects any string length larger than the header; a negative one cannot be allocated.
  if (remarkLength < 0 || o + remarkLength + 4 > end) throw truncated('remark length');
  const remark = remarkLength === 0 ? null : header.toString('utf8', o, o + remarkLength);
  o += remarkLength;
  const extLength = header.readInt32BE(o);
  o += 4;
  if (extLength < 0 || o + extLength > end) throw truncated('extFields length');
  let extFields = null;
  if (extLength > 0) {
    extFields = newExtFields();
    const extEnd = o + extLength;
    while (o < extEnd) {
      if (o + 2 > extEnd) throw truncated('extFields key length');
      const kn = header.readInt16BE(o);
      o += 2;
      if (kn < 0 || o + kn + 4 > extEnd) throw truncated('extFields key');
      const key = header.toString('utf8', o, o + kn);
      o += kn;
      const vn = header.readInt32BE(o);
      o += 4;
      if (vn < 0 || o + vn > extEnd) throw truncated('extFields value');
      // Java reads a zero-length string as null: an empty value is no value (the field reads as
      // missing), and a null key is never looked up.
      if (kn > 0 && vn > 0) extFields[key] = header.toString('utf8', o, o + vn);
      o += vn;
    }
  }
  return {
    code,
    language,
    version,
    opaque,
    flag,
    remark,
    extFields,
    body,
    serializeType: SerializeType.ROCKETMQ,
  };
}
