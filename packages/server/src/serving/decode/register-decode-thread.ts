/**
 * The decode thread of a serving process (started by register-body-decoder.ts; never run by hand):
 * checks a REGISTER_BROKER body's CRC32, inflates it (within the configured budget) and decodes it
 * against the previous body of the same broker, so a re-registration costs what changed, not what
 * it carries — and none of it runs on the event loop that answers lookups.
 *
 * The decoding itself, and the per-broker bases it keeps, are RegisterDecoderCore's
 * (register-decoder-core.ts); this file wires one to the thread's port, seals large results and
 * moves their bytes to the event loop.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { seal } from './decoded-registration.js';
import type { DecodedRegistration, OpenRegistration } from './decoded-registration.js';
import { RegisterDecoderCore } from './register-decoder-core.js';
import type { DecodeInput } from './register-decoder-core.js';

export interface DecodeJob extends DecodeInput {
  readonly t: 'decode';
  readonly id: number;
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

const core = new RegisterDecoderCore(decoderId);

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
        result = core.decode(msg);
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
        result = core.fullOfBase(msg.key, msg.base);
      } catch (err) {
        result = { kind: 'undecodable', message: err instanceof Error ? err.message : String(err) };
      }
      answer(msg.id, result, started);
      return;
    }
    case 'connection-closed':
      core.connectionClosed(msg.connectionId);
      return;
    case 'forget':
      core.forget(msg.key);
      return;
    case 'count-bases':
      port.postMessage({ id: msg.id, bases: core.size } satisfies ThreadAnswer);
      return;
  }
});
