/**
 * BrokerAgent: what a broker embeds to register with every NameServer (Java BrokerController's
 * registerBrokerAll / BrokerOuterAPI), built on @ns/client's RemotingClient and address
 * providers.
 *
 * - start(): first registration round (forced, as Java at startup), then one every
 *   `registerPeriodMs`, plus heartbeats when enabled.
 * - A round registers with every NameServer in parallel; each node has its own deadline and
 *   retries, so a slow or dead node never delays the others. Each node's outcome is emitted as
 *   `registered` / `registrationFailed` as soon as it is known, then the whole round as `round`.
 * - updateTopics()/addTopic()/removeTopic() bump the DataVersion and register at once.
 * - stop(): UNREGISTER_BROKER to every node in parallel (bounded wait), then closes connections.
 *
 * Silent by default: pass a Logger to see what it does.
 */
import { EventEmitter } from 'node:events';
import {
  NOOP_LOGGER,
  RemotingClient,
  RemotingClosedError,
  resolveNameServerAddressProvider,
} from '@ns/client';
import type {
  Logger,
  NameServerAddressProvider,
  ResolveNameServerAddressOptions,
} from '@ns/client';
import type { DataVersion, TopicConfig } from '@ns/protocol';
import { AgentStateError, AgentStoppedError } from './errors.js';
import type { BrokerAgentOptions, ResolvedAgentOptions } from './options.js';
import { checkDataVersion, resolveAgentOptions } from './options.js';
import { NodeSession } from './node-session.js';
import type { NodeStatus } from './node-session.js';
import type { RegistrationPayload } from './registration-payload.js';
import {
  brokerHeartbeatRequest,
  buildRegistrationPayload,
  queryDataVersionRequest,
  unregisterBrokerRequest,
} from './registration-payload.js';
import type {
  MasterInfo,
  NodeRegistration,
  NodeUnregistration,
  RegistrationReason,
  RegistrationRound,
} from './registration-result.js';
import type { TopicConfigInput, TopicTableInput } from './topic-config-input.js';
import { sameTopicConfig, toTopicConfig, toTopicTable } from './topic-config-input.js';

export interface BrokerAgentEvents {
  /** One NameServer holds our registration (sent, or skipped as unchanged). */
  registered: [result: NodeRegistration];
  /** One NameServer could not be registered with in this round (a re-probe loop is running). */
  registrationFailed: [result: NodeRegistration];
  /** Every node of a round answered or ran out of time. */
  round: [round: RegistrationRound];
  /** Slave: the master/HA address reported by the NameServers changed. */
  masterChanged: [info: MasterInfo, previous: MasterInfo];
  /** stop(): every node's UNREGISTER_BROKER outcome. */
  unregistered: [results: readonly NodeUnregistration[]];
}

