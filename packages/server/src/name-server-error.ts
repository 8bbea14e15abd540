/**
 * Errors of the NameServer's lifecycle. `main.ts` maps them to exit code 2 (startup failure),
 * distinct from configuration errors (exit 1).
 */
export type NameServerErrorCode =
  /** The KV config file exists but cannot be read or parsed; it is left untouched. */
  | 'NS_STARTUP_KV_CONFIG'
  /** The remoting port could not be bound (in use, no permission, bad address). */
  | 'NS_STARTUP_LISTEN'
  /** The HTTP admin port could not be bound. */
  | 'NS_STARTUP_HTTP'
  /** An acl* or tls* setting, the credentials file or a certificate file is unusable. */
  | 'NS_STARTUP_SECURITY'
  /** start() called twice, or after close(). */
  | 'NS_STATE'
  /** UPDATE_NAMESRV_CONFIG could not write configStorePath; the old config stays in force. */
  | 'NS_CONFIG_PERSIST_FAILED';

export class NameServerError extends Error {
  override name = 'NameServerError';
  readonly code: NameServerErrorCode;
  constructor(code: NameServerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
