/**
 * How the remoting client obtains a socket. Injectable so tests can simulate connects that never
 * complete, resets and other failures without real network tricks (kafkajs `socketFactory`).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface SocketTarget {
  /** Host without brackets (ready for net.connect). */
  readonly host: string;
  readonly port: number;
  /** The `host:port` form the caller used, for logs. */
  readonly addr: string;
}

/**
 * Returns a socket that is connecting (or connected) to `target`. The client waits for its
 * `connect` event, bounded by its own connect timeout, and destroys it on failure.
 */
export type SocketFactory = (target: SocketTarget) => Socket;

export const defaultSocketFactory: SocketFactory = ({ host, port }) =>
  // Nagle would delay small request frames behind unacknowledged ones; Java sets TCP_NODELAY too.
  connect({ host, port, noDelay: true });
