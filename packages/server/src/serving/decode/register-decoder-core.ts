/**
 * What the decode thread (register-decode-thread.ts) does with a REGISTER_BROKER body, without the
 * thread: checks its CRC32, inflates it (within the configured budget) and decodes it against the
 * previous body of the same broker, so a re-registration costs what changed, not what it carries.
 * Kept apart from the thread's wiring (workerData, parentPort) so that tests can run the very same
 * logic in-process (test/register-fuzz.test.ts compares it, with the registry owner, against the
 * inline decode).
 *
 * It keeps one base per broker (cluster + address); it forgets a broker's base when the broker
 * unregisters (or the owner lost step with it), and the bases of a connection when it closes. A
 * broker without a base of its own (a slave joining, a broker back on a new connection) is decoded
 * against the last base of its group (same cluster and broker name) when there is one: a master
 * and its slaves send the same topic table (the slave copies the master's), so a slave's first
 * body of 50,000 topics is a delta of a few entries instead of a full decode of 8 MB.
 */
import {
  bodyCrc32,
  BodyDecodeError,
  decodeRegisterBodyOfBase,
  decodeRegisterBodyWithBase,
  InflatedBodyTooLargeError,
  isSameRegisterBody,
  REGISTER_BODY_MIN_VERSION,
} from '@ns/protocol';
import { namedLimit } from '../../handlers/inflate-limit.js';
import type {
  RegisterBodyBase,
  RegisterBrokerBody,
  TopicConfigSerializeWrapper,
} from '@ns/protocol';
import { toRows } from './decoded-registration.js';
import type { BodyExtras, OpenRegistration } from './decoded-registration.js';

/** A body to decode (the thread's DecodeJob without its message fields). */
export interface DecodeInput {
  /** liveKey(cluster, brokerAddr): whose base to use. */
  readonly key: string;
  readonly connectionId: number;
  readonly body: Uint8Array | null;
  readonly compressed: boolean;
  readonly version: number;
  /** The header's bodyCrc32; 0 = not checked (Java). */
  readonly crc: number;
  readonly maxInflatedBytes: number;
  /**
   * groupKey(cluster, brokerName): whose base serves when the broker has none of its own (see the
   * module comment); absent: none does.
   */
  readonly group?: string;
}

interface KeptBase {
  readonly id: string;
  readonly base: RegisterBodyBase;
  readonly connectionId: number;
  /** The request version the body came with. */
  readonly version: number;
  /** The header's bodyCrc32 the body was checked against (0: not checked). */
  readonly crc: number;
  readonly group: string | undefined;
}

export class RegisterDecoderCore {
  private readonly bases = new Map<string, KeptBase>();
  /** group → the broker (key) of that group whose base was kept last. */
  private readonly groupLatest = new Map<string, string>();
  private nextBase = 1;

  /**
   * @param decoderId prefix of the base numbers this decoder hands out (unique per thread start,
   *   see RegisterBodyDecoder), so the owner never mistakes one decoder's base for another's.
   */
  constructor(private readonly decoderId: string) {}

  /** How many bases are kept. */
  get size(): number {
    return this.bases.size;
  }

  decode(job: DecodeInput): OpenRegistration {
    const body =
      job.body === null ? null : Buffer.from(job.body.buffer, job.body.byteOffset, job.body.length);
    const kept = this.bases.get(job.key);
    const usable =
      kept !== undefined && kept.connectionId === job.connectionId ? kept : this.groupBase(job);
    const options = {
      compressed: job.compressed,
      version: job.version,
      maxInflatedBytes: job.maxInflatedBytes,
      // A new broker's table straight to rows: no string or object per topic made here.
      rows: true,
    };
    // The bytes this broker sent last, with the CRC they were checked against: the same bytes have
    // the same CRC, so it passes without being computed again (for an unchanged body, the periodic
    // re-registration, the CRC was most of the thread's work: 3 ms for 8 MB), and nothing changed.
    if (
      usable !== undefined &&
      body !== null &&
      usable.crc === job.crc &&
      isSameRegisterBody(usable.base, body, options)
    ) {
      // A group member's base becomes this broker's too (the owner finds its rows by number).
      if (usable !== kept) this.keep(job, usable.id, usable.base);
      return { kind: 'unchanged', base: usable.id };
    }
    // Java checks the CRC first (0 = "not checked"), before anything else is done with the body.
    if (job.crc !== 0 && bodyCrc32(body) !== job.crc) return { kind: 'crc-mismatch' };
    let decoded;
    try {
      decoded = decodeRegisterBodyWithBase(body, options, usable?.base ?? null);
    } catch (err) {
      this.drop(job.key);
      if (err instanceof InflatedBodyTooLargeError) {
        const named = namedLimit(err);
        return { kind: 'undecodable', message: named.message, inflateLimit: named.limit };
      }
      if (err instanceof BodyDecodeError) return { kind: 'undecodable', message: err.message };
      throw err;
    }
    const { delta, base } = decoded;
    if (delta.kind === 'unchanged') {
      // The same bytes: same base, same number (the base object may have learnt the wire form).
      this.keep(job, usable!.id, base!);
      return { kind: 'unchanged', base: usable!.id };
    }
    const id = base === null ? null : `${this.decoderId}:${this.nextBase++}`;
    if (id === null) this.drop(job.key);
    else this.keep(job, id, base!);
    if (delta.kind === 'full') return fullResult(id, delta.body, job.version);
    if (delta.kind === 'rows') {
      // Only bodies of a version that carries the filter-server list are answered as rows.
      const wrapper = delta.body.topicConfigSerializeWrapper;
      return {
        kind: 'full',
        base: id,
        rows: delta.rows,
        ...extras(wrapper, delta.body.filterServerList),
      };
    }
    return {
      kind: 'delta',
      from: usable!.id,
      base: id!,
      upserts: toRows(delta.upserts, delta.upserts.length),
      removed: delta.removed,
      inserted: delta.inserted,
      upsertAt: delta.upsertAt,
      continues: delta.continues,
      ...extras(delta, delta.filterServerList),
    };
  }

