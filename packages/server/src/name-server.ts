/**
 * Composition root (Java NamesrvController): wires config, logging, the registry owner, the
 * serving side(s), the acceptor, metrics and the HTTP admin server, and owns the periodic scans
 * (broker expiry, the KV table dump); each component owns its own timers and stops them in close().
 *
 * Shape of a node (see README "Using every core"):
 *
 *               ┌───────────── this process ─────────────┐
 *   clients ──▶ │ Acceptor ──▶ ServingNode (reads)        │   servingWorkers = 1
 *               │                 │ writes                │
 *               │             RegistryOwner (state)  HTTP │
 *               └─────────────────────────────────────────┘
 *
 *   with servingWorkers = W > 1 the acceptor hands each connection to one of W serving worker
 *   processes (cluster/), each answering reads from a replica of the owner's tables; the owner,
 *   the acceptor and the HTTP port stay here. The serving code is the same in both shapes.
 *
 * KV config persistence: the owner records each write's KV edits as ops; the KV persistence
 * thread (kvconfig/kv-write-behind.ts, kv-persist-thread.ts) replays them on its own copy of the
 * table and rewrites kvConfig.json atomically off this event loop; the response waits for it.
 *
 * Lifecycle: `start()` loads the KV file (and starts the KV persistence thread), binds the ports
 * and starts the scans, resolving to the bound addresses (the real ports when 0 was asked).
 * `close()` is idempotent and shuts down in order: stop accepting, stop timers, drain answered
 * requests and close connections (destroying those still open after `shutdownTimeoutMillis`),
 * finish pending writes (KV writes get max(1 s, shutdownTimeoutMillis), then fail), end the KV
 * thread, close HTTP, flush logs.
 * Signals and exit codes belong to main.ts only.
 *
 * Security and limits (README "Security"): the acceptor enforces the connection limits for the
 * whole node; each serving process builds its own access control and TLS from the config
 * (serving/serving-security.ts) and sniffs, handshakes and checks its own connections. The
 * self-signed certificate (TLS on, none configured) is made once here, in the background, and
 * given to every serving process.
 */
import { hostname } from 'node:os';
import { ORDER_TOPIC_CONFIG_NAMESPACE } from '@ns/protocol';
import { redactSecrets, renderConfigFile, specOf } from './config/index.js';
import type { ConfigKey, ConfigSource, DefaultsContext, NamesrvConfig } from './config/index.js';
import { RouteDigestTracker } from './digest/index.js';
import {
  configEntries,
  HttpAdminServer,
  loadConsoleAssets,
  startupReadiness,
} from './http/index.js';
import {
  KVConfigCorruptError,
  KVConfigError,
  KVConfigFileStore,
  KVWriteBehind,
  kvTableSummary,
  unwritableReason,
  writeFileAtomicOrRestoreSync,
} from './kvconfig/index.js';
import type { KVConfigManager, KVWriteBehindStats } from './kvconfig/index.js';
import { listenFailure } from './listen-error.js';
import { createSilentLogger, flushLogger } from './logging.js';
import type { Logger } from './logging.js';
import { encodeOpParts } from './cluster/messages.js';
import { ServingWorkers } from './cluster/serving-workers.js';
import { fdLimitWarning, readProcessLimits } from './cluster/fd-limit.js';
import { steadyClock } from './steady-clock.js';
import type { SteadyClock } from './steady-clock.js';
import { usableCores } from './cluster/usable-cores.js';
import { MonotonicCounters, createMetrics, scrapeAll } from './metrics.js';
import type { MetricsExport, NamesrvMetrics } from './metrics.js';
import { NameServerError } from './name-server-error.js';
import { RegistryOwner } from './registry/registry-owner.js';
import type { Clock, RemovedBroker, RouteInfoManager } from './route/index.js';
import { accessControlSettings } from './security/access-control.js';
import { AUDIT_LOGGER_NAME } from './security/audit-record.js';
import { withStandIns } from './security/file-stand-ins.js';
import { LastGoodFiles } from './security/last-good-files.js';
import { selfSignedServerCertificateOnce } from './security/tls/certificate-factory.js';
import type { IssuedCertificate } from './security/tls/certificate-factory.js';
import { ServingNode } from './serving/serving-node.js';
import {
  describeSecurityError,
  needsSelfSignedCertificate,
  securityFilePaths,
  serverTlsSettingsOf,
  ServingSecurity,
} from './serving/serving-security.js';
import { Acceptor } from './transport/acceptor.js';
import type { ConnectionSink } from './transport/acceptor.js';
import { OnewaySender } from './transport/oneway-sender.js';
import { transportOptionsOf } from './transport/transport-options.js';
import { javaLineProfile } from './handlers/java-line.js';
import { notifyMinBrokerIdChanges } from './handlers/min-broker-id-notifier.js';
import type { RouteWatchStats } from './watch/index.js';
import { createBrowserHostPolicy } from './security/browser-hosts.js';

