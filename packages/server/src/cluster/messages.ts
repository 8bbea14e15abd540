/**
 * What the owner process and its serving worker processes say to each other over the IPC channel
 * (`serialization: 'advanced'`, so Buffers and Maps travel as they are). One union per direction;
 * both sides switch on `t`.
 */
import { deserialize, serialize } from 'node:v8';
import type { RemotingCommand, SerializeType } from '@ns/protocol';
import type { LanguageName } from '@ns/protocol';
import type { NamesrvConfig } from '../config/index.js';
import type { IssuedCertificate } from '../security/tls/certificate-factory.js';
import { opWidth } from '../registry/ops.js';
import type { RegistrySnapshot } from '../registry/registry-owner.js';
import type { DecodedRegistration } from '../serving/decode/decoded-registration.js';

/** A request command as it crosses the channel (ext fields as pairs: no prototype games). */
export interface WireCommand {
  code: number;
  language: LanguageName | null;
  version: number;
  opaque: number;
  flag: number;
  remark: string | null;
  ext: [string, string][] | null;
  body: Uint8Array | null;
  serializeType: SerializeType;
}

export type OwnerToWorker =
  | {
      t: 'init';
      workerId: number;
      config: NamesrvConfig;
      /** The node's self-signed certificate, when TLS is on and none is configured. */
      selfSigned: IssuedCertificate | null;
      /** Serving processes of the node (each takes its share of maxPartialFrameBytes). */
      servingProcesses: number;
      /** When the node started (epoch ms): needWaitForService counts from it, not the worker's. */
      nodeStartedAt: number;
      /**
       * The owner's clock anchor (steady-clock.ts): every process of the node reads one time, so
       * a worker's `receivedAt` compares with the owner's stamps even after a wall-clock step.
       */
      clockAnchor: number;
      /**
       * The credentials and certificate files as they last passed the owner's check (path →
       * bytes): what the worker starts from when the files on disk do not pass its own (see
       * security/file-stand-ins.ts).
       */
      securityFiles: Record<string, Uint8Array> | null;
      /**
       * Whether this worker logs the security startup lines (policy, credentials, certificate in
       * use): only the node's first worker does, so they appear once per node, not once per
       * process. Each worker still logs its own reloads and refusals.
       */
      announce: boolean;
    }
  | { t: 'snapshot'; snapshot: RegistrySnapshot }
  /**
   * One part of op batch `seq`; `final` on the last part. `end` on the last part of what the owner
   * sent between two of its slices (Replica.enqueue: a worker's slice may end only there).
   */
  | { t: 'ops'; seq: number; final: boolean; end: boolean; bytes: Uint8Array }
  /** A connection handed over (the socket travels as the message's handle). */
  | { t: 'conn'; id: number }
  /** The answer to 'exec' or 'register'; `resend`: see RegistryOwner.register. */
  | { t: 'result'; rid: number; code: number; frame: Uint8Array | null; resend?: true }
  | { t: 'close-conn'; id: number }
  | { t: 'send'; id: number; frame: Uint8Array }
  | { t: 'metrics'; rid: number }
  | { t: 'shutdown'; graceMillis: number }
  /** Are you there? (silence-watch.ts) Answered 'pong'; also tells the worker its owner is. */
  | { t: 'ping' };

export type WorkerToOwner =
  | { t: 'ready' }
  | { t: 'ack'; seq: number }
  /** A handed-over connection is now served here (the owner closes its copy of the socket). */
  | { t: 'adopted'; id: number }
  | {
      t: 'exec';
      rid: number;
      connectionId: number;
      remoteAddress: string;
      receivedAt: number;
      cmd: WireCommand;
      /** REGISTER_BROKER only: its body as the worker's decode thread made it (cmd has none). */
      decoded?: DecodedRegistration;
    }
  | { t: 'conn-closed'; id: number }
  | { t: 'metrics'; rid: number; metrics: unknown }
  /** The worker's copy of the registry broke (it exits right after). */
  | { t: 'corrupt'; reason: string }
  | { t: 'pong' };

export function toWire(cmd: RemotingCommand): WireCommand {
  return {
    code: cmd.code,
    language: cmd.language,
    version: cmd.version,
    opaque: cmd.opaque,
    flag: cmd.flag,
    remark: cmd.remark,
    ext: cmd.extFields === null ? null : Object.entries(cmd.extFields),
    body: cmd.body,
    serializeType: cmd.serializeType,
  };
}

export function fromWire(w: WireCommand): RemotingCommand {
  let extFields: Record<string, string> | null = null;
  if (w.ext !== null) {
    extFields = Object.create(null) as Record<string, string>;
    for (const [k, v] of w.ext) extFields[k] = v;
  }
  return {
    code: w.code,
    language: w.language,
    version: w.version,
    opaque: w.opaque,
    flag: w.flag,
    remark: w.remark,
    extFields,
    body: w.body === null ? null : asBuffer(w.body),
    serializeType: w.serializeType,
  };
}

/** A Uint8Array that crossed the channel, viewed as a Buffer without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Ops per message part. A worker deserializes each part in one go (in the replay slice that
 * reaches it), so parts bound how long one decode holds its event loop: about a quarter of a
 * millisecond for this many.
 */
export const OPS_PER_PART = 4_096;

/**
 * A batch cut into serialized parts, never inside an op (done once, sent to every worker). At least
 * one part, empty for an empty batch: the final part is what a worker acknowledges.
 */
export function encodeOpParts(ops: readonly unknown[]): Uint8Array[] {
  if (ops.length === 0) return [serialize([])];
  const parts: Uint8Array[] = [];
  let from = 0;
  while (from < ops.length) {
    let i = from;
    while (i < ops.length && i - from < OPS_PER_PART) i += opWidth(ops, i);
    parts.push(serialize(ops.slice(from, i)));
    from = i;
  }
  return parts;
}

export function decodeOpPart(bytes: Uint8Array): unknown[] {
  return deserialize(asBuffer(bytes)) as unknown[];
}
