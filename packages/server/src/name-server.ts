/**
 * Composition root (Java NamesrvController): wires config, logging, the KV store, the route table,
 * metrics, the dispatcher, the TCP transport and the HTTP admin server, and owns every timer.
 *
 * Lifecycle: `start()` loads the KV file, binds the ports and starts the scans, resolving to the
 * bound addresses (the real ports when 0 was asked). `close()` is idempotent and shuts down in
 * order: stop accepting, stop timers, drain answered requests and close connections (destroying
 * those still open after `shutdownTimeoutMillis`), close HTTP, flush logs. Signals and exit
 * codes belong to main.ts only.
 */
import type { ConfigKey, NamesrvConfig } from './config/index.js';
import { ConfigHolder } from './config-holder.js';
import { CountingKVConfigManager, CountingRouteInfoManager } from './counting-managers.js';
import { Dispatcher } from './handlers/dispatcher.js';
import { HttpAdminError, HttpAdminServer, startupReadiness } from './http/index.js';
import {
  KVConfigCorruptError,
  KVConfigFileStore,
  KVConfigManager,
  writeFileAtomicSync,
} from './kvconfig/index.js';
import { createSilentLogger, flushLogger } from './logging.js';
import type { Logger } from './logging.js';
import { createMetrics } from './metrics.js';
import type { NamesrvMetrics } from './metrics.js';
import { NameServerError } from './name-server-error.js';
import { RouteInfoManager } from './route/index.js';
import type { Clock, RemovedBroker } from './route/index.js';
import { OnewaySender } from './transport/oneway-sender.js';
import { RemotingServer } from './transport/remoting-server.js';
import { TransportError } from './transport/transport-error.js';
import type { TransportMetrics } from './transport/types.js';

export interface NameServerOptions {
  config: NamesrvConfig;
  /** Root logger; components get children. Default: silent. */
  logger?: Logger;
  /** Time source for broker expiry and readiness; default Date.now. */
  clock?: Clock;
  /** Export prom-client's default process metrics (default true; tests turn it off). */
  defaultMetrics?: boolean;
}

export interface NameServerAddress {
  /** Address the remoting port is bound to. */
  host: string;
  port: number;
  /** Port of the HTTP admin server, or null when it is disabled (httpPort = -1). */
  httpPort: number | null;
}

/** Everything `start()` builds; null before start. */
interface Running {
  kvConfigManager: KVConfigManager;
  routeInfoManager: RouteInfoManager;
  dispatcher: Dispatcher;
  transport: RemotingServer;
  /** Requests the node sends to brokers (NOTIFY_MIN_BROKER_ID_CHANGE). */
  brokerNotifier: OnewaySender;
  http: HttpAdminServer | null;
  address: NameServerAddress;
}

type State = 'new' | 'starting' | 'running' | 'closing' | 'closed';

const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** Java prints the KV table 1 minute after start, then every 10 minutes. */
const KV_DUMP_INITIAL_DELAY_MILLIS = 60_000;

export class NameServer {
  readonly metrics: NamesrvMetrics;
  private readonly configHolder: ConfigHolder;
  private readonly logger: Logger;
  /** Component loggers, kept so a live `logLevel` change reaches all of them. */
  private readonly componentLoggers: Logger[] = [];
  private readonly clock: Clock;
  private state: State = 'new';
  private running: Running | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closePromise: Promise<void> | null = null;

  constructor(options: NameServerOptions) {
    this.configHolder = new ConfigHolder(options.config);
    this.logger = options.logger ?? createSilentLogger();
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.metrics = createMetrics(
      {
        brokerCount: () => this.running?.routeInfoManager.getCounts().brokers ?? 0,
        topicCount: () => this.running?.routeInfoManager.getCounts().topics ?? 0,
      },
      { defaultMetrics: options.defaultMetrics ?? true },
    );
    this.configHolder.onChange((next, _previous, changed) => {
      this.onConfigChanged(next, changed);
    });
  }

  /** The live configuration (UPDATE_NAMESRV_CONFIG replaces it). */
  get config(): NamesrvConfig {
    return this.configHolder.get();
  }

  /** The bound addresses while running; null before `start()` resolved and once closing. */
  get address(): NameServerAddress | null {
    return this.state === 'running' && this.running !== null ? { ...this.running.address } : null;
  }