export interface NameServerOptions {
  config: NamesrvConfig;
  /** Root logger; components get children. Default: silent. */
  logger?: Logger;
  /** Time source for broker expiry and readiness; default Date.now. */
  clock?: Clock;
  /** Export prom-client's default process metrics (default true; tests turn it off). */
  defaultMetrics?: boolean;
  /**
   * Where each config value came from and what the defaults were computed from (loadConfig's
   * `sources` and its input), for the console's configuration page. Default: all `default`.
   */
  configOrigin?: {
    readonly sources: ReadonlyMap<ConfigKey, ConfigSource>;
    readonly defaults: DefaultsContext;
  };
}

export interface NameServerAddress {
  /** Address the remoting port is bound to. */
  host: string;
  port: number;
  /** Port of the HTTP admin server, or null when it is disabled (httpPort = -1). */
  httpPort: number | null;
}

/** Where connections are served: this process, or serving worker processes. */
interface ServingSide {
  pick(): ConnectionSink | null;
  /** This process's serving node (servingWorkers = 1), else null. */
  readonly node: ServingNode | null;
  readonly connectionCount: number;
  closeConnection(id: number): void;
  close(graceMillis: number): Promise<void>;
  /** Metrics of the other processes serving (none in a single process). */
  otherMetrics(): Promise<MetricsExport[]>;
  /** Route watches held in this process (the workers report their own). */
  routeWatchers(): number;
  routeWatchStats(): RouteWatchStats | null;
}

/** Everything `start()` builds; null before start. */
interface Running {
  owner: RegistryOwner;
  serving: ServingSide;
  /** The worker processes, when servingWorkers > 1. */
  workers: ServingWorkers | null;
  acceptor: Acceptor;
  /** What every node should agree on (GET /digest, the consistency view, a metric). */
  routeDigest: RouteDigestTracker;
  /** Sends NOTIFY_MIN_BROKER_ID_CHANGE (905) to brokers' own addresses, as Java does. */
  brokerNotifier: OnewaySender;
  http: HttpAdminServer | null;
  address: NameServerAddress;
}

type State = 'new' | 'starting' | 'running' | 'closing' | 'closed';

/**
 * At close, KV writes still queued get max(this, shutdownTimeoutMillis) to reach the disk; then
 * they fail (and are undone), so a hung disk cannot hold the shutdown.
 */
const KV_CLOSE_MIN_GRACE_MILLIS = 1000;

/** Java prints the KV table 1 minute after start, then every 10 minutes. */
const KV_DUMP_INITIAL_DELAY_MILLIS = 60_000;

/** The number of serving processes `servingWorkers` asks for (0 = automatic). */
export function resolveServingWorkers(configured: number, cores = usableCores()): number {
  if (configured > 0) return configured;
  return Math.max(1, Math.min(8, cores - 1));
}

