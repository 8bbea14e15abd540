/**
 * What an nsadmin verb is (options, context, failure) and the one-line error text every verb
 * prints; the verbs themselves are in verbs.ts and watch-topic-route.ts.
 */
import { responseCodeName } from '@ns/protocol';
import type { NameServerAdmin } from '../admin/name-server-admin.js';
import { ResponseError } from '../errors.js';

export type OptionSpec =
  | {
      readonly type: 'string';
      readonly short?: string;
      readonly description: string;
      /** May be given several times (the value is then a list). */
      readonly multiple?: boolean;
    }
  | { readonly type: 'boolean'; readonly short?: string; readonly description: string };

export type OptionValues = Readonly<Record<string, string | string[] | boolean | undefined>>;

export interface VerbContext {
  readonly admin: NameServerAdmin;
  readonly values: OptionValues;
  readonly json: boolean;
  readonly out: (text: string) => void;
  /** stderr, for progress of long-running verbs (failures are thrown, not written). */
  readonly err: (text: string) => void;
  /**
   * Aborted on SIGINT/SIGTERM (or when stdout is gone): verbs that run until interrupted stop
   * and succeed; other verbs are ended by main() itself (exit 128 + signal number).
   */
  readonly signal: AbortSignal;
}

/** Thrown by a verb when it ran but failed; the message is the one-line reason. */
export class VerbFailure extends Error {
  override name = 'VerbFailure';
}

export interface Verb {
  readonly name: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Long names of options that must be given. */
  readonly required: readonly string[];
  /**
   * Whether the verb, with these options, runs until interrupted (watchTopicRoute, clusterList
   * -i): it reads ctx.signal itself and an interrupt is its normal end (exit 0). Otherwise an
   * interrupt ends the verb where it is, with exit 128 + the signal number.
   */
  readonly untilInterrupted?: (values: OptionValues) => boolean;
  /** A usage error in the options (exit 2) that parsing cannot see, or undefined. */
  readonly validate?: (values: OptionValues) => string | undefined;
  run(ctx: VerbContext): Promise<void>;
}

/**
 * The abort reason of CliIo.signal for SIGINT/SIGTERM (what the bin gives it): a verb that does
 * not run until interrupted is ended at once with exitCode, as the JVM's mqadmin (130, 143).
 * An abort with any other reason (stdout gone) only stops the verbs that run until interrupted.
 */
export class Interrupted extends Error {
  override name = 'Interrupted';
  readonly exitCode: number;
  constructor(readonly signalName: 'SIGINT' | 'SIGTERM') {
    super(`interrupted (${signalName})`);
    this.exitCode = 128 + (signalName === 'SIGINT' ? 2 : 15);
  }
}

/**
 * Resolves with the Interrupted reason once `signal` is aborted with one; `dispose` removes the
 * listener (call it when the race is over).
 */
export function interruption(signal: AbortSignal | undefined): {
  readonly promise: Promise<Interrupted>;
  readonly dispose: () => void;
} {
  let dispose = (): void => undefined;
  const promise = new Promise<Interrupted>((resolve) => {
    if (signal === undefined) return;
    const check = (): boolean => {
      if (signal.reason instanceof Interrupted) resolve(signal.reason);
      return signal.aborted;
    };
    if (signal.aborted) {
      check();
      return;
    }
    const onAbort = (): void => {
      check();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    dispose = () => signal.removeEventListener('abort', onAbort);
  });
  return { promise, dispose: () => dispose() };
}

/**
 * Waits `ms`, or less when `signal` is aborted first; resolves false when aborted (a verb that
 * repeats until interrupted).
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * Characters that would break a line or a table, or drive the terminal (C0 and C1 controls, DEL,
 * bidirectional overrides), as visible escapes: text from a node (a KV value, a remark) is
 * printed for people, and must not rewrite their screen. JSON output is left exact.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * One line for an error: response codes by their Java name (like mqadmin's `CODE: 17 DESC: …`),
 * everything else by its message.
 */
export function describeError(err: Error): string {
  if (err instanceof ResponseError) {
    const from = err.addr === undefined ? '' : ` from ${err.addr}`;
    const remark = err.remark === undefined ? '' : `: ${err.remark}`;
    return oneLine(
      `${responseCodeName(err.responseCode)} (code ${err.responseCode})${from}${remark}`,
    );
  }
  return oneLine(err.message);
}
