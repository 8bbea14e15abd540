/**
 * The remoting frame (Java `RemotingCommand#encode` / `#decode`), big-endian:
 *
 *   int32  totalLength = 4 + headerLength + bodyLength   (does not count itself)
 *   int32  headerWord  = (serializeType << 24) | headerLength
 *   bytes  header      JSON text (type 0) or ROCKETMQ binary (type 1)
 *   bytes  body        the rest; length 0 means "no body"
 */
import { FrameError } from './errors.js';
import { decodeJsonHeader, encodeJsonHeader } from './header-json.js';
import {
  decodeRocketmqHeader,
  rocketmqHeaderLength,
  writeRocketmqHeader,
} from './header-rocketmq.js';
import type { RemotingCommand } from './remoting-command.js';
import { SerializeType } from './constants.js';

/** The whole frame for `cmd`, length prefix included, in `cmd.serializeType`. */
export function encodeCommand(cmd: RemotingCommand): Buffer {
  const bodyLength = cmd.body === null ? 0 : cmd.body.length;
  let buf: Buffer;
  let o: number;
  if (cmd.serializeType === SerializeType.ROCKETMQ) {
    const headerLength = rocketmqHeaderLength(cmd);
    buf = Buffer.allocUnsafe(8 + headerLength + bodyLength);
    buf.writeInt32BE(4 + headerLength + bodyLength, 0);
    buf.writeUInt32BE(((SerializeType.ROCKETMQ << 24) | headerLength) >>> 0, 4);
    o = writeRocketmqHeader(cmd, buf, 8);
  } else {
    const header = encodeJsonHeader(cmd);
    const headerLength = Buffer.byteLength(header, 'utf8');
    buf = Buffer.allocUnsafe(8 + headerLength + bodyLength);
    buf.writeInt32BE(4 + headerLength + bodyLength, 0);
    buf.writeUInt32BE(headerLength, 4);
    o = 8 + buf.write(header, 8, 'utf8');
  }
  if (cmd.body !== null) cmd.body.copy(buf, o);
  return buf;
}

export interface DecodeFrameOptions {
  /**
   * A header longer than this is refused (FrameError NS_HEADER_TOO_LONG) before any of it is
   * parsed. Default: no limit beyond the frame's (a client decoding its server's answers).
   */
  maxHeaderLength?: number;
}

/**
 * Decodes one frame: the bytes after the length prefix (as cut by FrameDecoder).
 * Throws FrameError for any inconsistency; never anything else.
 */
export function decodeFrame(frame: Buffer, options: DecodeFrameOptions = {}): RemotingCommand {
  if (frame.length < 4) {
    throw new FrameError(
      'NS_FRAME_TOO_SHORT',
      `frame of ${frame.length} bytes has no header-length word`,
    );
  }
  const word = frame.readUInt32BE(0);
  const serializeType = word >>> 24;
  const headerLength = word & 0xffffff;
  if (headerLength > frame.length - 4) {
    throw new FrameError(
      'NS_HEADER_LENGTH_EXCEEDS_FRAME',
      `header length ${headerLength} exceeds the ${frame.length - 4} bytes left in the frame`,
    );
  }
  if (options.maxHeaderLength !== undefined && headerLength > options.maxHeaderLength) {
    throw new FrameError(
      'NS_HEADER_TOO_LONG',
      `header length ${headerLength} exceeds the limit of ${options.maxHeaderLength} bytes`,
    );
  }
  const bodyStart = 4 + headerLength;
  const body = bodyStart < frame.length ? frame.subarray(bodyStart) : null;
  if (serializeType === SerializeType.JSON) {
    return decodeJsonHeader(frame.toString('utf8', 4, bodyStart), body);
  }
  if (serializeType === SerializeType.ROCKETMQ) {
    return decodeRocketmqHeader(frame.subarray(4, bodyStart), body);
  }
  throw new FrameError('NS_UNKNOWN_SERIALIZE_TYPE', `unknown serialize type ${serializeType}`);
}
