/**
 * Everything the agent does with one NameServer: registrations (serialised, so chunks and
 * rounds never interleave on the connection), the QUERY_DATA_VERSION pre-check, heartbeats,
 * health tracking with a fast re-probe loop, and the final UNREGISTER_BROKER.
 *
 * Why a re-probe loop: Java notices a NameServer that restarted empty only at its next periodic
 * registration, up to 30 s later (apache/rocketmq#9411); meanwhile clients see no route. Here a
 * failed call or a closed connection marks the node unhealthy and starts a loop for that node
 * alone that registers as soon as the node answers (its waits: reprobe-backoff.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry from 'p-retry';
import { expectSuccess, isRetriable, RemotingTimeoutError, ResponseError } from '@ns/client';
import type { Logger, RemotingClient, RemotingRequest } from '@ns/client';
import type { DataVersion, RegisterBrokerResult, RemotingCommand } from '@ns/protocol';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { AgentStoppedError, RoundDeadlineError } from './errors.js';
import type { ResolvedAgentOptions } from './options.js';
import {
  decodeDataVersion,
  decodeQueryDataVersionResponseHeader,
  decodeRegisterBrokerResult,
} from './protocol-codecs.js';
import type { RegistrationPayload } from './registration-payload.js';
import { queryDataVersionRequest } from './registration-payload.js';
import { REPROBE_MIN_DELAY_MS, ReprobeBackoff } from './reprobe-backoff.js';
import type {
  NodeRegistration,
  NodeUnregistration,
  RegistrationReason,
} from './registration-result.js';

export interface NodeSessionDeps {
  readonly addr: string;
  readonly client: RemotingClient;
  readonly options: ResolvedAgentOptions;
  readonly log: Logger;
  /** The registration to send, read when a registration starts (so it is always the latest). */
  readonly payload: () => RegistrationPayload;
  /** The broker's current DataVersion (for reports when no payload could be built). */
  readonly dataVersion: () => DataVersion;
  /** Every completed registration (rounds, re-probes, heartbeat-triggered). */
  readonly onResult: (result: NodeRegistration) => void;
}

export interface RegisterMode {
  readonly reason: RegistrationReason;
  /** forceRegister=false: ask QUERY_DATA_VERSION first and skip an unchanged node. */
  readonly queryFirst: boolean;
  /** Retry retriable failures until each call's deadline (rounds); false = one attempt (re-probe). */
  readonly retry: boolean;
}

/** A snapshot for diagnostics. */
export interface NodeStatus {
  readonly addr: string;
  /** False after a failure until a registration succeeds again. */
  readonly healthy: boolean;
  /** A re-probe loop is running for this node. */
  readonly reprobing: boolean;
  readonly lastRegisteredAt: number | null;
  readonly lastError: Error | null;
}

const RETRY_MIN_DELAY_MS = 50;
const RETRY_MAX_DELAY_MS = 500;

function sameVersion(a: DataVersion, b: DataVersion): boolean {
  // Java 4.9 DataVersion.equals: counter and timestamp (5.x also stateVersion).
  return (
    a.counter === b.counter &&
    a.timestamp === b.timestamp &&
    (a.stateVersion ?? 0) === (b.stateVersion ?? 0)
  );
}

export class NodeSession {
  readonly addr: string;
  readonly #d: NodeSessionDeps;
  readonly #closed = new AbortController();
  /** Tail of the serial queue of registrations. */
  #tail: Promise<unknown> = Promise.resolve();
  /** A registration queued but not started: later callers share it (it reads the latest payload). */
  #queued: Promise<NodeRegistration> | null = null;
  #busy = false;
  #heartbeatInFlight = false;
  #healthy = true;
  #reprobing = false;
  #lastRegisteredAt: number | null = null;
  #lastError: Error | null = null;
  #failingSince: number | null = null;
  readonly #backoff: ReprobeBackoff;
  /** First wait of the running (or next) re-probe loop, set when the node starts failing. */
  #reprobeStartMs = REPROBE_MIN_DELAY_MS;
  /**
   * This node did not answer BROKER_HEARTBEAT (a 4.9 node ignores the unknown code): it gets
   * QUERY_DATA_VERSION heartbeats instead, until it next fails.
   */
  #heartbeatViaDataVersion = false;
  /** This node answered a BROKER_HEARTBEAT since it last became healthy: it knows the code. */
  #brokerHeartbeatAnswered = false;
  #heartbeatRefusalLogged = false;

