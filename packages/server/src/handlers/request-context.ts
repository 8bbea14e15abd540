import type { TopicConfig } from '@ns/protocol';
import type { RegisteredTopicTable } from '../route/types.js';

/**
 * A REGISTER_BROKER body the serving side already checked and decoded (in its decode thread) and
 * the registry owner turned into the table to apply (registry/registration-bases.ts).
 */
export type PreDecodedBody =
  | { readonly kind: 'crc-mismatch' }
  /** `inflateLimit`: the body inflates past maxInflatedRegisterBodyBytes (that many bytes). */
  | { readonly kind: 'undecodable'; readonly message: string; readonly inflateLimit?: number }
  | {
      readonly kind: 'body';
      /** Equal tags ⇔ byte-identical bodies of this broker (the route manager's fast path). */
      readonly tag: string;
      readonly wrapper: RegisteredTopicTable;
      readonly filterServerList: readonly string[] | null;
      readonly changedSince?: {
        readonly tag: string;
        readonly topics: readonly string[];
        /** The table's configs of `topics`, in the same order. */
        readonly configs: readonly TopicConfig[];
        readonly removed: readonly string[];
      };
    };

/**
 * Lets a write that touches many topics (a registration of a large body) stop between parts of
 * its work: `due()` says the current slice of event-loop time is used up; `breathe()` resolves
 * once pending I/O (reads on every connection) has had its turn, and starts the next slice. The
 * registry owner keeps its write queue held meanwhile, so no other write sees the partial state.
 */
export interface WritePace {
  /** A property, not a method: it is handed around on its own. */
  readonly due: () => boolean;
  breathe(): Promise<void>;
  /**
   * QueueData a removal makes before the owner's next slice (UNREGISTER_BROKER of a broker name
   * with many topics); the owner removes the rest, slice by slice, before it answers.
   */
  readonly removalsPerSlice: number;
}

/**
 * What a handler knows about where a request came from. The transport fills it per frame.
 * Brokers are identified for liveness by `connectionId` (Java: the Netty channel), never by the
 * socket's remote address, which has an ephemeral port.
 */
export interface RequestContext {
  /** Opaque id the node gives each TCP connection (unique across its serving workers). */
  connectionId: number;
  /** `ip:port` of the peer, for logs only. */
  remoteAddress: string;
  /**
   * When the transport cut the request's frame (ms, Date.now), so a write applied later (queued
   * behind others at the registry owner) can still be ordered against registrations: a stale
   * UNREGISTER_BROKER is recognised by it (apache/rocketmq#11043). Absent = "now".
   */
  receivedAt?: number;
  /** REGISTER_BROKER only: its body, decoded off the event loop (absent: decode it here). */
  preDecoded?: PreDecodedBody;
  /**
   * Registry owner only: how a long write shares the event loop with the reads served in the same
   * process (see WritePace). Absent: the write runs in one go.
   */
  pace?: WritePace;
  /** The connection's TLS client certificate, when it was verified (access checks only). */
  clientCert?: { readonly subject: string; readonly fingerprint256: string } | null;
}