export class NameServer {
  readonly metrics: NamesrvMetrics;
  /** Multi-process /metrics: float sums re-added in another order never go down (review). */
  private readonly monotonic = new MonotonicCounters();
  /** With serving workers: the security files new workers start from (null otherwise; tests). */
  lastGoodFiles: LastGoodFiles | null = null;
  private readonly initialConfig: NamesrvConfig;
  private readonly logger: Logger;
  /** Component loggers, kept so a live `logLevel` change reaches all of them. */
  private readonly componentLoggers: Logger[] = [];
  /** One for every security instance (the checks of LastGoodFiles make one each). */
  private audit: Logger | null = null;
  private readonly clock: Clock;
  /** When start() began (this.clock): needWaitForService and the HTTP readiness count from it. */
  private startedAt = 0;
  private state: State = 'new';
  private running: Running | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closePromise: Promise<void> | null = null;
  /** The KV persistence thread's front (from the KV load in start() on; closed by close()). */
  private kvPersistence: KVWriteBehind | null = null;
  private readonly configSources: Map<ConfigKey, ConfigSource>;
  private readonly configDefaults: DefaultsContext;

  constructor(options: NameServerOptions) {
    this.initialConfig = options.config;
    this.logger = options.logger ?? createSilentLogger();
    this.clock = options.clock ?? steadyClock();
    this.configSources = new Map(options.configOrigin?.sources);
    this.configDefaults = options.configOrigin?.defaults ?? { homeDir: '~', env: {} };
    this.metrics = createMetrics(
      {
        brokerCount: () => this.running?.owner.routes.getCounts().brokers ?? 0,
        topicCount: () => this.running?.owner.routes.getCounts().topics ?? 0,
        // Waits for the tracker's background catch-up (in slices) rather than doing it here.
        routeDigest: async () => {
          const tracker = this.running?.routeDigest;
          if (tracker === undefined) return 0;
          await tracker.settled();
          return tracker.digestValue();
        },
        routeWatchers: () => this.running?.serving.routeWatchers() ?? 0,
        kvPersistence: () => {
          const kv = this.kvPersistence;
          return kv === null ? null : { source: kv, ...kv.stats() };
        },
      },
      {
        defaultMetrics: options.defaultMetrics ?? true,
        // With serving workers this process owns the registry and serves no client.
        role: resolveServingWorkers(options.config.servingWorkers) > 1 ? 'owner' : 'serving',
      },
    );
  }

  /** The live configuration (UPDATE_NAMESRV_CONFIG replaces it). */
  get config(): NamesrvConfig {
    return this.running?.owner.config.get() ?? this.initialConfig;
  }

  /** The bound addresses while running; null before `start()` resolved and once closing. */
  get address(): NameServerAddress | null {
    return this.state === 'running' && this.running !== null ? { ...this.running.address } : null;
  }

  /** The node's Prometheus exposition: this process's metrics plus every serving worker's. */
  async scrapeMetrics(): Promise<{ contentType: string; body: string }> {
    const others = await this.require().serving.otherMetrics();
    if (others.length === 0) return this.metrics.scrape();
    const scraped = await scrapeAll([await this.metrics.export(), ...others]);
    return { ...scraped, body: this.monotonic.apply(scraped.body) };
  }

  /** The route table (for the admin views and tests); throws before `start()`. */
  get routeInfoManager(): RouteInfoManager {
    return this.require().owner.routes;
  }

  get kvConfigManager(): KVConfigManager {
    return this.require().owner.kv;
  }

  /** Counters of the KV persistence thread (file writes, failures, crashes); for tests and tools. */
  kvPersistenceStats(): KVWriteBehindStats {
    this.require();
    return this.kvPersistence!.stats();
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.require().serving.connectionCount;
  }

  /** The serving worker processes (null with servingWorkers = 1); for tests and tools. */
  get servingWorkers(): ServingWorkers | null {
    return this.require().workers;
  }

  /**
   * Route watch counters of this process (held watches, their topics); null when the watch is off
   * or connections are served by worker processes.
   */
  routeWatchStats(): RouteWatchStats | null {
    return this.require().serving.routeWatchStats();
  }

  /** The serving node of this process (null with servingWorkers > 1); for tests and tools. */
  get servingNode(): ServingNode | null {
    return this.require().serving.node;
  }

