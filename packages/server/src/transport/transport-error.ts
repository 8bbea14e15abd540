/** Errors of the TCP transport itself (binding, options); per-connection errors are only logged. */
export type TransportErrorCode = 'NS_LISTEN_FAILED' | 'NS_TRANSPORT_OPTION' | 'NS_TRANSPORT_STATE';

export class TransportError extends Error {
  override name = 'TransportError';
  readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
