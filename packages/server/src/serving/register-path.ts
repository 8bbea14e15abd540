/**
 * REGISTER_BROKER as a serving side handles it: the body is checked and decoded in this process's
 * decode thread (against the broker's previous body, so a re-registration costs what changed),
 * then only the header and the compact result go to the registry owner. Neither the serving
 * event loop nor the owner ever parses a large body.
 *
 * Writes of one connection reach the owner in the order they arrived, as if there were no detour:
 * a write (or the connection's close) that follows a registration still being decoded waits for
 * that registration to be handed over first — and, should the owner send it back ('resend'), for
 * it to be handed over again.
 */
import {
  decodeRegisterBrokerRequestHeader,
  decodeUnRegisterBrokerRequestHeader,
  RequestCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { RequestContext } from '../handlers/request-context.js';
import { liveKey } from '../route/broker-live-info.js';
import type { ConnectionId } from '../transport/types.js';
import { groupKey, resendBaseOf } from './decode/decoded-registration.js';
import type { DecodedRegistration, OpenRegistration } from './decode/decoded-registration.js';
import type { RegisterBodyDecoder } from './decode/register-body-decoder.js';
import type { RegisterDecodeKind } from '../metrics.js';

const KIND_OF: Record<OpenRegistration['kind'], RegisterDecodeKind> = {
  full: 'full',
  delta: 'delta',
  unchanged: 'unchanged',
  'crc-mismatch': 'invalid',
  undecodable: 'invalid',
};

/** The metric's kind of a decode, sealed or not. */
export const decodeKindOf = (d: DecodedRegistration): RegisterDecodeKind =>
  KIND_OF[d.kind === 'sealed' ? d.of : d.kind];

/** The registry owner's side of it (see RegistryPort). */
export interface RegisterTarget {
  execute(request: RemotingCommand, ctx: RequestContext): Promise<RemotingCommand | null>;
  /** 'resend': the owner lacks the base a delta was made against; send a full decode. */
  register(
    request: RemotingCommand,
    ctx: RequestContext,
    decoded: DecodedRegistration,
  ): Promise<RemotingCommand | null | 'resend'>;
}

export class RegisterPath {
  /**
   * Per connection: settles once its latest registration has been handed to the owner for good
   * (see `register`). Never rejects.
   */
  private readonly handedOver = new Map<ConnectionId, Promise<void>>();

  /**
   * Connections that closed while a registration of theirs was still being decoded (until their
   * close reaches the owner). Such a registration is not handed over: nobody is left to read its
   * answer, and applying it would bind the broker's liveness to a dead connection, whose close
   * then removes the broker — even when the broker meanwhile registered again on a new connection
   * (reviewer: owner paused 40 s, agents' timed-out registrations on their old connections were
   * applied after the acknowledged ones on the new, and 2 of 3 brokers vanished until the next
   * period). Other writes still go (an unregister the broker sent before leaving must count).
   */
  private readonly closedWhileDecoding = new Set<ConnectionId>();

  /**
   * Resolves once every write received so far has been handed to the registry owner: a write
   * after a registration waits for that registration's decode, even when its connection closed.
   */
  async handedOverAll(): Promise<void> {
    // The entries as they are now: each is chained behind its connection's earlier writes, and a
    // write received meanwhile hangs off one of them. Waiting until the map is empty never ended
    // while registrations kept coming (review finding).
    await Promise.all([...this.handedOver.values()]);
  }

  constructor(
    private readonly target: RegisterTarget,
    private readonly decoder: RegisterBodyDecoder,
    private readonly maxInflatedBytes: () => number,
    private readonly observe: (kind: RegisterDecodeKind) => void = () => undefined,
  ) {}

  /** REGISTER_BROKER. */
  register(request: RemotingCommand, ctx: RequestContext): Promise<RemotingCommand | null> {
    let header;
    try {
      header = decodeRegisterBrokerRequestHeader(request.extFields);
    } catch {
      // The owner's handler answers the missing or malformed field, as Java does.
      return this.write(request, ctx);
    }
    const key = liveKey(header.clusterName, header.brokerAddr);
    const bodyLength = request.body?.length ?? 0;
    const decode = (): Promise<DecodedRegistration> =>
      this.decoder
        .decode({
          key,
          connectionId: ctx.connectionId,
          body: request.body,
          compressed: header.compressed,
          version: request.version,
          crc: header.bodyCrc32,
          maxInflatedBytes: this.maxInflatedBytes(),
          group: groupKey(header.clusterName, header.brokerName),
        })
        .then((decoded) => {
          this.observe(decodeKindOf(decoded));
          return decoded;
        });
    // The body stays here: the owner gets the header and what the decode thread made of it.
    const headerOnly: RemotingCommand = { ...request, body: null };
    const id = ctx.connectionId;
    let reply: Promise<RemotingCommand | null | 'resend'> | null = null;
    let failure: unknown = null;
    let first: DecodedRegistration | null = null;
    // What the connection's later writes (and its close) wait for: this registration handed over
    // for good — answered by the owner with anything but 'resend', or handed over again after
    // one. Not just the first hand-over: a registration the owner sends back is decoded in full
    // and registered again, and an unregister or the close that arrived meanwhile must still
    // reach the owner after it (else the retry re-registers a broker that already left).
    let release!: () => void;
    const settled = new Promise<void>((resolve) => (release = resolve));
    // Handed over once the decode is done and every earlier write of the connection was.
    const handed = Promise.all([this.handedOver.get(id), decode()]).then(
      ([, decoded]) => {
        first = decoded;
        reply = this.closedWhileDecoding.has(id)
          ? Promise.resolve(null)
          : this.target.register(headerOnly, ctx, decoded);
      },
      (err: unknown) => {
        failure = err;
      },
    );
    this.handedOver.set(id, settled);
    void settled.then(() => {
      if (this.handedOver.get(id) === settled) this.handedOver.delete(id);
    });
    return handed
      .then(async () => {
        if (reply === null) throw failure instanceof Error ? failure : new Error(String(failure));
        const answer = await reply;
        if (answer !== 'resend') return answer;
        // The owner holds another base for this broker (it registered through another serving
        // process, or left and came back, meanwhile): start over from the whole body, which the
        // decode thread decodes in full from its copy (a large body was moved there, see
        // RegisterBodyDecoder.decode).
        this.observe('resend');
        let again: Promise<RemotingCommand | null | 'resend'>;
        try {
          const full = await this.decodeInFull(key, first!, request, bodyLength, id, decode);
          again = this.closedWhileDecoding.has(id)
            ? Promise.resolve(null)
            : this.target.register(headerOnly, ctx, full);
        } finally {
          release();
        }
        const answerAgain = await again;
        if (answerAgain === 'resend') throw new Error('registry owner refused a full registration');
        return answerAgain;
      })
      .finally(release);
  }

  /** The whole body of a registration first decoded as `first` (a delta or "unchanged"). */
  private async decodeInFull(
    key: string,
    first: DecodedRegistration,
    request: RemotingCommand,
    bodyLength: number,
    connectionId: ConnectionId,
    decode: () => Promise<DecodedRegistration>,
  ): Promise<DecodedRegistration> {
    const base = resendBaseOf(first);
    if (base !== null) {
      const full = await this.decoder.decodeBaseInFull(key, base, connectionId);
      this.observe(decodeKindOf(full));
      return full;
    }
    // Only deltas and unchanged bodies (sealed or not) refer to a base the owner may lack, so
    // the owner never sends anything else back; should it, decode the body again — unless it
    // was moved away.
    if (bodyLength !== (request.body?.length ?? 0)) {
      throw new Error('registration body moved to the decode thread; cannot decode it again');
    }
    this.decoder.forget(key, connectionId);
    return decode();
  }

  /** Any other write: straight to the owner, unless a registration of the connection is ahead. */
  write(request: RemotingCommand, ctx: RequestContext): Promise<RemotingCommand | null> {
    if (request.code === RequestCode.UNREGISTER_BROKER) this.forgetBaseOf(request, ctx);
    const ahead = this.handedOver.get(ctx.connectionId);
    if (ahead === undefined) return this.target.execute(request, ctx);
    return ahead.then(() => this.target.execute(request, ctx));
  }

  /**
   * UNREGISTER_BROKER: the decode thread drops the broker's base (otherwise a connection that
   * registers and unregisters many broker names would keep every body it sent, inflated). Told
   * when the unregister arrives, so it reaches the thread after the decodes of every earlier
   * registration of the connection and before those of any later one: a registration after the
   * unregister decodes in full, which the owner needs anyway once the broker is gone. If the
   * owner ignores the unregister (stale), that full decode is all it costs.
   */
  private forgetBaseOf(request: RemotingCommand, ctx: RequestContext): void {
    let header;
    try {
      header = decodeUnRegisterBrokerRequestHeader(request.extFields);
    } catch {
      return; // The owner's handler answers the missing or malformed field.
    }
    this.decoder.forget(liveKey(header.clusterName, header.brokerAddr), ctx.connectionId);
  }

  /** The connection closed: run `then` once its registrations have been handed over. */
  connectionClosed(id: ConnectionId, then: () => void): void {
    this.decoder.connectionClosed(id);
    const ahead = this.handedOver.get(id);
    if (ahead === undefined) {
      then();
      return;
    }
    this.closedWhileDecoding.add(id);
    void ahead.then(() => {
      this.closedWhileDecoding.delete(id);
      then();
    });
  }
}