  /**
   * Resolves once every write submitted so far has been applied — a connection's close removes
   * its brokers through the registry owner's write queue, after the connection is gone; for tests
   * and tools.
   */
  async writesSettled(): Promise<void> {
    const running = this.require();
    // With servingWorkers = 1, writes received here may still wait for a registration's decode
    // before they reach the owner (serving workers' own waits are not covered).
    await running.serving.node?.writesHandedOver();
    await running.owner.idle();
  }

  /** The acceptor (connection limits); for tests and tools. */
  get acceptor(): Acceptor {
    return this.require().acceptor;
  }

  async start(): Promise<NameServerAddress> {
    if (this.state !== 'new') {
      throw new NameServerError('NS_STATE', `start() called on a ${this.state} name server`);
    }
    this.state = 'starting';
    this.startedAt = this.clock.now();
    const config = this.initialConfig;
    // Never a secret's value in a log line (the marker says one is set).
    this.logger.info({ config: redactSecrets(config) }, 'starting name server');
    try {
      const workerCount = resolveServingWorkers(config.servingWorkers);
      const workerClock = isSteady(this.clock) ? this.clock : steadyClock();
      const fdWarning = fdLimitWarning(readProcessLimits(), config.maxConnections, workerCount);
      if (fdWarning !== null) this.logger.warn(fdWarning.fields, fdWarning.message);
      const transportOptions = transportOptionsOf(config, workerCount);
      const owner = this.createOwner(config);
      const brokerNotifier = new OnewaySender({ logger: this.component('notify') });
      notifyMinBrokerIdChanges({
        routeInfoManager: owner.routes,
        send: (brokerAddr, command) => {
          brokerNotifier.send(brokerAddr, command);
        },
        version: javaLineProfile(config.compatibilityLine).version,
        logger: this.component('notify'),
      });
      owner.config.onChange((next, _previous, changed) => {
        for (const key of changed) {
          this.configSources.set(key, { kind: 'remote', detail: 'UPDATE_NAMESRV_CONFIG' });
        }
        this.onConfigChanged(next, changed);
      });
      const selfSigned = this.selfSignedCertificate(config);
      // Bad acl*/tls* values or files stop startup here, naming the key, whatever the shape.
      const security = this.createSecurity(config, selfSigned, workerCount > 1);
      if (workerCount > 1) security.close(); // checked only: each worker builds its own
      // The files as they last passed that check, following their changes; each new worker
      // starts from them.
      const lastGood =
        workerCount > 1
          ? new LastGoodFiles(securityFilePaths(config), (snapshot) => {
              withStandIns(snapshot, () => this.createSecurity(config, selfSigned, true)).close();
            })
          : null;
      this.lastGoodFiles = lastGood;
      const securityFiles = (): Record<string, Uint8Array> => lastGood!.current();
      const workers =
        workerCount > 1
          ? new ServingWorkers({
              count: workerCount,
              owner,
              config,
              selfSigned,
              securityFiles,
              // The workers read the node's steady clock (steady-clock.ts); a test's own clock
              // stays in this process.
              clockAnchor: workerClock.anchor,
              nodeStartedAt: workerClock.now(),
              logger: this.component('cluster'),
              metrics: this.metrics,
              onWorkerReady: () => {
                this.running?.acceptor.retryWaiting();
              },
              onConnectionClosed: (id) => {
                this.running?.acceptor.release(id);
              },
            })
          : null;
      const serving =
        workers === null ? this.servingHere(owner, security) : servingElsewhere(workers);
      const acceptor = new Acceptor({
        options: transportOptions,
        logger: this.component('transport'),
        metrics: this.metrics,
        pick: () => serving.pick(),
      });
      const digestLog = this.component('digest');
      // Visible to close() from here on, so a failure below still releases the port.
      this.running = {
        owner,
        serving,
        workers,
        acceptor,
        routeDigest: new RouteDigestTracker(owner.routes, {
          onError: (err) => {
            digestLog.error({ err }, 'route digest upkeep failed, rebuilding it');
          },
          // Its upkeep waits for the registry's writes (a while): their round trips come first.
          deferWhile: () => owner.queuedWrites > 0,
        }),
        brokerNotifier,
        http: null,
        address: { host: config.bindAddress, port: config.listenPort, httpPort: null },
      };
      const bound = await acceptor.listen().catch((err: unknown) => {
        throw listenFailure(
          err,
          { port: 'listenPort', address: 'bindAddress' },
          config.bindAddress,
          config.listenPort,
        );
      });
      this.running.address = { host: bound.host, port: bound.port, httpPort: null };
      this.throwIfClosedDuringStart();
      if (workers !== null) {
        await workers.start();
        this.throwIfClosedDuringStart();
        this.logger.info({ servingWorkers: workerCount }, 'serving workers ready');
      }
      if (config.httpPort >= 0) {
        const http = this.createHttp(owner, this.running.routeDigest);
        this.running.http = http;
        const httpBound = await http.start().catch((err: unknown) => {
          throw listenFailure(
            err,
            { port: 'httpPort', address: 'httpBindAddress' },
            config.httpBindAddress,
            config.httpPort,
          );
        });
        this.running.address.httpPort = httpBound.port;
        this.throwIfClosedDuringStart();
      }
      this.startTimers(owner);
      this.state = 'running';
      const { host, port } = this.running.address;
      this.logger.info(
        { host, port, httpPort: this.running.address.httpPort },
        `The Name Server boot success. serializeType=JSON, address ${host}:${port}`,
      );
      return { ...this.running.address };
    } catch (err) {
      if (this.state === 'starting') await this.close();
      throw err;
    }
  }

