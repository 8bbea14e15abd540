/**
 * What a handler knows about where a request came from. The transport (E1) fills it per frame.
 * Brokers are identified for liveness by `connectionId` (Java: the Netty channel), never by the
 * socket's remote address, which has an ephemeral port.
 */
export interface RequestContext {
  /** Opaque id the transport gives each TCP connection. */
  connectionId: number;
  /** `ip:port` of the peer, for logs only. */
  remoteAddress: string;
}