  /**
   * Decodes in full the body that base `baseId` of broker `key` was made from (the registry owner
   * did not hold the base a delta or an unchanged answer referred to, and the serving side no
   * longer has the body: it moved it to the thread).
   */
  fullOfBase(key: string, baseId: string): OpenRegistration {
    const kept = this.bases.get(key);
    if (kept === undefined || kept.id !== baseId) {
      // Another body of this broker was decoded since (or it left): this registration cannot be
      // applied; the broker's next one is.
      return {
        kind: 'undecodable',
        message: 'registration body no longer held: the broker registered again meanwhile',
      };
    }
    return fullResult(kept.id, decodeRegisterBodyOfBase(kept.base), kept.version);
  }

  /** Drops the bases kept for bodies that came on `connectionId` (it closed). */
  connectionClosed(connectionId: number): void {
    for (const [key, kept] of this.bases) {
      if (kept.connectionId === connectionId) this.drop(key);
    }
  }

  /** Drops broker `key`'s base (it unregistered). */
  forget(key: string): void {
    this.drop(key);
  }

  /** The base of the broker of `job`'s group that registered last, if another one. */
  private groupBase(job: DecodeInput): KeptBase | undefined {
    if (job.group === undefined) return undefined;
    const key = this.groupLatest.get(job.group);
    return key === undefined || key === job.key ? undefined : this.bases.get(key);
  }

  private keep(job: DecodeInput, id: string, base: RegisterBodyBase): void {
    this.bases.set(job.key, {
      id,
      base,
      connectionId: job.connectionId,
      version: job.version,
      crc: job.crc,
      group: job.group,
    });
    if (job.group !== undefined) this.groupLatest.set(job.group, job.key);
  }

  private drop(key: string): void {
    const kept = this.bases.get(key);
    if (kept === undefined) return;
    this.bases.delete(key);
    if (kept.group !== undefined && this.groupLatest.get(kept.group) === key) {
      this.groupLatest.delete(kept.group);
    }
  }
}

function fullResult(
  base: string | null,
  body: RegisterBrokerBody,
  version: number,
): OpenRegistration {
  const wrapper = body.topicConfigSerializeWrapper;
  const table = wrapper.topicConfigTable;
  let renamed = false;
  for (const [key, tc] of table) if (key !== tc.topicName) renamed = true;
  return {
    kind: 'full',
    base,
    rows: toRows(table.values(), table.size),
    ...(renamed ? { keys: [...table.keys()] } : {}),
    // Java's pre-3.0.11 path passes no filter-server list at all (null = leave untouched).
    ...extras(wrapper, version < REGISTER_BODY_MIN_VERSION ? null : body.filterServerList),
  };
}

/** The body's parts besides the table, as DecodedRegistration carries them. */
function extras(
  wrapper: Pick<
    TopicConfigSerializeWrapper,
    'dataVersion' | 'mappingDataVersion' | 'topicQueueMappingInfoMap' | 'topicQueueMappingDetailMap'
  >,
  filterServerList: string[] | null,
): BodyExtras {
  return {
    dataVersion: wrapper.dataVersion,
    filterServerList,
    ...(wrapper.mappingDataVersion === undefined
      ? {}
      : { mappingDataVersion: wrapper.mappingDataVersion }),
    ...(wrapper.topicQueueMappingInfoMap === undefined
      ? {}
      : { topicQueueMappingInfoMap: wrapper.topicQueueMappingInfoMap }),
    ...(wrapper.topicQueueMappingDetailMap === undefined
      ? {}
      : { topicQueueMappingDetailMap: wrapper.topicQueueMappingDetailMap }),
  };
}
