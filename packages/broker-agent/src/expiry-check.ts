/**
 * `heartbeatTimeoutMillis` against what refreshes the broker on the NameServer: the node drops a
 * broker it has not heard from within that time, and the agent is heard only at each registration
 * (heartbeat 'none') or each heartbeat. A timeout not longer than that gap let the node expire the
 * broker between two of them, so its routes came and went, with nothing logged.
 */
import { InvalidOptionError } from '@ns/client';
import type { HeartbeatMode } from './options.js';

/** A value an option resolved to, and how: its default, as given, or clamped from what was given. */
export interface ResolvedValue {
  readonly option: string;
  readonly value: number;
  /** undefined: the default; otherwise what the caller gave (differs from value when clamped). */
  readonly given: number | undefined;
}

/** `heartbeatTimeoutMillis` is not longer than the gap between the agent's refreshes. */
export class ExpiryTooShortError extends InvalidOptionError {
  override name = 'ExpiryTooShortError';
  readonly heartbeatTimeoutMillis: number;
  readonly heartbeat: HeartbeatMode;
  /** registerNameServerPeriodMs (or unsafeRegisterPeriodMs) with heartbeat 'none', else heartbeatIntervalMs. */
  readonly refresh: ResolvedValue;

  constructor(heartbeatTimeoutMillis: number, heartbeat: HeartbeatMode, refresh: ResolvedValue) {
    super('heartbeatTimeoutMillis', '');
    this.heartbeatTimeoutMillis = heartbeatTimeoutMillis;
    this.heartbeat = heartbeat;
    this.refresh = refresh;
    this.message = this.describe((option) => option);
  }

  /** The message with each option named by `nameOf` (the CLI names its flags). */
  describe(nameOf: (option: string) => string): string {
    const r = this.refresh;
    const source =
      r.given === undefined
        ? 'the default'
        : r.given === r.value
          ? 'given'
          : `clamped from ${r.given}`;
    const between = this.heartbeat === 'none' ? 'registrations' : 'heartbeats';
    return (
      `${nameOf('heartbeatTimeoutMillis')} ${this.heartbeatTimeoutMillis} (given) must be more than ` +
      `${nameOf(r.option)} ${r.value} (${source}) with ${nameOf('heartbeat')} ${this.heartbeat}: ` +
      `the NameServer would expire the broker between two ${between}`
    );
  }
}

/** Throws ExpiryTooShortError when the NameServer could expire the broker between refreshes. */
export function checkExpiry(
  heartbeatTimeoutMillis: number | undefined,
  heartbeat: HeartbeatMode,
  period: ResolvedValue,
  heartbeatInterval: ResolvedValue,
): void {
  if (heartbeatTimeoutMillis === undefined) return;
  const refresh = heartbeat === 'none' ? period : heartbeatInterval;
  if (heartbeatTimeoutMillis <= refresh.value) {
    throw new ExpiryTooShortError(heartbeatTimeoutMillis, heartbeat, refresh);
  }
}