  /** Idempotent; resolves when every socket, timer and port is released. */
  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    const running = this.running;
    // The acceptor stops at once; timers go right after, so no scan runs against a table that is
    // being torn down.
    const stopped = running?.acceptor.close();
    for (const t of this.timers.splice(0)) clearInterval(t);
    await running?.serving.close(this.config.shutdownTimeoutMillis);
    this.lastGoodFiles?.close();
    await stopped;
    // Writes still queued wait for the KV thread, boundedly: past the grace its pending writes
    // fail (their requests get SYSTEM_ERROR and are undone) and the thread is dropped.
    const kv = this.kvPersistence;
    const kvGrace = Math.max(KV_CLOSE_MIN_GRACE_MILLIS, this.config.shutdownTimeoutMillis);
    const giveUp =
      kv === null
        ? null
        : setTimeout(() => {
            void kv.close(0);
          }, kvGrace);
    await running?.owner.idle();
    if (giveUp !== null) clearTimeout(giveUp);
    await kv?.close(kvGrace);
    await running?.brokerNotifier.close();
    await running?.http?.close();
    running?.routeDigest.close();
    this.metrics.close();
    this.state = 'closed';
    if (wasRunning) this.logger.info({}, 'name server stopped');
    await flushLogger(this.logger);
  }

  /** close() may run while start() awaits a bind; then start() must not go on. */
  private throwIfClosedDuringStart(): void {
    if (this.state !== 'starting') {
      throw new NameServerError('NS_STATE', 'name server closed during start()');
    }
  }

  private require(): Running {
    if (this.running === null) throw new NameServerError('NS_STATE', 'name server not started');
    return this.running;
  }

  /**
   * The node's self-signed certificate when TLS is on and none is configured: made once per
   * process in the background (an RSA key takes about a second), so plain clients are served at
   * once and the first TLS handshakes wait for it. Null when none is needed, or when the TLS
   * settings are bad (createSecurity reports those).
   */
  private selfSignedCertificate(config: NamesrvConfig): Promise<IssuedCertificate> | null {
    let needed: boolean;
    try {
      needed = needsSelfSignedCertificate(serverTlsSettingsOf(config));
    } catch {
      return null;
    }
    if (!needed) return null;
    const made = selfSignedServerCertificateOnce(hostname());
    made.catch(() => undefined); // reported by the serving side that waits for it
    return made;
  }

  /** This process's access control and TLS; a bad setting is a NameServerError naming it. */
  private createSecurity(
    config: NamesrvConfig,
    selfSigned: Promise<IssuedCertificate> | null,
    checkOnly: boolean,
  ): ServingSecurity {
    try {
      return new ServingSecurity({
        config,
        // A check-only instance stays quiet: the node's first serving worker logs what is in
        // force (its reloads and refusals each worker logs itself).
        logger: checkOnly ? createSilentLogger() : this.component('security'),
        auditLogger: this.auditLogger(),
        metrics: this.metrics.security,
        selfSigned,
      });
    } catch (err) {
      const message = describeSecurityError(err);
      if (message === null) throw err;
      throw new NameServerError('NS_STARTUP_SECURITY', message, { cause: err });
    }
  }

  /**
   * The dedicated audit logger (`component: namesrv.audit`): at info whatever logLevel says,
   * unless logging is off altogether.
   */
  private auditLogger(): Logger {
    if (this.audit === null) {
      this.audit = this.logger.child({ component: AUDIT_LOGGER_NAME });
      this.audit.level = this.logger.level === 'silent' ? 'silent' : 'info';
    }
    return this.audit;
  }

  /** servingWorkers = 1: one ServingNode in this process, reading the owner's own tables. */
  private servingHere(owner: RegistryOwner, security: ServingSecurity): ServingSide {
    const node = new ServingNode({
      state: {
        routes: owner.routes,
        kv: owner.kv,
        config: () => owner.config.get(),
        onConfigChanged: (listener) => {
          owner.config.onChange(listener);
        },
        writeInProgress: () => owner.queuedWrites > 0,
      },
      registry: {
        execute: (request, ctx) => owner.execute(request, ctx),
        register: (request, ctx, decoded) => owner.register(request, ctx, decoded),
        connectionClosed: (id) => {
          this.running?.acceptor.release(id);
          void owner.connectionClosed(id);
        },
      },
      loggerFor: (name) => this.component(name),
      metrics: this.metrics,
      clock: this.clock,
      startedAt: this.startedAt,
      servingProcesses: 1,
      transport: transportOptionsOf(owner.config.get(), 1),
      name: 'main',
      security,
    });
    return {
      pick: () => node,
      node,
      get connectionCount() {
        return node.connectionCount;
      },
      closeConnection: (id) => {
        node.closeConnection(id);
      },
      close: (grace) => node.close(grace),
      otherMetrics: () => Promise.resolve([]),
      routeWatchers: () => node.routeWatch?.service.stats().held ?? 0,
      routeWatchStats: () => node.routeWatch?.service.stats() ?? null,
    };
  }

  /** At start: a file the node will write that it cannot (see kvconfig/writable-dir.ts). */
  private warnIfUnwritable(key: ConfigKey, path: string, consequence: string): void {
    const reason = unwritableReason(path);
    if (reason === null) return;
    this.logger.warn(
      { [key]: path, reason, uid: process.getuid?.() },
      `${key} cannot be written: ${reason}; ${consequence} until it can`,
    );
  }

  private createOwner(config: NamesrvConfig): RegistryOwner {
    const store = new KVConfigFileStore(config.kvConfigPath);
    let initialKV: Map<string, Map<string, string>>;
    try {
      initialKV = store.load();
    } catch (err) {
      if (err instanceof KVConfigCorruptError) {
        throw new NameServerError(
          'NS_STARTUP_KV_CONFIG',
          `${err.message} (kvConfigPath; the file was left untouched, fix or move it and restart)`,
          { cause: err },
        );
      }
      throw err;
    }
    this.logger.info(
      { kvConfigPath: config.kvConfigPath, namespaces: initialKV.size },
      'KV config loaded',
    );
    this.warnIfUnwritable('kvConfigPath', config.kvConfigPath, 'every KV write will fail');
    this.warnIfUnwritable(
      'configStorePath',
      config.configStorePath,
      'every UPDATE_NAMESRV_CONFIG will fail',
    );
    // The file is written by the KV persistence thread, never on this event loop; a crashed
    // thread restarts from the owner's table as it is then.
    let owner: RegistryOwner | null = null;
    const durability = new KVWriteBehind({
      store,
      initial: [...initialKV].map(([ns, entries]) => [ns, [...entries]]),
      currentTable: () => owner!.kv.exportTable(),
      logger: this.component('kv-persist'),
    });
    this.kvPersistence = durability;
    owner = new RegistryOwner({
      config,
      clock: this.clock,
      loggerFor: (name) => this.component(name),
      metrics: this.metrics,
      initialKV,
      kvPersistence: { mode: 'write-behind', durability },
      persistConfig: (next, changed) => {
        this.persistConfig(next, changed);
      },
      encodeOps: encodeOpParts,
    });
    return owner;
  }

  private createHttp(owner: RegistryOwner, digest: RouteDigestTracker): HttpAdminServer {
    const config = this.initialConfig;
    const clock = this.clock;
    const routes = owner.routes;
    const kv = owner.kv;
    const waited = startupReadiness({
      needWaitForService: config.needWaitForService,
      waitSecondsForService: config.waitSecondsForService,
      startedAt: this.startedAt,
      now: () => clock.now(),
    });
    return new HttpAdminServer({
      host: config.httpBindAddress,
      port: config.httpPort,
      views: {
        clusterInfo: () => routes.getAllClusterInfo(),
        brokers: () => routes.getBrokerLiveViews(),
        topics: () => routes.getAllTopicList(),
        hasTopic: (topic) => routes.hasTopic(topic),
        topicRoute: (topic) => routes.pickupTopicRouteData(topic),
        onRouteChanged: (listener) => routes.onRouteChanged(listener),
        orderTopicConf: (topic) => kv.getKVConfig(ORDER_TOPIC_CONFIG_NAMESPACE, topic),
        // After the background catch-up (in slices), not a whole change refolded here.
        routeDigest: async () => {
          await digest.settled();
          return digest.digest();
        },
        digestTopics: async (brokerName) => {
          await digest.settled();
          return digest.topicsOfInSteps(brokerName);
        },
        kvConfig: () => kv.snapshot(),
        kvVersion: () => kv.version,
        config: () => configEntries(this.config, this.configSources, this.configDefaults),
        consistencyNodes: () => this.config.consistencyNodes,
      },
      console: loadConsoleAssets(),
      // The remoting policy (validated by createSecurity before this): the views follow it.
      accessPolicy: accessControlSettings(config).policy,
      // A node that asks for credentials does not connect wherever an anonymous caller says.
      adHocConsistencyNodes: !config.aclEnable,
      browserHosts: createBrowserHostPolicy({
        allowed: config.httpAllowedHosts,
        hostname: hostname(),
        consistencyNodes: () => this.config.consistencyNodes,
      }),
      metrics: { scrape: () => this.scrapeMetrics() },
      // Not ready before start() finished or once close() began, so balancers drain us first.
      // With serving workers, also a worker ready for connections: while every one is being
      // replaced (a crash loop), connections wait unserved, and balancers must look elsewhere.
      isReady: () => {
        if (this.state !== 'running' || !waited()) return false;
        const workers = this.running?.workers ?? null;
        return workers === null || workers.responsiveCount > 0;
      },
      logger: this.component('http'),
      now: () => clock.now(),
    });
  }

  private component(name: string): Logger {
    const child = this.logger.child({ component: name });
    this.componentLoggers.push(child);
    return child;
  }

  /**
   * UPDATE_NAMESRV_CONFIG: the config as properties text, atomically, to configStorePath. Every
   * key set anywhere, like Java, but not the defaults (a default that follows another key, such
   * as httpPort = listenPort + 1, written down stopped the next start with another listenPort),
   * and a secret only when it came from a file or an update: one given by environment or flag,
   * to keep it out of files, was written into a file others could read (review finding).
   */
  private persistConfig(next: NamesrvConfig, changed: readonly ConfigKey[]): void {
    const path = this.config.configStorePath;
    const keep = (key: ConfigKey): boolean => {
      if (changed.includes(key)) return true;
      // Unknown when the embedder gave no configOrigin: every key but the secrets, as before.
      const kind = this.configSources.get(key)?.kind;
      if (kind === 'default') return false;
      return !specOf(key).secret || kind === 'file' || kind === 'remote';
    };
    try {
      // The text may hold a secret (tlsServerKeyPassword): a new file is readable by its owner
      // only. A write failing after its rename puts the old text back: the update is refused, so
      // the next start must not apply it.
      writeFileAtomicOrRestoreSync(path, renderConfigFile(next, keep), 0o600);
    } catch (err) {
      // The OS error (e.g. `ENOENT: no such file or directory, mkdir '/proc/x'`) says what failed.
      const os = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      const restore =
        err instanceof KVConfigError && err.restoreFailure !== null
          ? `; ${err.restoreFailure}`
          : '';
      throw new NameServerError(
        'NS_CONFIG_PERSIST_FAILED',
        `cannot write configStorePath ${path}: ${os instanceof Error ? os.message : String(os)}${restore}`,
        { cause: err },
      );
    }
  }

  private onConfigChanged(next: NamesrvConfig, changed: readonly ConfigKey[]): void {
    if (changed.includes('logLevel')) {
      this.logger.level = next.logLevel;
      for (const l of this.componentLoggers) l.level = next.logLevel;
      if (this.audit !== null) this.audit.level = next.logLevel === 'silent' ? 'silent' : 'info';
    }
  }

  private startTimers(owner: RegistryOwner): void {
    const config = this.initialConfig;
    const log = this.component('scheduler');
    // Timers are unref'd: the listening socket keeps the process alive, not a periodic task.
    const scan = setInterval(() => {
      owner.scanNotActiveBroker().then(
        (expired) => {
          this.closeExpiredConnections(owner, expired);
        },
        (err: unknown) => {
          log.error({ err }, 'scanNotActiveBroker failed');
        },
      );
    }, config.scanNotActiveBrokerInterval);
    scan.unref();
    this.timers.push(scan);

    const dumpEvery = config.kvConfigDumpIntervalMillis;
    if (dumpEvery > 0) {
      // Java prints every entry at info. Here info gets the size per namespace (only the
      // largest ones, and the totals, for a table of many namespaces: kvTableSummary): copying
      // and serialising a table of many thousand entries would hold the serving loop (W = 1) for
      // hundreds of milliseconds every interval. The entries themselves come at debug.
      const dump = (): void => {
        log.info(kvTableSummary(owner.kv.snapshot()), 'KV config table');
        if (log.isLevelEnabled('debug')) {
          const configTable: Record<string, Record<string, string | null>> = {};
          for (const [ns, table] of owner.kv.snapshot())
            configTable[ns] = Object.fromEntries(table);
          log.debug({ configTable }, 'KV config table entries');
        }
      };
      const first = setTimeout(
        () => {
          dump();
          const every = setInterval(dump, dumpEvery);
          every.unref();
          this.timers.push(every);
        },
        Math.min(KV_DUMP_INITIAL_DELAY_MILLIS, dumpEvery),
      );
      first.unref();
      this.timers.push(first);
    }
  }

  /**
   * Java closes the expired broker's channel; its close event then finds nothing left. A
   * connection still carrying another live broker (one process registering several broker names)
   * stays open, or the healthy brokers on it would go down too.
   */
  private closeExpiredConnections(owner: RegistryOwner, expired: RemovedBroker[]): void {
    const serving = this.running?.serving;
    if (serving === undefined) return;
    for (const b of expired) {
      if (!owner.isConnectionInUse(b.connectionId)) serving.closeConnection(b.connectionId);
    }
  }
}

/** servingWorkers > 1: the worker processes serve; this process only accepts and hands over. */
function servingElsewhere(workers: ServingWorkers): ServingSide {
  return {
    pick: () => workers.pick(),
    node: null,
    get connectionCount() {
      return workers.connectionCount;
    },
    closeConnection: (id) => {
      workers.closeConnection(id);
    },
    close: (grace) => workers.close(grace),
    otherMetrics: () => workers.metrics(),
    routeWatchers: () => 0,
    routeWatchStats: () => null,
  };
}

function isSteady(clock: Clock): clock is SteadyClock {
  return typeof (clock as Partial<SteadyClock>).anchor === 'number';
}
