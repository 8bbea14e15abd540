/**
 * The decode thread of a serving process (started by register-body-decoder.ts; never run by hand):
 * checks a REGISTER_BROKER body's CRC32, inflates it (within the configured budget) and decodes it
 * against the previous body of the same broker, so a re-registration costs what changed, not what
 * it carries — and none of it runs on the event loop that answers lookups.
 *
 * It keeps one base per broker (cluster + address); it forgets a broker's base when the broker
 * unregisters (or the owner lost step with it), and the bases of a connection when it closes (a
 * broker that comes back on another connection starts again from a full decode).
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
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
import { seal, toRows } from './decoded-registration.js';
import type { BodyExtras, DecodedRegistration, OpenRegistration } from './decoded-registration.js';

export interface DecodeJob {
  readonly t: 'decode';
  readonly id: number;
  /** liveKey(cluster, brokerAddr): whose base to use. */
  readonly key: string;
  readonly connectionId: number;
  readonly body: Uint8Array | null;
  readonly compressed: boolean;
  readonly version: number;
  /** The header's bodyCrc32; 0 = not checked (Java). */
  readonly crc: number;
  readonly maxInflatedBytes: number;
}

/**
 * Decode in full the body that base `base` of broker `key` was made from (the registry owner did
 * not hold the base a delta or an unchanged answer referred to, and the serving side no longer has
 * the body: it moved it here).
 */
export interface FullOfBaseJob {
  readonly t: 'full-of-base';
  readonly id: number;
  readonly key: string;
  readonly base: string;
}

export type ThreadMessage =
  | DecodeJob
  | FullOfBaseJob
  | { readonly t: 'connection-closed'; readonly connectionId: number }
  | { readonly t: 'forget'; readonly key: string }
  | { readonly t: 'count-bases'; readonly id: number };

export type ThreadAnswer =
  /** `seconds`: the thread's time for it (CRC, inflate, decode, sealing). */
  | { readonly id: number; readonly result: DecodedRegistration; readonly seconds: number }
  /** To 'count-bases' (tests): how many bases the thread keeps. */
  | { readonly id: number; readonly bases: number };

interface KeptBase {
  readonly id: string;
  readonly base: RegisterBodyBase;
  readonly connectionId: number;
  /** The request version the body came with. */
  readonly version: number;
  /** The header's bodyCrc32 the body was checked against (0: not checked). */
  readonly crc: number;
}

const { decoderId, nice } = workerData as { decoderId: string; nice: number };

// Nicer than the event loop that started it (see DECODE_THREAD_NICE). Linux only: Linux keeps a
// nice value per thread, and `setPriority` with no pid sets the calling thread's; elsewhere
// (macOS, Windows) it would lower the whole process, event loop included.
if (process.platform === 'linux') {
  try {
    setPriority(Math.min(19, getPriority() + nice));
  } catch {
    // Not permitted (a sandbox): decodes then compete as equals, as before.
  }
}

const bases = new Map<string, KeptBase>();
let nextBase = 1;

function decode(job: DecodeJob): OpenRegistration {
  const body =
    job.body === null ? null : Buffer.from(job.body.buffer, job.body.byteOffset, job.body.length);
  const kept = bases.get(job.key);
  const usable = kept !== undefined && kept.connectionId === job.connectionId ? kept : undefined;
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
    return { kind: 'unchanged', base: usable.id };
  }
  // Java checks the CRC first (0 = "not checked"), before anything else is done with the body.
  if (job.crc !== 0 && bodyCrc32(body) !== job.crc) return { kind: 'crc-mismatch' };
  let decoded;
  try {
    decoded = decodeRegisterBodyWithBase(body, options, usable?.base ?? null);
  } catch (err) {
    bases.delete(job.key);
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
    bases.set(job.key, {
      id: usable!.id,
      base: base!,
      connectionId: job.connectionId,
      version: job.version,
      crc: job.crc,
    });
    return { kind: 'unchanged', base: usable!.id };
  }
  const id = base === null ? null : `${decoderId}:${nextBase++}`;
  if (id === null) bases.delete(job.key);
  else
    bases.set(job.key, {
      id,
      base: base!,
      connectionId: job.connectionId,
      version: job.version,
      crc: job.crc,
    });
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

function fullOfBase(job: FullOfBaseJob): OpenRegistration {
  const kept = bases.get(job.key);
  if (kept === undefined || kept.id !== job.base) {
    // Another body of this broker was decoded since (or it left): this registration cannot be
    // applied; the broker's next one is.
    return {
      kind: 'undecodable',
      message: 'registration body no longer held: the broker registered again meanwhile',
    };
  }
  return fullResult(kept.id, decodeRegisterBodyOfBase(kept.base), kept.version);
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

/**
 * Answers a decode begun at `started` (performance.now()): a large result sealed here, its bytes
 * moved (not copied) to the event loop.
 */
function answer(id: number, result: OpenRegistration, started: number): void {
  const sealed = seal(result);
  const moved =
    sealed.kind === 'sealed' && sealed.bytes.byteLength === sealed.bytes.buffer.byteLength
      ? [sealed.bytes.buffer as ArrayBuffer]
      : [];
  const seconds = (performance.now() - started) / 1000;
  port.postMessage({ id, result: sealed, seconds } satisfies ThreadAnswer, moved);
}

const port = parentPort!;
port.on('message', (msg: ThreadMessage) => {
  switch (msg.t) {
    case 'decode': {
      const started = performance.now();
      let result: OpenRegistration;
      try {
        result = decode(msg);
      } catch (err) {
        result = { kind: 'undecodable', message: err instanceof Error ? err.message : String(err) };
      }
      answer(msg.id, result, started);
      return;
    }
    case 'full-of-base': {
      const started = performance.now();
      let result: OpenRegistration;
      try {
        result = fullOfBase(msg);
      } catch (err) {
        result = { kind: 'undecodable', message: err instanceof Error ? err.message : String(err) };
      }
      answer(msg.id, result, started);
      return;
    }
    case 'connection-closed':
      for (const [key, kept] of bases) {
        if (kept.connectionId === msg.connectionId) bases.delete(key);
      }
      return;
    case 'forget':
      bases.delete(msg.key);
      return;
    case 'count-bases':
      port.postMessage({ id: msg.id, bases: bases.size } satisfies ThreadAnswer);
      return;
  }
});