  constructor(deps: NodeSessionDeps) {
    this.addr = deps.addr;
    this.#d = deps;
    this.#backoff = new ReprobeBackoff(
      deps.options.reprobeMaxDelayMs,
      deps.options.registerPeriodMs,
    );
  }

  status(): NodeStatus {
    return {
      addr: this.addr,
      healthy: this.#healthy,
      reprobing: this.#reprobing,
      lastRegisteredAt: this.#lastRegisteredAt,
      lastError: this.#lastError,
    };
  }

  get isClosed(): boolean {
    return this.#closed.signal.aborted;
  }

  /**
   * Registers (after whatever registration is running for this node). Never rejects. On a node
   * already failing whose attempt is still running (a hung node holds it for the whole request
   * timeout), the registration is queued behind it as usual, but the caller (a round) is answered
   * at once with the node's last error: the round is not held for that attempt and then for its
   * own (2 × requestTimeoutMs). The queued registration still goes, and reports its outcome
   * through the events.
   */
  register(mode: RegisterMode): Promise<NodeRegistration> {
    const waitsBehindFailingAttempt = !this.#healthy && this.#busy && mode.reason !== 'recovered';
    const run = this.#enqueue(mode);
    if (!waitsBehindFailingAttempt) return run;
    const payload = this.#d.dataVersion();
    return Promise.resolve({
      addr: this.addr,
      reason: mode.reason,
      ok: false,
      skipped: false,
      latencyMs: 0,
      attempts: 0,
      chunks: 0,
      dataVersion: payload,
      result: null,
      error:
        this.#lastError ?? new RemotingTimeoutError(this.addr, this.#d.options.requestTimeoutMs),
    });
  }

  #enqueue(mode: RegisterMode): Promise<NodeRegistration> {
    if (this.#queued !== null) return this.#queued;
    const run = this.#tail.then(() => {
      this.#queued = null;
      return this.#registerNow(mode);
    });
    this.#queued = run;
    // #registerNow reports failures as results; should it ever throw, later ones still run.
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** The node lost us or may have (connection closed, a heartbeat could not be sent): re-probe it. */
  suspect(cause: Error | undefined): void {
    if (this.isClosed) return;
    this.#markFailing(cause);
    this.#startReprobe();
  }

  /**
   * One heartbeat (skipped while unhealthy or registering: a registration is a heartbeat, and a
   * heartbeat in the middle of a split could see a transitional DataVersion).
   */
  async heartbeat(request: RemotingRequest): Promise<void> {
    if (this.isClosed || !this.#healthy || this.#busy || this.#queued !== null) return;
    if (this.#heartbeatInFlight) return;
    this.#heartbeatInFlight = true;
    const o = this.#d.options;
    if (this.#heartbeatViaDataVersion && request.code === RequestCode.BROKER_HEARTBEAT) {
      request = queryDataVersionRequest(o, this.#d.dataVersion());
    }
    try {
      if (!o.heartbeatAwaitReply) {
        await this.#d.client.invokeOneway(this.addr, request);
        return;
      }
      // The request deadline, not the interval: a loaded node answering in a few seconds is no
      // failure, and marking it one re-sent it the whole registration about every beat (review
      // finding). Beats due meanwhile are skipped (#heartbeatInFlight).
      const response = expectSuccess(
        await this.#d.client.invoke(this.addr, request, { timeoutMs: o.requestTimeoutMs }),
        request.code,
        this.addr,
      );
      if (request.code === RequestCode.BROKER_HEARTBEAT) this.#brokerHeartbeatAnswered = true;
      if (request.code === RequestCode.QUERY_DATA_VERSION) {
        const { changed } = decodeQueryDataVersionResponseHeader(response.extFields);
        if (changed && !this.isClosed) {
          this.#d.log.info({ addr: this.addr }, 'heartbeat: name server lost our registration');
          void this.register({ reason: 'heartbeatChanged', queryFirst: false, retry: true });
        }
      }
    } catch (err) {
      if (this.isClosed) return;
      this.#heartbeatFailed(request, err as Error);
    } finally {
      this.#heartbeatInFlight = false;
    }
  }

  /**
   * Only a heartbeat that could not be sent or whose connection closed says the node may have lost
   * us. Java brokers send heartbeats one-way and never see an answer, so what its operators expect
   * is that an unanswered or refused heartbeat changes nothing: the periodic registration keeps
   * the broker alive, and its own failure starts the re-probe. Treating either as a failure
   * re-sent the whole registration at every beat.
   */
  #heartbeatFailed(request: RemotingRequest, err: Error): void {
    const brokerHeartbeat = request.code === RequestCode.BROKER_HEARTBEAT;
    const unsupported =
      err instanceof ResponseError && err.responseCode === ResponseCode.REQUEST_CODE_NOT_SUPPORTED;
    // A timeout says so only from a node that never answered one: a 5.x node pausing once (GC, a
    // large registration ahead of the beat) keeps the heartbeat its operator chose.
    const neverAnswers = err instanceof RemotingTimeoutError && !this.#brokerHeartbeatAnswered;
    if (brokerHeartbeat && (unsupported || neverAnswers)) {
      // A 4.9 node does not know BROKER_HEARTBEAT: 4.9.7 answers nothing at all to an unknown code
      // (fixtures/rocketmq-4.9.7 unknown-code), so it times out, and 3 timeouts in a row closed
      // the connection, which makes the node drop the broker. Java 5.x brokers heartbeat such
      // nodes with QUERY_DATA_VERSION (compatibleWithOldNameSrv), which every version answers.
      this.#heartbeatViaDataVersion = true;
      this.#d.log.warn(
        { addr: this.addr, err },
        'name server does not answer BROKER_HEARTBEAT; heartbeating it with QUERY_DATA_VERSION',
      );
      return;
    }
    if (err instanceof ResponseError) {
      // It answered, so it is up and holds our connection (an ACL refusal, an error code).
      if (!this.#heartbeatRefusalLogged) {
        this.#heartbeatRefusalLogged = true;
        this.#d.log.warn({ addr: this.addr, err }, 'heartbeat refused by the name server');
      }
      return;
    }
    if (err instanceof RemotingTimeoutError) {
      // Up but slow. A half-open connection is still found: the client closes a connection after
      // a few timeouts in a row with nothing received, and that close marks the node failing.
      this.#d.log.debug({ addr: this.addr, err }, 'heartbeat not answered in time');
      return;
    }
    this.#d.log.debug({ addr: this.addr, err }, 'heartbeat failed');
    this.suspect(err);
  }

  /** UNREGISTER_BROKER on this node's connection, bounded by `timeoutMs`. Never rejects. */
  async unregister(request: RemotingRequest, timeoutMs: number): Promise<NodeUnregistration> {
    this.#closed.abort(new AgentStoppedError());
    const started = performance.now();
    try {
      expectSuccess(
        await this.#d.client.invoke(this.addr, request, { timeoutMs }),
        request.code,
        this.addr,
      );
      return { addr: this.addr, ok: true, latencyMs: performance.now() - started, error: null };
    } catch (err) {
      return {
        addr: this.addr,
        ok: false,
        latencyMs: performance.now() - started,
        error: err as Error,
      };
    }
  }

  /** Stops re-probing and future registrations (the agent closes the connection). */
  close(): void {
    this.#closed.abort(new AgentStoppedError());
  }

  async #registerNow(mode: RegisterMode): Promise<NodeRegistration> {
    const started = performance.now();
    let payload: RegistrationPayload;
    try {
      payload = this.#d.payload();
    } catch (err) {
      // Encoding failed (e.g. a topic the codec refuses): report it like any failed call.
      const error = err as Error;
      this.#d.log.error({ addr: this.addr, err: error }, 'cannot build the registration');
      return this.#report({
        addr: this.addr,
        reason: mode.reason,
        ok: false,
        skipped: false,
        latencyMs: performance.now() - started,
        attempts: 0,
        chunks: 0,
        dataVersion: this.#d.dataVersion(),
        result: null,
        error,
      });
    }
    let attempts = 0;
    let chunks = 0;
    const done = (
      ok: boolean,
      skipped: boolean,
      result: RegisterBrokerResult | null,
      error: Error | null,
    ): NodeRegistration => ({
      addr: this.addr,
      reason: mode.reason,
      ok,
      skipped,
      latencyMs: performance.now() - started,
      attempts,
      chunks,
      dataVersion: payload.dataVersion,
      result,
      error,
    });
    if (this.isClosed) return done(false, false, null, new AgentStoppedError());
    // A node already known to be down gets one attempt: its re-probe loop finds it when it is back,
    // and a round (start, addTopic, updateTopics…) is not held for the whole retry deadline by a
    // node that has been refusing for a while (Java tries each node once per round).
    const retry = mode.retry && this.#healthy;
    this.#busy = true;
    try {
      if (mode.queryFirst) {
        const response = await this.#call(
          queryDataVersionRequest(this.#d.options, payload.dataVersion),
          retry,
          () => attempts++,
        );
        const { changed } = decodeQueryDataVersionResponseHeader(response.extFields);
        const theirs =
          response.body === null || response.body.length === 0
            ? null
            : decodeDataVersion(response.body);
        // Java needRegister: changed, or the node's copy differs from ours.
        if (!changed && theirs !== null && sameVersion(theirs, payload.dataVersion)) {
          this.#markHealthy();
          return this.#report(done(true, true, null, null));
        }
      }
      let result: RegisterBrokerResult | null = null;
      for (const chunk of payload.chunks) {
        const response = await this.#call(chunk.request, retry, () => attempts++);
        result = decodeRegisterBrokerResult(response.extFields, response.body);
        chunks++;
      }
      this.#markHealthy();
      this.#lastRegisteredAt = Date.now();
      return this.#report(done(true, false, result, null));
    } catch (err) {
      const error = err as Error;
      this.#lastError = error;
      if (this.isClosed) return done(false, false, null, error);
      this.#markFailing(error);
      this.#startReprobe();
      // A failed re-probe attempt is not news; the loop logs it at debug.
      if (mode.reason === 'recovered') return done(false, false, null, error);
      return this.#report(done(false, false, null, error));
    } finally {
      this.#busy = false;
    }
  }

  #report(r: NodeRegistration): NodeRegistration {
    try {
      this.#d.onResult(r);
    } catch (err) {
      this.#d.log.error({ addr: this.addr, err }, 'registration listener threw');
    }
    return r;
  }

  /*
   * Health changes are logged once per transition, both at warn: a node that is down costs one
   * line, not one per retry, and an operator running at level warn also sees that it came back.
   */

  #markFailing(cause: Error | undefined): void {
    // What it comes back as (an upgraded node, another one behind the address) is asked again.
    this.#heartbeatViaDataVersion = false;
    this.#brokerHeartbeatAnswered = false;
    if (this.#healthy) {
      this.#failingSince = Date.now();
      this.#reprobeStartMs = this.#backoff.failing(this.#failingSince);
      this.#d.log.warn(
        { addr: this.addr, err: cause },
        'name server failing; re-registering as soon as it answers',
      );
    }
    this.#healthy = false;
  }

  #markHealthy(): void {
    this.#backoff.healthy(Date.now());
    if (!this.#healthy) {
      const downMs = this.#failingSince === null ? undefined : Date.now() - this.#failingSince;
      this.#d.log.warn({ addr: this.addr, downMs }, 'name server healthy again');
    }
    this.#healthy = true;
    this.#failingSince = null;
    this.#lastError = null;
  }

  /**
   * One request, successful response or throw. With `retry`, retriable failures are retried with
   * backoff until `requestTimeoutMs` after the first attempt (Java's round deadline).
   */
  async #call(
    request: RemotingRequest,
    retry: boolean,
    onAttempt: () => void,
  ): Promise<RemotingCommand> {
    const { client, options } = this.#d;
    const budget = options.requestTimeoutMs;
    const deadline = performance.now() + budget;
    let lastError: Error | undefined;
    const attempt = async (): Promise<RemotingCommand> => {
      if (this.isClosed) throw new AgentStoppedError();
      const remaining = Math.floor(deadline - performance.now());
      if (remaining <= 0) {
        // A retry's backoff ran past the deadline (its timer fired late on a busy machine): the
        // round failed for the reason the last attempt gave ("cannot connect to …"), not for
        // want of time.
        throw lastError ?? new RoundDeadlineError(this.addr, budget);
      }
      onAttempt();
      try {
        const response = await client.invoke(this.addr, request, { timeoutMs: remaining });
        return expectSuccess(response, request.code, this.addr);
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err));
        throw lastError;
      }
    };
    if (!retry) return attempt();
    return pRetry(attempt, {
      retries: Number.POSITIVE_INFINITY,
      factor: 2,
      minTimeout: RETRY_MIN_DELAY_MS,
      maxTimeout: RETRY_MAX_DELAY_MS,
      randomize: true,
      signal: this.#closed.signal,
      // Only errors that say a retry can help, and only while the deadline leaves room.
      shouldRetry: ({ error }) =>
        !this.isClosed && isRetriable(error) && deadline - performance.now() > RETRY_MAX_DELAY_MS,
    });
  }

  #startReprobe(): void {
    if (this.#reprobing || this.isClosed) return;
    this.#reprobing = true;
    void this.#reprobeLoop().finally(() => {
      this.#reprobing = false;
    });
  }

  async #reprobeLoop(): Promise<void> {
    let delay = this.#reprobeStartMs;
    while (!this.isClosed && !this.#healthy) {
      try {
        await sleep(delay, undefined, { signal: this.#closed.signal });
      } catch {
        return; // closed
      }
      if (this.#healthy) return;
      const r = await this.register({ reason: 'recovered', queryFirst: false, retry: false });
      if (r.ok) return;
      this.#d.log.debug({ addr: this.addr, err: r.error, delay }, 're-probe failed');
      delay = this.#backoff.next(delay, r.error);
    }
  }
}
