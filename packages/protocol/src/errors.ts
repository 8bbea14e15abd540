/**
 * Every error the codec throws is a ProtocolError with a stable `code`. The transport catches
 * ProtocolError, logs it and closes that one connection; nothing untyped ever escapes a decoder.
 */
export type ProtocolErrorCode =
  | 'NS_FRAME_TOO_LONG'
  | 'NS_FRAME_TOO_SHORT'
  | 'NS_HEADER_LENGTH_EXCEEDS_FRAME'
  | 'NS_HEADER_TOO_LONG'
  | 'NS_UNKNOWN_SERIALIZE_TYPE'
  | 'NS_BAD_JSON_HEADER'
  | 'NS_BAD_BINARY_HEADER'
  | 'NS_BAD_BODY'
  | 'NS_BAD_HEADER_FIELD'
  | 'NS_MISSING_HEADER_FIELD'
  | 'NS_CRC32_MISMATCH';

export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A frame could not be cut or its header could not be read: the connection must be closed. */
export class FrameError extends ProtocolError {
  override name = 'FrameError';
}

/** A body (JSON, compressed registration, properties) could not be decoded. */
export class BodyDecodeError extends ProtocolError {
  override name = 'BodyDecodeError';
  constructor(message: string, options?: ErrorOptions) {
    super('NS_BAD_BODY', message, options);
  }
}

/** A compressed body would inflate past the allowed size (zip-bomb guard); `limit` in bytes. */
export class InflatedBodyTooLargeError extends BodyDecodeError {
  override name = 'InflatedBodyTooLargeError';
  readonly limit: number;
  constructor(message: string, limit: number, options?: ErrorOptions) {
    super(message, options);
    this.limit = limit;
  }
}

/** A typed request header could not be built from extFields; `field` names the culprit. */
export class HeaderFieldError extends ProtocolError {
  override name = 'HeaderFieldError';
  readonly field: string;
  constructor(
    code: 'NS_BAD_HEADER_FIELD' | 'NS_MISSING_HEADER_FIELD',
    field: string,
    message: string,
  ) {
    super(code, message);
    this.field = field;
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
