/**
 * The @ns/client error hierarchy. Every error the client throws on purpose is an NsClientError
 * with a stable `code` (safe to switch on; messages may change) and a `retriable` flag that says
 * whether trying again (possibly on another name server) can help. Retry loops consult only
 * `retriable`, never message text.
 */

export type NsClientErrorCode =
  | 'NS_INVALID_ADDRESS_LIST'
  | 'NS_INVALID_OPTION'
  | 'NS_NO_NAME_SERVER'
  | 'NS_ADDRESS_SERVICE'
  | 'NS_REMOTING_CONNECT'
  | 'NS_REMOTING_TIMEOUT'
  | 'NS_REMOTING_CLOSED'
  | 'NS_RESPONSE_ERROR'
  | 'NS_PROTOCOL_VIOLATION';

export interface NsClientErrorOptions extends ErrorOptions {
  readonly retriable?: boolean;
}

/** Base class of every error thrown by @ns/client (and reused by @ns/broker-agent). */
export class NsClientError extends Error {
  override name = 'NsClientError';
  readonly code: NsClientErrorCode;
  readonly retriable: boolean;
  constructor(code: NsClientErrorCode, message: string, options: NsClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** True when `err` is an NsClientError that says a retry may succeed. */
export function isRetriable(err: unknown): boolean {
  return err instanceof NsClientError && err.retriable;
}

/**
 * A name server address list (`host:port;host:port`) could not be parsed. `input` is the raw
 * text and `entry` the offending piece, when one can be named.
 */
export class InvalidAddressListError extends NsClientError {
  override name = 'InvalidAddressListError';
  readonly input: string;
  readonly entry: string | undefined;
  constructor(input: string, message: string, entry?: string) {
    super('NS_INVALID_ADDRESS_LIST', message);
    this.input = input;
    this.entry = entry;
  }
}

/** An option passed to a client constructor or factory is invalid; `option` names it. */
export class InvalidOptionError extends NsClientError {
  override name = 'InvalidOptionError';
  readonly option: string;
  constructor(option: string, message: string, options: ErrorOptions = {}) {
    super('NS_INVALID_OPTION', message, options);
    this.option = option;
  }
}

/** There is no name server to talk to: the list is empty (not configured, or not fetched yet). */
export class NoNameServerError extends NsClientError {
  override name = 'NoNameServerError';
  constructor(message = 'no name server address is known (the address list is empty)') {
    // Retriable: an address service poll may fill the list later.
    super('NS_NO_NAME_SERVER', message, { retriable: true });
  }
}

/** Why a fetch from the HTTP address service (TopAddressing) failed. */
export type AddressServiceFailure = 'network' | 'timeout' | 'http-status' | 'malformed-body';

/**
 * Fetching the name server list from an HTTP address service failed. A malformed body is not
 * retriable (the server answered, retrying gives the same text); everything else is.
 */
export class AddressServiceError extends NsClientError {
  override name = 'AddressServiceError';
  readonly url: string;
  readonly reason: AddressServiceFailure;
  readonly statusCode: number | undefined;
  constructor(
    url: string,
    reason: AddressServiceFailure,
    message: string,
    options: ErrorOptions & { readonly statusCode?: number } = {},
  ) {
    super('NS_ADDRESS_SERVICE', message, {
      retriable: reason !== 'malformed-body',
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.url = url;
    this.reason = reason;
    this.statusCode = options.statusCode;
  }
}

/**
 * A TCP connection to `addr` could not be established (refused, unreachable, connect timeout).
 * The default message carries the cause's ("…: ECONNREFUSED", "…: self-signed certificate"):
 * one-line reports (nsadmin, logs without the cause chain) would otherwise lose why.
 */
export class RemotingConnectError extends NsClientError {
  override name = 'RemotingConnectError';
  readonly addr: string;
  constructor(addr: string, message?: string, options: ErrorOptions = {}) {
    super('NS_REMOTING_CONNECT', message ?? `cannot connect to ${addr}${causeSuffix(options)}`, {
      ...options,
      retriable: true,
    });
    this.addr = addr;
  }
}

/** `: <the cause's message>` (an Error's, or a string), or nothing. */
function causeSuffix(options: ErrorOptions): string {
  const cause = options.cause;
  if (cause === undefined) return '';
  if (cause instanceof Error) return `: ${cause.message}`;
  return typeof cause === 'string' ? `: ${cause}` : '';
}

/** No response to a request arrived from `addr` within `timeoutMs`. */
export class RemotingTimeoutError extends NsClientError {
  override name = 'RemotingTimeoutError';
  readonly addr: string;
  readonly timeoutMs: number;
  constructor(addr: string, timeoutMs: number, message?: string, options: ErrorOptions = {}) {
    super('NS_REMOTING_TIMEOUT', message ?? `no response from ${addr} within ${timeoutMs} ms`, {
      ...options,
      retriable: true,
    });
    this.addr = addr;
    this.timeoutMs = timeoutMs;
  }
}

/** The connection to `addr` closed (or was closed by us) while a request was pending or being sent. */
export class RemotingClosedError extends NsClientError {
  override name = 'RemotingClosedError';
  readonly addr: string;
  /**
   * True when not a byte had arrived on the connection before it closed: a node at its
   * connection limit closes new connections right after accepting them. The request may still
   * have been processed (a node that died before answering), so only idempotent reads can be
   * sent again elsewhere on the strength of it.
   */
  readonly nothingReceived: boolean;
  constructor(
    addr: string,
    message?: string,
    options: ErrorOptions & { readonly nothingReceived?: boolean } = {},
  ) {
    const { nothingReceived = false, ...errorOptions } = options;
    super('NS_REMOTING_CLOSED', message ?? `connection to ${addr} closed`, {
      ...errorOptions,
      retriable: true,
    });
    this.addr = addr;
    this.nothingReceived = nothingReceived;
  }
}

// Java: ResponseCode.SYSTEM_BUSY. Kept local so this module has no dependencies.
const SYSTEM_BUSY = 2;

export interface ResponseErrorDetails {
  /** The request code that was answered with an error, when known. */
  readonly requestCode?: number;
  /** The name server that answered, when known. */
  readonly addr?: string;
}

/**
 * The server answered with a non-success response code. Only SYSTEM_BUSY (pool overload) is
 * retriable; other codes (TOPIC_NOT_EXIST, NO_PERMISSION, SYSTEM_ERROR, ...) are answers, and
 * asking again gives the same one.
 */
export class ResponseError extends NsClientError {
  override name = 'ResponseError';
  readonly responseCode: number;
  readonly remark: string | undefined;
  readonly requestCode: number | undefined;
  readonly addr: string | undefined;
  constructor(
    responseCode: number,
    remark: string | undefined,
    details: ResponseErrorDetails = {},
  ) {
    const where = details.addr === undefined ? '' : ` from ${details.addr}`;
    const what = details.requestCode === undefined ? '' : ` to request ${details.requestCode}`;
    super(
      'NS_RESPONSE_ERROR',
      `response code ${responseCode}${what}${where}${remark ? `: ${remark}` : ''}`,
      { retriable: responseCode === SYSTEM_BUSY },
    );
    this.responseCode = responseCode;
    this.remark = remark;
    this.requestCode = details.requestCode;
    this.addr = details.addr;
  }
}

/**
 * The peer broke the protocol: an undecodable frame, a response to an unknown opaque, a body that
 * is not what the request code promises. Not retriable: the same peer will do it again.
 */
export class ProtocolViolationError extends NsClientError {
  override name = 'ProtocolViolationError';
  readonly addr: string | undefined;
  constructor(message: string, options: ErrorOptions & { readonly addr?: string } = {}) {
    super(
      'NS_PROTOCOL_VIOLATION',
      message,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.addr = options.addr;
  }
}