export type BrokerAgentState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class BrokerAgent extends EventEmitter<BrokerAgentEvents> {
  readonly options: ResolvedAgentOptions;
  readonly #log: Logger;
  readonly #client: RemotingClient;
  readonly #provider: NameServerAddressProvider;
  readonly #sessions = new Map<string, NodeSession>();
  #table: Map<string, TopicConfig>;
  #dataVersion: DataVersion;
  #payload: RegistrationPayload | null = null;
  #state: BrokerAgentState = 'new';
  #master: MasterInfo = { masterAddr: null, haServerAddr: null };
  #periodTimer: NodeJS.Timeout | null = null;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #unsubscribeAddresses: (() => void) | null = null;
  /** The provider option as given (see #doStop). */
  readonly #givenProvider: BrokerAgentOptions['addressProvider'];
  #stopPromise: Promise<readonly NodeUnregistration[]> | null = null;

  constructor(options: BrokerAgentOptions) {
    super();
    this.options = resolveAgentOptions(options);
    this.#log = (options.logger ?? NOOP_LOGGER).child({
      component: 'broker-agent',
      brokerName: this.options.brokerName,
      brokerId: this.options.brokerId,
    });
    this.#table = toTopicTable(options.topics ?? []);
    this.#dataVersion =
      options.dataVersion === undefined
        ? { counter: 0, timestamp: Date.now() }
        : checkDataVersion('dataVersion', options.dataVersion);
    const resolve: ResolveNameServerAddressOptions = {
      ...(options.namesrvAddr === undefined ? {} : { namesrvAddr: options.namesrvAddr }),
      ...(options.addressProvider === undefined
        ? {}
        : { addressProvider: options.addressProvider }),
      ...(options.addressService === undefined ? {} : { addressService: options.addressService }),
      logger: this.#log,
    };
    this.#provider = resolveNameServerAddressProvider(resolve, options.env ?? process.env);
    this.#givenProvider = options.addressProvider;
    this.#client = new RemotingClient({
      requestTimeoutMs: this.options.requestTimeoutMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      // Never close an idle connection: the NameServer drops a broker whose connection closes.
      idleTimeoutMs: 0,
      version: this.options.version,
      logger: this.#log,
      ...(options.socketFactory === undefined ? {} : { socketFactory: options.socketFactory }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
    this.#client.on('disconnect', (addr, cause) => {
      if (this.#state !== 'running' && this.#state !== 'starting') return;
      // A close the node made has no cause; the "failing" line should still say what happened.
      this.#sessions.get(addr)?.suspect(cause ?? new RemotingClosedError(addr));
    });
  }

  get state(): BrokerAgentState {
    return this.#state;
  }

  /** Slave: the master's address from the first successful registration result (null for a master). */
  get masterAddr(): string | null {
    return this.#master.masterAddr;
  }

  /** Slave: the master's HA address (where to replicate from). */
  get haServerAddr(): string | null {
    return this.#master.haServerAddr;
  }

  get dataVersion(): DataVersion {
    return { ...this.#dataVersion };
  }

  /** The current topic table (a copy). */
  get topics(): ReadonlyMap<string, TopicConfig> {
    return new Map(this.#table);
  }

  /** The NameServers the agent currently registers with. */
  get nameServers(): readonly string[] {
    return [...this.#sessions.keys()];
  }

  /** Health of each NameServer. */
  nodes(): NodeStatus[] {
    return [...this.#sessions.values()].map((s) => s.status());
  }

  /**
   * Resolves the address list, runs the first (forced) round and starts the periodic work.
   * Resolves with the first round even when some (or all) nodes failed: like a Java broker, the
   * agent keeps trying in the background.
   */
  async start(): Promise<RegistrationRound> {
    if (this.#state !== 'new')
      throw new AgentStateError(`start() called on a ${this.#state} agent`);
    this.#state = 'starting';
    try {
      await this.#provider.start();
    } catch (err) {
      this.#state = 'stopped';
      await this.#client.close();
      throw err;
    }
    // stop() ran while the address list was being resolved: it found no session to close, so none
    // may be made now (each would retry, on a closed client, for as long as the process lives).
    if (this.#state !== 'starting') {
      throw new AgentStoppedError('broker agent was stopped while it was starting');
    }
    for (const addr of this.#provider.current()) this.#addSession(addr);
    this.#unsubscribeAddresses = this.#provider.onChange((addresses) => {
      this.#onAddressesChanged(addresses);
    });
    const round = await this.#round('startup', false);
    if (this.#state === 'starting') {
      this.#state = 'running';
      this.#schedulePeriodic();
      if (this.options.heartbeat !== 'none') this.#scheduleHeartbeat();
    }
    return round;
  }

  /** Registers with every node now (forced). */
  async registerNow(): Promise<RegistrationRound> {
    this.#requireActive('registerNow');
    return this.#round('manual', false);
  }

  /**
   * Replaces the topic table. When it differs, the DataVersion is bumped. Either way every node
   * is registered with at once; the promise resolves when the round is done, so the new routes are
   * visible on every node that answered.
   */
  async updateTopics(topics: TopicTableInput): Promise<RegistrationRound> {
    this.#requireActive('updateTopics');
    const next = toTopicTable(topics);
    if (!sameTable(this.#table, next)) {
      this.#table = next;
      this.#bump();
    }
    return this.#round('topicsChanged', false);
  }

  /** Adds or replaces one topic, then registers at once. */
  async addTopic(topic: TopicConfigInput): Promise<RegistrationRound> {
    this.#requireActive('addTopic');
    const tc = toTopicConfig(topic);
    const old = this.#table.get(tc.topicName);
    if (old === undefined || !sameTopicConfig(old, tc)) {
      this.#table = new Map(this.#table).set(tc.topicName, tc);
      this.#bump();
    }
    return this.#round('topicsChanged', false);
  }

  /**
   * Removes one topic, then registers at once. Note: a NameServer keeps routes of topics a
   * registration no longer lists (Java 4.9, and 5.x unless `deleteTopicWithBrokerRegistration`);
   * delete the route with DELETE_TOPIC_IN_NAMESRV (admin) as Java's updateTopic/deleteTopic does.
   */
  async removeTopic(topicName: string): Promise<RegistrationRound> {
    this.#requireActive('removeTopic');
    if (this.#table.has(topicName)) {
      const next = new Map(this.#table);
      next.delete(topicName);
      this.#table = next;
      this.#bump();
    }
    return this.#round('topicsChanged', false);
  }

  /**
   * Sends UNREGISTER_BROKER to every node in parallel, waiting at most `unregisterTimeoutMs`,
   * then closes every connection. Idempotent: later calls return the same outcome.
   */
  stop(): Promise<readonly NodeUnregistration[]> {
    this.#stopPromise ??= this.#doStop();
    return this.#stopPromise;
  }

  async #doStop(): Promise<readonly NodeUnregistration[]> {
    const wasActive = this.#state === 'running' || this.#state === 'starting';
    this.#state = 'stopping';
    if (this.#periodTimer !== null) clearTimeout(this.#periodTimer);
    if (this.#heartbeatTimer !== null) clearTimeout(this.#heartbeatTimer);
    this.#periodTimer = null;
    this.#heartbeatTimer = null;
    this.#unsubscribeAddresses?.();
    let results: NodeUnregistration[] = [];
    if (wasActive) {
      const request = unregisterBrokerRequest(this.options);
      // Java sends these sequentially with 3 s each; in parallel the wait is bounded once.
      results = await Promise.all(
        [...this.#sessions.values()].map((s) =>
          s.unregister(request, this.options.unregisterTimeoutMs),
        ),
      );
      for (const r of results) {
        if (r.ok) this.#log.info({ addr: r.addr, ms: Math.round(r.latencyMs) }, 'unregistered');
        else this.#log.warn({ addr: r.addr, err: r.error }, 'unregister failed');
      }
    }
    for (const s of this.#sessions.values()) s.close();
    await this.#client.close();
    // A provider the caller gave may be shared (with a client, another agent): its owner closes it.
    if (typeof this.#givenProvider !== 'object') await this.#provider.close();
    this.#state = 'stopped';
    this.emit('unregistered', results);
    return results;
  }

  #requireActive(method: string): void {
    if (this.#state !== 'running' && this.#state !== 'starting') {
      throw new AgentStateError(`${method}() needs a started agent (state: ${this.#state})`);
    }
  }

  #bump(): void {
    // Java DataVersion.nextVersion: timestamp = now, counter + 1.
    this.#dataVersion = {
      counter: this.#dataVersion.counter + 1,
      timestamp: Date.now(),
      ...(this.#dataVersion.stateVersion === undefined
        ? {}
        : { stateVersion: this.#dataVersion.stateVersion }),
    };
    this.#payload = null;
  }

  #currentPayload(): RegistrationPayload {
    this.#payload ??= buildRegistrationPayload(this.options, this.#table, this.#dataVersion);
    return this.#payload;
  }

  #addSession(addr: string): NodeSession {
    let s = this.#sessions.get(addr);
    if (s !== undefined) return s;
    s = new NodeSession({
      addr,
      client: this.#client,
      options: this.options,
      log: this.#log.child({ addr }),
      payload: () => this.#currentPayload(),
      dataVersion: () => this.dataVersion,
      onResult: (r) => {
        this.#onNodeResult(r);
      },
    });
    this.#sessions.set(addr, s);
    return s;
  }

  #onAddressesChanged(addresses: readonly string[]): void {
    if (this.#state !== 'running' && this.#state !== 'starting') return;
    const next = new Set(addresses);
    for (const [addr, s] of this.#sessions) {
      if (!next.has(addr)) {
        // Java does not unregister from a NameServer dropped from the list; it stops talking to it.
        s.close();
        this.#sessions.delete(addr);
        this.#client.closeConnection(addr);
      }
    }
    for (const addr of addresses) {
      if (this.#sessions.has(addr)) continue;
      const s = this.#addSession(addr);
      void s.register({ reason: 'nodeAdded', queryFirst: false, retry: true });
    }
  }

  #onNodeResult(r: NodeRegistration): void {
    if (r.ok) {
      this.#log.info(
        {
          addr: r.addr,
          reason: r.reason,
          skipped: r.skipped,
          ms: Math.round(r.latencyMs),
          chunks: r.chunks,
          counter: r.dataVersion.counter,
        },
        'registered',
      );
      if (r.result !== null) this.#updateMaster(r.result.masterAddr, r.result.haServerAddr);
      this.emit('registered', r);
    } else {
      // The node's session logs the ok → failing change once at warn; repeats are detail.
      this.#log.debug(
        { addr: r.addr, reason: r.reason, ms: Math.round(r.latencyMs), err: r.error },
        'registration failed',
      );
      this.emit('registrationFailed', r);
    }
  }

  #updateMaster(masterAddr: string | null, haServerAddr: string | null): void {
    // A master's results carry neither field. A result without a master (this node may not have
    // the master's registration yet) changes nothing here: see #masterGone.
    if (this.options.brokerId === 0 || masterAddr === null) return;
    const prev = this.#master;
    if (prev.masterAddr === masterAddr && prev.haServerAddr === haServerAddr) return;
    this.#master = { masterAddr, haServerAddr };
    this.#log.info({ masterAddr, haServerAddr }, 'master address changed');
    this.emit('masterChanged', this.#master, prev);
  }

  /**
   * Java sets the slave's master address from a round's result, null included, so a slave stops
   * syncing from a master that is gone. Here a round clears it only when every node that answered
   * says there is none: one node still without the master's registration must not flap it.
   */
  #masterGone(results: readonly NodeRegistration[]): void {
    if (this.options.brokerId === 0 || this.#master.masterAddr === null) return;
    const answered = results.filter((r) => r.ok && r.result !== null);
    if (answered.length === 0 || answered.some((r) => r.result!.masterAddr !== null)) return;
    const prev = this.#master;
    // Java keeps the HA address when the result has none.
    this.#master = { masterAddr: null, haServerAddr: prev.haServerAddr };
    this.#log.info({ previous: prev.masterAddr }, 'master address gone');
    this.emit('masterChanged', this.#master, prev);
  }

  async #round(reason: RegistrationReason, queryFirst: boolean): Promise<RegistrationRound> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const payload = this.#currentPayload();
    const results = await Promise.all(
      [...this.#sessions.values()].map((s) => s.register({ reason, queryFirst, retry: true })),
    );
    const round: RegistrationRound = {
      reason,
      dataVersion: payload.dataVersion,
      topicCount: payload.topicCount,
      chunkCount: payload.chunks.length,
      startedAt,
      durationMs: performance.now() - t0,
      results,
    };
    this.#log.debug(
      {
        reason,
        ms: Math.round(round.durationMs),
        ok: results.filter((r) => r.ok).length,
        nodes: results.length,
      },
      'registration round done',
    );
    this.#masterGone(results);
    try {
      this.emit('round', round);
    } catch (err) {
      // Like the other listeners: a throwing one must not end a periodic round in an
      // unhandled rejection (the process would exit).
      this.#log.error({ err }, 'round listener threw');
    }
    return round;
  }

  /**
   * At a fixed rate, like Java's scheduleAtFixedRate: the next round is due one period after
   * this one began, whatever this one still waits for. Scheduled after the round ended, a node
   * that answered slowly (each chunk of a split registration with its own deadline) or not at
   * all stretched every node's period: a healthy NameServer expired the broker while a slow one
   * held the rounds (review finding). A node still busy with an earlier registration gets the
   * new one queued behind it (one at most, see NodeSession.register); the others go at once.
   */
  #schedulePeriodic(): void {
    this.#periodTimer = setTimeout(() => {
      this.#periodTimer = null;
      if (this.#state !== 'running') return;
      this.#schedulePeriodic();
      // Java: forceRegister=false asks QUERY_DATA_VERSION first on periodic rounds only.
      this.#round('periodic', !this.options.forceRegister).catch((err: unknown) => {
        this.#log.error({ err }, 'periodic registration round failed');
      });
    }, this.options.registerPeriodMs);
  }

  #scheduleHeartbeat(): void {
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeatTimer = null;
      if (this.#state !== 'running') return;
      const request =
        this.options.heartbeat === 'brokerHeartbeat'
          ? brokerHeartbeatRequest(this.options)
          : queryDataVersionRequest(this.options, this.#dataVersion);
      // Not awaited: a node stuck on a heartbeat must not hold back the others' next beat.
      for (const s of this.#sessions.values()) void s.heartbeat(request);
      this.#scheduleHeartbeat();
    }, this.options.heartbeatIntervalMs);
  }
}

function sameTable(a: ReadonlyMap<string, TopicConfig>, b: ReadonlyMap<string, TopicConfig>) {
  if (a.size !== b.size) return false;
  for (const [name, tc] of a) {
    const other = b.get(name);
    if (other === undefined || !sameTopicConfig(tc, other)) return false;
  }
  return true;
}
