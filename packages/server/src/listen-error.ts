/**
 * A port that cannot be bound at startup, worded for the operator: the address, the configuration
 * key to change and the OS error, e.g. `cannot listen on 0.0.0.0:9876 (listenPort): EADDRINUSE`.
 * The transport and the HTTP server know nothing of configuration keys; the composition root
 * knows which keys it gave them.
 */
import { HttpAdminError } from './http/index.js';
import { NameServerError } from './name-server-error.js';
import { TransportError } from './transport/transport-error.js';

/** Which configuration keys chose the address that failed. */
export interface ListenKeys {
  readonly port: 'listenPort' | 'httpPort';
  readonly address: 'bindAddress' | 'httpBindAddress';
}

/** OS errors that are about the address, not the port (no such local address or host name). */
const ADDRESS_ERRORS: ReadonlySet<string> = new Set([
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
]);

function osErrorOf(err: Error): { code: string | undefined; message: string } {
  const cause = err.cause instanceof Error ? err.cause : err;
  const code = (cause as NodeJS.ErrnoException).code;
  return { code: typeof code === 'string' ? code : undefined, message: cause.message };
}

/**
 * The startup error for a failed bind of `host:port`, or `err` unchanged when it is not a bind
 * failure (state errors and bugs keep their own message).
 */
export function listenFailure(err: unknown, keys: ListenKeys, host: string, port: number): unknown {
  const isBindFailure =
    (err instanceof TransportError && err.code === 'NS_LISTEN_FAILED') ||
    (err instanceof HttpAdminError && err.code === 'NS_HTTP_LISTEN_FAILED');
  if (!isBindFailure) return err;
  const os = osErrorOf(err);
  const key = os.code !== undefined && ADDRESS_ERRORS.has(os.code) ? keys.address : keys.port;
  // The likeliest cause of a taken listenPort on a host with several nodes: another node's HTTP
  // port, which defaults to its listenPort + 1.
  const hint =
    key === 'listenPort' && os.code === 'EADDRINUSE'
      ? ' (nodes sharing a host need listenPorts at least 2 apart: each also takes listenPort + 1 for httpPort)'
      : '';
  return new NameServerError(
    keys.port === 'listenPort' ? 'NS_STARTUP_LISTEN' : 'NS_STARTUP_HTTP',
    `cannot listen on ${host}:${port} (${key}): ${os.code ?? os.message}${hint}`,
    { cause: err },
  );
}
