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
  /** Aborted on SIGINT/SIGTERM: long-running verbs stop and succeed. */
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
  run(ctx: VerbContext): Promise<void>;
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
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