  /** The route table (for the admin views and tests); throws before `start()`. */
  get routeInfoManager(): RouteInfoManager {
    return this.require().routeInfoManager;
  }

  get kvConfigManager(): KVConfigManager {
    return this.require().kvConfigManager;
  }

  get transport(): RemotingServer {
    return this.require().transport;
  }

  async start(): Promise<NameServerAddress> {
    if (this.state !== 'new') {
      throw new NameServerError('NS_STATE', `start() called on a ${this.state} name server`);
    }
    this.state = 'starting';
    const config = this.config;
    this.logger.info({ config }, 'starting name server');
    try {
      const kvConfigManager = this.loadKVConfig(config.kvConfigPath);
      const routeInfoManager = new CountingRouteInfoManager(
        {
          clock: this.clock,
          logger: this.component('route'),
          kvLookup: (namespace) => kvConfigManager.getKVListByNamespace(namespace),
        },
        {
          javaLine: config.compatibilityLine,
          notifyMinBrokerIdChanged: config.notifyMinBrokerIdChanged,
          supportActingMaster: config.supportActingMaster,
          deleteTopicWithBrokerRegistration: config.deleteTopicWithBrokerRegistration,
          defaultHeartbeatTimeoutMillis: config.heartbeatTimeoutMillis,
        },
        () => {
          this.metrics.brokerRegistered();
        },
      );
      const brokerNotifier = new OnewaySender({ logger: this.component('notify') });
      const dispatcher = new Dispatcher({
        notifyBroker: (brokerAddr, command) => {
          brokerNotifier.send(brokerAddr, command);
        },
        routeInfoManager,
        kvConfigManager,
        config: this.configHolder,
        persistConfig: (text) => {
          this.persistConfig(text);
        },
        metrics: this.metrics,
        logger: this.component('handlers'),
        clock: this.clock,
      });
      const transport = new RemotingServer({
        dispatcher,
        logger: this.component('transport'),
        metrics: this.transportMetrics(),
        now: () => this.clock.now(),
        options: {
          host: config.bindAddress,
          port: config.listenPort,
          maxFrameLength: config.maxFrameLength,
          idleTimeoutMillis: config.serverChannelMaxIdleTimeSeconds * 1000,
          backlog: config.serverSocketBacklog,
          // One response can be as large as a frame; never kill a peer for a single answer.
          writeHardLimit: Math.max(64 * 1024 * 1024, 2 * config.maxFrameLength),
        },
        onConnectionClosed: (id) => {
          this.countExpired(routeInfoManager.onConnectionClosed(id), 'channel_closed');
        },
      });
      // Visible to close() from here on, so a failure below still releases the port.
      this.running = {
        kvConfigManager,
        routeInfoManager,
        dispatcher,
        transport,
        brokerNotifier,
        http: null,
        address: { host: config.bindAddress, port: config.listenPort, httpPort: null },
      };
      const bound = await transport.listen().catch((err: unknown) => {
        throw err instanceof TransportError && err.code === 'NS_LISTEN_FAILED'
          ? new NameServerError('NS_STARTUP_LISTEN', err.message, { cause: err })
          : err;
      });
      this.running.address = { host: bound.host, port: bound.port, httpPort: null };
      this.throwIfClosedDuringStart();
      if (config.httpPort >= 0) {
        const http = this.createHttp(routeInfoManager);
        this.running.http = http;
        const httpBound = await http.start().catch((err: unknown) => {
          throw err instanceof HttpAdminError && err.code === 'NS_HTTP_LISTEN_FAILED'
            ? new NameServerError('NS_STARTUP_HTTP', err.message, { cause: err })
            : err;
        });
        this.running.address.httpPort = httpBound.port;
        this.throwIfClosedDuringStart();
      }
      this.startTimers(routeInfoManager, kvConfigManager, transport);
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
    // transport.close() stops accepting synchronously; timers go right after, so no scan runs
    // against a table that is being torn down.
    const transportClosed = running?.transport.close(this.config.shutdownTimeoutMillis);
    for (const t of this.timers.splice(0)) clearInterval(t);
    await transportClosed;
    await running?.brokerNotifier.close();
    await running?.http?.close();
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

  private createHttp(routes: RouteInfoManager): HttpAdminServer {
    const config = this.config;
    const clock = this.clock;
    const waited = startupReadiness({
      needWaitForService: config.needWaitForService,
      waitSecondsForService: config.waitSecondsForService,
      startedAt: clock.now(),
      now: () => clock.now(),
    });
    return new HttpAdminServer({
      host: config.httpBindAddress,
      port: config.httpPort,
      views: {
        clusterInfo: () => routes.getAllClusterInfo(),
        brokers: () => routes.getBrokerLiveViews(),
        topics: () => routes.getAllTopicList(),
        topicRoute: (topic) => routes.pickupTopicRouteData(topic),
      },
      metrics: this.metrics,
      // Not ready before start() finished or once close() began, so balancers drain us first.
      isReady: () => this.state === 'running' && waited(),
      logger: this.component('http'),
      now: () => clock.now(),
    });
  }

  private component(name: string): Logger {
    const child = this.logger.child({ component: name });
    this.componentLoggers.push(child);
    return child;
  }

  private loadKVConfig(path: string): KVConfigManager {
    const store = new KVConfigFileStore(path);
    let initial: Map<string, Map<string, string>>;
    try {
      initial = store.load();
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
    const namespaces = initial.size;
    this.logger.info({ kvConfigPath: path, namespaces }, 'KV config loaded');
    return new CountingKVConfigManager(
      {
        initial,
        persist: (table) => {
          store.persist(table);
        },
      },
      (op) => {
        this.metrics.kvConfigWritten(op);
      },
    );
  }

  /** UPDATE_NAMESRV_CONFIG: the whole properties text, atomically, to configStorePath. */
  private persistConfig(text: string): void {
    const path = this.config.configStorePath;
    try {
      writeFileAtomicSync(path, text);
    } catch (err) {
      throw new NameServerError(
        'NS_CONFIG_PERSIST_FAILED',
        `cannot write configStorePath ${path}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  private onConfigChanged(next: NamesrvConfig, changed: readonly ConfigKey[]): void {
    if (changed.includes('logLevel')) {
      this.logger.level = next.logLevel;
      for (const l of this.componentLoggers) l.level = next.logLevel;
    }
    if (changed.includes('deleteTopicWithBrokerRegistration')) {
      this.running?.routeInfoManager.setDeleteTopicWithBrokerRegistration(
        next.deleteTopicWithBrokerRegistration,
      );
    }
  }

  private startTimers(
    routes: RouteInfoManager,
    kv: KVConfigManager,
    transport: RemotingServer,
  ): void {
    const config = this.config;
    const log = this.component('scheduler');
    // Timers are unref'd: the listening socket keeps the process alive, not a periodic task.
    const scan = setInterval(() => {
      try {
        const expired = routes.scanNotActiveBroker(this.clock.now());
        // Java closes the expired broker's channel; its close event then finds nothing left.
        // A connection still carrying another live broker (one process registering several
        // broker names) stays open, or the healthy brokers on it would go down too.
        for (const b of expired) {
          if (!routes.isConnectionInUse(b.connectionId)) transport.closeConnection(b.connectionId);
        }
        this.countExpired(expired, 'timeout');
      } catch (err) {
        log.error({ err }, 'scanNotActiveBroker failed');
      }
    }, config.scanNotActiveBrokerInterval);
    scan.unref();
    this.timers.push(scan);

    const dumpEvery = config.kvConfigDumpIntervalMillis;
    if (dumpEvery > 0) {
      const dump = (): void => {
        const configTable: Record<string, Record<string, string | null>> = {};
        for (const [ns, entries] of kv.snapshot()) configTable[ns] = Object.fromEntries(entries);
        log.info({ configTable }, 'KV config table');
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

  private countExpired(removed: RemovedBroker[], reason: 'timeout' | 'channel_closed'): void {
    for (let i = 0; i < removed.length; i++) this.metrics.brokerExpired(reason);
  }

  private transportMetrics(): TransportMetrics {
    const m = this.metrics;
    return {
      connectionOpened: () => {
        m.connectionOpened();
      },
      connectionClosed: () => {
        m.connectionClosed();
      },
      frameError: (code) => {
        m.frameError(code);
      },
      connectionDropped: () => {
        // Idle and overflow closes are logged by the transport; no separate series (yet).
      },
    };
  }
}
