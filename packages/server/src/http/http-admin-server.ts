/**
 * The HTTP admin port: a plain node:http server (no framework, read-only, GET/HEAD only).
 *
 *   /healthz                 200 while the process serves requests
 *   /readyz                  503 until isReady() (e.g. needWaitForService), then 200
 *   /metrics                 Prometheus text exposition
 *   /clusters                GET_BROKER_CLUSTER_INFO content as standard JSON
 *   /brokers                 live brokers with the age of their last heartbeat
 *   /topics                  {"topicList":[…]} sorted; with ?q=&offset=&limit= one page of a
 *                            case-insensitive search, each topic with its broker names
 *   /topics/:topic           the route and the topic's ORDER_TOPIC_CONFIG value
 *   /topics?name=:topic      the same, for any name (a browser rewrites /topics/.. as a path)
 *   /topics/:topic/route     GET_ROUTEINFO_BY_TOPIC content as standard JSON, 404 if none
 *   /kv, /kv/:namespace      the KV config table (Java kvConfig.json shape) or one namespace
 *   /config                  the effective configuration, each key with its source
 *   /digest                  the route digest every node should share (@ns/protocol)
 *   /digest/topics?brokerName=  the topics behind one broker name's digest hash
 *   /consistency?nodes=a;b   the digests of those nodes (default consistencyNodes) compared
 *   /console/                the web console (static files, read-only)
 *
 * Nothing here can change state. The data views follow the remoting port's access policy
 * (aclEnable and the acl* keys): each serves the data of one request class (route reads: the
 * cluster, broker, topic, route and digest views; admin reads: /kv, /kv/:namespace, /config), and
 * when that class's policy is not `open` the view answers 403, naming the signed remoting request
 * that serves the same data: this port checks no credentials, addresses or certificates. The
 * ORDER_TOPIC_CONFIG value in /topics/:topic is a KV read: left out while admin reads are
 * protected. The data views also refuse (403) a `Host` that is not one of this node's names, so a
 * web page cannot read them through DNS rebinding (security/browser-hosts.ts, httpAllowedHosts).
 * /healthz, /readyz, /metrics and the console's own files are always served.
 * /consistency makes the node read other nodes' admin ports: only GETs of the fixed digest paths,
 * at most 16 nodes, bounded in time and size, and only digest-shaped answers are passed on.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { NodeListError, parseNodeList } from '@ns/protocol';
import type { DigestTopics } from '@ns/protocol';
import { MAX_CONSISTENCY_NODES } from '../config/load-config.js';
import { POLICY_KEYS } from '../security/access-control.js';
import { OPEN_POLICY } from '../security/access-policy.js';
import type { AccessPolicy } from '../security/access-policy.js';
import { formatClassPolicy } from '../security/policy-spec.js';
import type { RequestClass } from '../security/request-classes.js';
import type { AdminViews, HttpLogger, MetricsSource } from './admin-views.js';
import { hostOf } from '../security/browser-hosts.js';
import { addressGroupOf } from '../transport/address-group.js';
import { listenHostOf } from '../transport/listen-host.js';
import type { BrowserHostPolicy } from '../security/browser-hosts.js';
import type { ConsoleAssets } from './console-assets.js';
import { runConsistencyCheck } from './consistency-runner.js';
import type { FetchJsonOptions } from './fetch-json.js';
import { toJson } from './json.js';
import { kvNamespaceBody, kvTableBody } from './kv-views.js';
import { MAX_QUEUED_JOBS, SliceQueue, SliceQueueFullError } from '../slices/slice-queue.js';
import { concatInSteps } from '../handlers/list-bodies-in-steps.js';
import type { SlicedJob } from '../slices/slice-queue.js';
import { DEFAULT_PAGE_LIMIT, TopicSearch } from './topic-search.js';
import { KV_PATH, ROUTE_PATH, TOPIC_PATH, viewAccessOf } from './view-access.js';

export interface HttpAdminServerOptions {
  readonly host: string;
  /** 0 picks a free port; the bound one is returned by start(). */
  readonly port: number;
  readonly views: AdminViews;
  readonly metrics: MetricsSource;
  /** Readiness, asked on every /readyz. */
  readonly isReady: () => boolean;
  readonly logger: HttpLogger;
  /** Clock for heartbeat ages; Date.now by default. */
  readonly now?: () => number;
  /** The web console's files; without them /console/ answers 404. */
  readonly console?: ConsoleAssets;
  /** Bounds of the consistency view's reads of other nodes (default 3 s, 32 MiB). */
  readonly consistencyFetch?: FetchJsonOptions;
  /**
   * The remoting port's access policy (fixed at start): a view of a class whose policy is not
   * `open` answers 403. Default: every class open (aclEnable=false).
   */
  readonly accessPolicy?: AccessPolicy;
  /**
   * Whether /consistency compares any `?nodes=` list (default), or only consistencyNodes: this
   * port asks for no credentials, and an ad-hoc list makes the node connect wherever the caller
   * says (a review used it to tell open, closed and non-HTTP ports of internal hosts apart).
   */
  readonly adHocConsistencyNodes?: boolean;
  /** Connection bounds of this port (defaults: HTTP_CONNECTION_LIMITS). */
  readonly connectionLimits?: Partial<HttpConnectionLimits>;
  /** Which Host a request may name for a data view (security/browser-hosts.ts); default: any. */
  readonly browserHosts?: BrowserHostPolicy;
}

export interface HttpConnectionLimits {
  /** Connections held at once; more are closed at accept. */
  readonly maxConnections: number;
  /** Connections one remote IP address may hold at once; more are closed at accept. */
  readonly maxConnectionsPerAddress: number;
  /** A connection with no byte in or out for this long is closed (also one half-sent). */
  readonly idleTimeoutMillis: number;
}

/**
 * Scrapers, probes and a few consoles need a handful of short connections. Without these bounds
 * the port held every idle or half-sent connection forever (Node's headersTimeout and
 * requestTimeout do not close a connection that sent nothing or part of a request line) and took
 * connections without limit: 1,100 idle ones exhausted a node's file descriptors, and the
 * remoting port could no longer accept (review finding). The remoting port's own limits
 * (maxConnections…) do not apply here.
 */
export const HTTP_CONNECTION_LIMITS: HttpConnectionLimits = Object.freeze({
  maxConnections: 512,
  maxConnectionsPerAddress: 64,
  idleTimeoutMillis: 15_000,
});

/** An encoded JSON answer, shared by every request waiting for it. */
interface JsonAnswer {
  readonly status: number;
  readonly body: Buffer;
}

function encodeJson(value: unknown): Buffer {
  return Buffer.from(toJson(value), 'utf8');
}

const DEFAULT_CONSISTENCY_FETCH: FetchJsonOptions = { timeoutMs: 3_000, maxBytes: 32 << 20 };

export type HttpAdminErrorCode = 'NS_HTTP_LISTEN_FAILED' | 'NS_HTTP_STATE';

export class HttpAdminError extends Error {
  override name = 'HttpAdminError';
  readonly code: HttpAdminErrorCode;
  constructor(code: HttpAdminErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ENDPOINTS = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/clusters',
  '/brokers',
  '/topics',
  '/topics/{topic}',
  '/topics?name={topic}',
  '/topics/{topic}/route',
  '/kv',
  '/kv/{namespace}',
  '/config',
  '/digest',
  '/digest/topics?brokerName={brokerName}',
  '/consistency?nodes={a;b;c}',
  '/console/',
];
/** /kv and /kv/:namespace bodies kept at once. */
const KV_BODIES_KEPT = 16;
const CONSOLE_PATH = /^\/console\/(.*)$/;
/** Requests one connection may have waiting behind the one being answered (see handle). */
const MAX_PIPELINED = 16;
/** The console runs only its own scripts and talks only to this port. */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

class BadRequest extends Error {}

export class HttpAdminServer {
  private readonly options: HttpAdminServerOptions;
  private readonly now: () => number;
  private server: Server | null = null;
  private closePromise: Promise<void> | null = null;
  private readonly topicSearch: TopicSearch;
  /** The views that walk every topic run here, in slices (slice-queue.ts). */
  private readonly slices = new SliceQueue({ maxJobs: MAX_QUEUED_JOBS });
  /** Per connection: a request is being answered, and the pipelined ones waiting (see handle). */
  private readonly turns = new WeakMap<
    Socket,
    { busy: boolean; closed?: true; waiting: [IncomingMessage, ServerResponse][] }
  >();
  /** The scrape in progress: concurrent `/metrics` requests share it. */
  private scraping: ReturnType<HttpAdminServerOptions['metrics']['scrape']> | null = null;
  /** Encoded /digest/topics answers, by the tracker's answer (kept while it keeps that). */
  private readonly digestTopicsBodies = new WeakMap<DigestTopics, Buffer>();
  /** The /kv (key null) and /kv/:namespace bodies of KV version `version`, built or being built. */
  private readonly kvBodies = { version: -1, built: new Map<string | null, Promise<Buffer>>() };
  /** The encoded `GET /topics` body of one version of the sorted list. */
  private topicListBody: { readonly version: number; readonly body: Buffer } | null = null;
  /** The /consistency check reading the other nodes now, and the node list it reads. */
  private consistencyCheck: { readonly key: string; readonly answer: Promise<JsonAnswer> } | null =
    null;
  /** Ends the check thread of a closing server. */
  private readonly consistencyAbort = new AbortController();

  constructor(options: HttpAdminServerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    const views = options.views;
    this.topicSearch = new TopicSearch({
      topics: () => views.topics(),
      hasTopic: (topic) => views.hasTopic(topic),
      onRouteChanged: (listener) => views.onRouteChanged(listener),
    });
  }

  /** Binds and resolves to the bound address. Rejects with HttpAdminError on bind failure. */
  start(): Promise<{ host: string; port: number }> {
    if (this.server !== null || this.closePromise !== null) {
      return Promise.reject(
        new HttpAdminError('NS_HTTP_STATE', 'HTTP admin server already started'),
      );
    }
    const server = createServer((req, res) => {
      this.handle(req, res);
    });
    // A scrape or a view takes milliseconds; do not let slow clients hold sockets.
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.keepAliveTimeout = 5_000;
    const limits = { ...HTTP_CONNECTION_LIMITS, ...this.options.connectionLimits };
    // No byte either way for this long: closed (no 'timeout' listener, so Node destroys it).
    server.timeout = limits.idleTimeoutMillis;
    server.maxConnections = limits.maxConnections;
    const perAddress = new Map<string, number>();
    server.on('connection', (socket) => {
      const ip = addressGroupOf(socket.remoteAddress);
      const held = perAddress.get(ip) ?? 0;
      if (held >= limits.maxConnectionsPerAddress) {
        socket.destroy();
        return;
      }
      perAddress.set(ip, held + 1);
      socket.once('close', () => {
        const left = (perAddress.get(ip) ?? 1) - 1;
        if (left <= 0) perAddress.delete(ip);
        else perAddress.set(ip, left);
      });
    });
    this.server = server;
    const { host, port, logger } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.server = null;
        reject(
          new HttpAdminError(
            'NS_HTTP_LISTEN_FAILED',
            `cannot listen on ${host}:${port}: ${err.code ?? err.message}`,
            { cause: err },
          ),
        );
      };
      server.once('error', onError);
      const listenHost = listenHostOf(host);
      server.listen(port, listenHost, () => {
        server.off('error', onError);
        server.on('error', (err) => {
          logger.error({ err }, 'HTTP admin server error');
        });
        const addr = server.address() as AddressInfo;
        // The wildcard as configured, like the remoting port's lines (not the `::` it bound).
        const shown = listenHost === undefined ? host : addr.address;
        logger.info({ host: shown, port: addr.port }, 'HTTP admin server listening');
        resolve({ host: shown, port: addr.port });
      });
    });
  }

  /** Stops listening and drops keep-alive connections. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= new Promise<void>((resolve) => {
      this.topicSearch.close();
      this.slices.close();
      // A check still reading other nodes is of no use to anyone now.
      this.consistencyAbort.abort();
      const server = this.server;
      if (server === null) {
        resolve();
        return;
      }
      const shut = (): void => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      };
      if (server.listening) {
        shut();
        return;
      }
      // close() raced a pending start(): shut down once the bind settles either way.
      server.once('listening', shut);
      server.once('error', () => {
        resolve();
      });
    });
    return this.closePromise;
  }

  /**
   * One request at a time per connection. Node's server dispatches every request a client
   * pipelines at once (it only orders the responses): 3,000 pipelined `/metrics` from one socket
   * ran 3,000 scrapes together and held route lookups for seconds (review finding). The next one
   * starts when the previous response is done; a connection with more than MAX_PIPELINED waiting
   * is closed (browsers and scrapers never pipeline).
   */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    let turn = this.turns.get(socket);
    if (turn === undefined) {
      turn = { busy: false, waiting: [] };
      this.turns.set(socket, turn);
    }
    // The parser goes on dispatching what the same read held after the socket was destroyed:
    // one line per connection, not one per request (a 190 KB write made 1,900 warnings).
    if (turn.closed === true) return;
    if (turn.busy) {
      if (turn.waiting.length >= MAX_PIPELINED) {
        turn.closed = true;
        this.options.logger.warn(
          {
            remote: socket.remoteAddress?.replace(/^::ffff:(?=\d+\.)/, ''),
            waiting: turn.waiting.length,
          },
          'HTTP client pipelined too many requests, closing its connection',
        );
        socket.destroy();
        return;
      }
      turn.waiting.push([req, res]);
      return;
    }
    turn.busy = true;
    const state = turn;
    res.once('close', () => {
      state.busy = false;
      const next = state.waiting.shift();
      if (next === undefined) return;
      if (socket.destroyed) {
        state.waiting.length = 0;
        return;
      }
      this.handle(next[0], next[1]);
    });
    this.handleNow(req, res);
  }

  private handleNow(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('cache-control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      this.sendJson(req, res, 405, { error: 'method not allowed' });
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    try {
      this.route(req, res, path, query);
    } catch (err) {
      if (err instanceof BadRequest) {
        this.sendJson(req, res, 400, { error: err.message });
        return;
      }
      this.options.logger.error({ err, path }, 'HTTP admin view failed');
      this.sendJson(req, res, 500, { error: 'internal error' });
    }
  }

  private route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): void {
    const { views } = this.options;
    const access = viewAccessOf(path);
    if (access !== null && this.options.browserHosts?.allows(req.headers) === false) {
      this.sendJson(req, res, 403, {
        error: `${access.view} was asked for by the name '${hostOf(req.headers.host) ?? ''}', which is not one of this node's names: a web page may have pointed its own name at this node's address (DNS rebinding). If you reach the node by this name, add it to httpAllowedHosts`,
      });
      return;
    }
    if (access !== null && !this.isOpen(access.requestClass)) {
      this.sendJson(req, res, 403, {
        error: `${access.view} serves ${access.requestClass} data, which ${this.policyText(access.requestClass)} protects on this node; this HTTP port checks no credentials: send a signed remoting request instead (${access.remoting}, with credentials)`,
        requestClass: access.requestClass,
      });
      return;
    }
    switch (path) {
      case '/':
        this.sendJson(req, res, 200, { endpoints: ENDPOINTS });
        return;
      case '/healthz':
        this.sendJson(req, res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const ready = this.options.isReady();
        this.sendJson(req, res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
        return;
      }
      case '/metrics':
        this.sendMetrics(req, res);
        return;
      case '/clusters':
        this.sendJson(req, res, 200, views.clusterInfo());
        return;
      case '/brokers': {
        const now = this.now();
        const brokers = [...views.brokers()].map((b) => ({
          clusterName: b.clusterName,
          brokerName: b.brokerName,
          brokerId: b.brokerId,
          brokerAddr: b.brokerAddr,
          haServerAddr: b.haServerAddr ?? null,
          lastUpdateTimestamp: b.lastUpdateTimestamp,
          lastUpdateAgeMillis: Math.max(0, now - b.lastUpdateTimestamp),
          heartbeatTimeoutMillis: b.heartbeatTimeoutMillis ?? null,
          dataVersion: b.dataVersion ?? null,
          brokerVersion: b.brokerVersion ?? null,
        }));
        brokers.sort(
          (a, b) =>
            cmp(a.clusterName, b.clusterName) ||
            cmp(a.brokerName, b.brokerName) ||
            a.brokerId - b.brokerId,
        );
        this.sendJson(req, res, 200, { brokers });
        return;
      }
      case '/topics':
        if (query.has('name')) {
          // The same answer as /topics/{topic}, for names a browser rewrites as a path (`.`, `..`).
          this.sendTopicDetail(req, res, query.get('name')!);
          return;
        }
        if (!query.has('q') && !query.has('offset') && !query.has('limit')) {
          this.sendTopicList(req, res);
          return;
        }
        this.sendTopicPage(req, res, query);
        return;
      case '/kv':
        this.sendKvBody(req, res, path, null, () => kvTableBody(views.kvConfig()));
        return;
      case '/config':
        this.sendJson(req, res, 200, { config: views.config() });
        return;
      case '/digest':
        Promise.resolve(views.routeDigest()).then(
          (digest) => {
            this.sendJson(req, res, 200, digest);
          },
          (err: unknown) => {
            this.options.logger.error({ err, path }, 'HTTP admin view failed');
            this.sendJson(req, res, 500, { error: 'internal error' });
          },
        );
        return;
      case '/digest/topics': {
        const brokerName = query.get('brokerName');
        if (brokerName === null || brokerName === '') {
          throw new BadRequest('brokerName query parameter required');
        }
        views.digestTopics(brokerName).then(
          (steps) => {
            this.runView(req, res, path, this.digestTopicsJob(steps), (body) => {
              if (body === null) {
                this.sendJson(req, res, 404, {
                  error: `no broker name ${brokerName} on this node`,
                });
              } else {
                this.sendBytes(req, res, 200, JSON_TYPE, body);
              }
            });
          },
          (err: unknown) => {
            this.options.logger.error({ err, path }, 'HTTP admin view failed');
            this.sendJson(req, res, 500, { error: 'internal error' });
          },
        );
        return;
      }
      case '/consistency':
        this.sendConsistency(req, res, query);
        return;
      case '/console':
        res.writeHead(301, { location: '/console/', 'content-length': 0 });
        res.end();
        return;
    }
    const c = CONSOLE_PATH.exec(path);
    if (c !== null) {
      this.sendConsoleAsset(req, res, c[1] === '' ? 'index.html' : c[1]!);
      return;
    }
    const kv = KV_PATH.exec(path);
    if (kv !== null) {
      const namespace = decodeSegment(kv[1]!, 'namespace');
      const table = views.kvConfig().get(namespace);
      if (table === undefined) {
        // Java's remark for GET_KVLIST_BY_NAMESPACE on a missing namespace (QUERY_NOT_FOUND).
        this.sendJson(req, res, 404, { error: `No config item, Namespace: ${namespace}` });
      } else {
        this.sendKvBody(req, res, path, namespace, () => kvNamespaceBody(namespace, table));
      }
      return;
    }
    const t = TOPIC_PATH.exec(path);
    if (t !== null) {
      this.sendTopicDetail(req, res, decodeSegment(t[1]!, 'topic'));
      return;
    }
    const m = ROUTE_PATH.exec(path);
    if (m !== null) {
      const topic = decodeSegment(m[1]!, 'topic');
      const route = views.topicRoute(topic);
      if (route === null) {
        // Java remark for a route miss (TOPIC_NOT_EXIST).
        this.sendJson(req, res, 404, {
          error: `No topic route info in name server for the topic: ${topic}`,
        });
      } else {
        this.sendJson(req, res, 200, route);
      }
      return;
    }
    this.sendJson(req, res, 404, { error: 'not found', endpoints: ENDPOINTS });
  }

  /** `/topics/{topic}` and `/topics?name=`: the route and the topic's ORDER_TOPIC_CONFIG value. */
  private sendTopicDetail(req: IncomingMessage, res: ServerResponse, topic: string): void {
    const views = this.options.views;
    const route = views.topicRoute(topic);
    if (route === null) {
      this.sendJson(req, res, 404, {
        error: `No topic route info in name server for the topic: ${topic}`,
      });
      return;
    }
    // The ORDER_TOPIC_CONFIG value is a KV read (GET_KV_CONFIG): only while those are open.
    const kvOpen = this.isOpen('admin-read');
    this.sendJson(req, res, 200, {
      topic,
      route,
      orderTopicConf: kvOpen ? views.orderTopicConf(topic) : null,
      ...(kvOpen
        ? {}
        : {
            orderTopicConfHidden: `ORDER_TOPIC_CONFIG is admin-read data, which ${this.policyText('admin-read')} protects: nsadmin getKvConfig -s ORDER_TOPIC_CONFIG -k <topic>, with credentials (with orderMessageEnable=true, route answers carry it too, as Java's do)`,
          }),
    });
  }

  /** Whether the remoting policy lets anyone read this class (this port checks nothing). */
  private isOpen(requestClass: RequestClass): boolean {
    return (this.options.accessPolicy ?? OPEN_POLICY)[requestClass].kind === 'open';
  }

  /** `aclAdminRead=signed`: the key and value that protect a class. */
  private policyText(requestClass: RequestClass): string {
    const policy = (this.options.accessPolicy ?? OPEN_POLICY)[requestClass];
    return `${POLICY_KEYS[requestClass]}=${formatClassPolicy(policy)}`;
  }

  private sendTopicList(req: IncomingMessage, res: ServerResponse): void {
    this.runView(req, res, '/topics', this.topicListJob(), (body) => {
      this.sendBytes(req, res, 200, JSON_TYPE, body);
    });
  }

  private *topicListJob(): SlicedJob<Buffer> {
    const { topics, version } = yield* this.topicSearch.all();
    if (this.topicListBody?.version !== version) {
      this.topicListBody = { version, body: yield* topicListJson(topics) };
    }
    return this.topicListBody.body;
  }

  private sendTopicPage(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const offset = intParam(query, 'offset', 0);
    const limit = intParam(query, 'limit', DEFAULT_PAGE_LIMIT);
    const job = this.topicPageJob(query.get('q') ?? '', offset, limit);
    this.runView(req, res, '/topics', job, (page) => {
      this.sendJson(req, res, 200, page);
    });
  }

  private *topicPageJob(q: string, offset: number, limit: number): SlicedJob<object> {
    const page = yield* this.topicSearch.page(q, offset, limit);
    // Only the visible page is looked up: O(page), whatever the table size.
    const topics: object[] = [];
    for (const topic of page.topics) {
      const route = this.options.views.topicRoute(topic);
      const queues = route?.queueDatas ?? [];
      topics.push({
        topic,
        brokerNames: queues.map((qd) => qd.brokerName).sort(cmp),
        readQueueNums: queues.reduce((n, qd) => n + qd.readQueueNums, 0),
        writeQueueNums: queues.reduce((n, qd) => n + qd.writeQueueNums, 0),
        perms: [...new Set(queues.map((qd) => qd.perm))].sort((a, b) => a - b),
      });
      if (topics.length % 64 === 0) yield;
    }
    return { ...page, topics };
  }

  /** The digest topics of one broker name, encoded in steps (4.7 MB at 50,000 topics) and kept. */
  private *digestTopicsJob(steps: SlicedJob<DigestTopics | null>): SlicedJob<Buffer | null> {
    const topics = yield* steps;
    if (topics === null) return null;
    let body = this.digestTopicsBodies.get(topics);
    if (body === undefined) {
      body = yield* jsonWithArrayInSteps(topics, 'topics');
      this.digestTopicsBodies.set(topics, body);
    }
    return body;
  }

  /**
   * Answers /kv (`namespace` null) or /kv/:namespace with the body kept for the current KV
   * version, or built by `job` on the slice queue (and kept; a request arriving meanwhile shares
   * the build). Built per request, a namespace of 100,000 keys held the event loop 66-71 ms every
   * time, so a client repeating the request back to back held it most of the time.
   */
  private sendKvBody(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    namespace: string | null,
    job: () => SlicedJob<Buffer>,
  ): void {
    const version = this.options.views.kvVersion();
    if (this.kvBodies.version !== version) {
      this.kvBodies.version = version;
      this.kvBodies.built.clear();
    }
    let body = this.kvBodies.built.get(namespace);
    if (body === undefined) {
      body = this.slices.run(job());
      const built = this.kvBodies.built;
      built.set(namespace, body);
      // Bounded: the oldest namespace body goes first.
      if (built.size > KV_BODIES_KEPT) built.delete(built.keys().next().value!);
      // A body built while the table changed is for no single version: dropped when done.
      body.then(
        () => {
          if (this.options.views.kvVersion() !== version) built.delete(namespace);
        },
        () => {
          built.delete(namespace);
        },
      );
    }
    body
      .then((bytes) => {
        this.sendBytes(req, res, 200, JSON_TYPE, bytes);
      })
      .catch((err: unknown) => {
        if (this.closePromise !== null) return;
        if (this.answerQueueFull(req, res, err)) return;
        this.options.logger.error({ err, path }, 'HTTP admin view failed');
        if (res.headersSent) res.destroy();
        else this.sendJson(req, res, 500, { error: 'internal error' });
      });
  }

  /**
   * Runs a view's job on the slice queue, then `answer`s with its value. A failure is answered
   * 500 and logged, unless the port is closing (its connections are being dropped anyway).
   */
  private runView<T>(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    job: SlicedJob<T>,
    answer: (value: T) => void,
  ): void {
    // A client that leaves takes its view off the queue: started views used to run to the end
    // for nobody, and connecting, asking and closing at once queued searches without bound.
    const left = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) left.abort();
    });
    this.slices
      .run(job, left.signal)
      .then(answer)
      .catch((err: unknown) => {
        if (this.closePromise !== null || left.signal.aborted) return;
        if (this.answerQueueFull(req, res, err)) return;
        this.options.logger.error({ err, path }, 'HTTP admin view failed');
        if (res.headersSent) res.destroy();
        else this.sendJson(req, res, 500, { error: 'internal error' });
      });
  }

  /** 503 for a view refused because too many wait (true), or false for any other failure. */
  private answerQueueFull(req: IncomingMessage, res: ServerResponse, err: unknown): boolean {
    if (!(err instanceof SliceQueueFullError)) return false;
    if (res.headersSent) {
      res.destroy();
      return true;
    }
    res.setHeader('retry-after', '1');
    this.sendJson(req, res, 503, { error: err.message });
    return true;
  }

  /** Whether `nodes` are the nodes of `configured` (consistencyNodes), in any order. */
  private isConfiguredNodeList(
    nodes: readonly unknown[],
    configured: string,
    httpPort: number | undefined,
  ): boolean {
    if (configured.trim() === '') return false;
    let allowed;
    try {
      allowed = parseNodeList(configured, {
        maxNodes: MAX_CONSISTENCY_NODES,
        ...(httpPort === undefined ? {} : { httpPort }),
      });
    } catch {
      return false;
    }
    const key = (list: readonly unknown[]): string =>
      JSON.stringify(list.map((n) => JSON.stringify(n)).sort());
    return key(nodes) === key(allowed);
  }

  private sendConsistency(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const given = query.get('nodes');
    const configured = this.options.views.consistencyNodes();
    const list = given ?? configured;
    if (list.trim() === '') {
      throw new BadRequest(
        'no node list: give ?nodes=host:port;host:port or set consistencyNodes on the node',
      );
    }
    const httpPort = query.has('httpPort') ? intParam(query, 'httpPort', 0) : undefined;
    let nodes;
    try {
      nodes = parseNodeList(list, {
        maxNodes: MAX_CONSISTENCY_NODES,
        ...(httpPort === undefined ? {} : { httpPort }),
      });
    } catch (err) {
      if (err instanceof NodeListError) throw new BadRequest(`nodes: ${err.message}`);
      throw err;
    }
    if (given !== null && this.options.adHocConsistencyNodes === false) {
      if (!this.isConfiguredNodeList(nodes, configured, httpPort)) {
        this.sendJson(req, res, 403, {
          error:
            'with aclEnable=true this node compares only its consistencyNodes (set them, or ask without ?nodes=): this port checks no credentials, and another list would make the node connect wherever the caller says',
        });
        return;
      }
    }
    // One check at a time per node: each one reads up to 16 nodes, and this port asks for no
    // credentials, so a client repeating the request must not multiply that. Requests for the
    // same node list while it runs (two consoles open on one node) share its answer.
    const key = JSON.stringify(nodes);
    let check = this.consistencyCheck;
    if (check !== null && check.key !== key) {
      res.setHeader('Retry-After', '1');
      this.sendJson(req, res, 503, { error: 'a consistency check is already running; try again' });
      return;
    }
    if (check === null) {
      const limits = this.options.consistencyFetch ?? DEFAULT_CONSISTENCY_FETCH;
      // Topic lists are asked for during 2 fetch timeouts at most: with the digests' read before
      // and the last lists' after, a check takes at most 4, inside the port's 15 s idle close.
      // In a thread of its own: see consistency-thread.ts.
      const answer = runConsistencyCheck(
        nodes,
        limits,
        2 * limits.timeoutMs,
        this.consistencyAbort.signal,
      )
        .then((run): JsonAnswer => {
          if (run.ok) return { status: 200, body: run.body };
          this.options.logger.error({ error: run.error }, 'consistency check failed');
          return { status: 500, body: encodeJson({ error: 'internal error' }) };
        })
        .finally(() => {
          this.consistencyCheck = null;
        });
      check = { key, answer };
      this.consistencyCheck = check;
    } else {
      this.options.logger.debug({ nodes: nodes.length }, 'consistency check shared');
    }
    void check.answer.then(({ status, body }) => {
      if (this.closePromise === null) this.sendBytes(req, res, status, JSON_TYPE, body);
    });
  }

  private sendConsoleAsset(req: IncomingMessage, res: ServerResponse, path: string): void {
    const assets = this.options.console;
    if (assets === undefined || assets.problem !== null) {
      this.sendJson(req, res, 404, {
        error: assets?.problem ?? 'the console is not served by this node',
      });
      return;
    }
    const asset = assets.get(path);
    if (asset === undefined) {
      this.sendJson(req, res, 404, { error: `no console file ${path}` });
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': asset.contentType,
      etag: asset.etag,
      // Revalidated every time (cheap 304s): a node upgrade must never leave a stale script.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    };
    if (asset.contentType.startsWith('text/html')) {
      headers['content-security-policy'] = CONSOLE_CSP;
      headers['referrer-policy'] = 'no-referrer';
    }
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = acceptsGzip(req.headers);
    const body = gzip ? asset.gzip : asset.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private sendMetrics(req: IncomingMessage, res: ServerResponse): void {
    // Scrapers that ask together get the same answer: a scrape asks every serving worker.
    if (this.scraping !== null) this.options.logger.debug({}, 'metrics scrape shared');
    this.scraping ??= this.options.metrics.scrape().finally(() => {
      this.scraping = null;
    });
    this.scraping.then(
      ({ contentType, body }) => {
        this.send(req, res, 200, contentType, body);
      },
      (err: unknown) => {
        this.options.logger.error({ err }, 'metrics scrape failed');
        this.sendJson(req, res, 500, { error: 'internal error' });
      },
    );
  }

  private sendJson(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    value: unknown,
  ): void {
    this.send(req, res, status, JSON_TYPE, toJson(value));
  }

  private send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    contentType: string,
    body: string,
  ): void {
    this.sendBytes(req, res, status, contentType, Buffer.from(body, 'utf8'));
  }

  private sendBytes(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    contentType: string,
    bytes: Buffer,
  ): void {
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': bytes.length,
      // A JSON answer holds broker- and client-given strings: never let a browser read it as HTML.
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }
}

/** `{"topicList":[…]}` exactly as toJson writes it, encoded in steps (2 MB at 80,000 topics). */
function topicListJson(topics: readonly string[]): SlicedJob<Buffer> {
  return jsonWithArrayInSteps({ topicList: topics }, 'topicList');
}

/**
 * `value` as toJson writes it, its array property `key` (its last property, plain data) encoded
 * a few thousand items at a time between yields.
 */
function* jsonWithArrayInSteps<T extends object>(
  value: T,
  key: keyof T & string,
): SlicedJob<Buffer> {
  const items = value[key] as readonly unknown[];
  const shell = toJson({ ...value, [key]: [] });
  const empty = `"${key}":[]}`;
  if (!shell.endsWith(empty)) return Buffer.from(toJson(value), 'utf8');
  // Each chunk is encoded to bytes as it is made and the parts joined in steps: one join of the
  // whole text at the end held the loop 11-16 ms for a 7.8 MB /digest/topics (review finding).
  const parts = [Buffer.from(shell.slice(0, -2), 'utf8')];
  for (let i = 0; i < items.length; i += 2048) {
    const chunk = toJson(items.slice(i, i + 2048));
    parts.push(Buffer.from(i === 0 ? chunk.slice(1, -1) : `,${chunk.slice(1, -1)}`, 'utf8'));
    yield;
  }
  parts.push(Buffer.from(']}', 'utf8'));
  return yield* concatInSteps(parts);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  // Decimal digits only: Number() would also take "0x10", "1e3", " 7" and "0b1", which no
  // documented form of these parameters is and which a typo could hit silently.
  const n = /^[0-9]{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new BadRequest(`${name}: expected a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function acceptsGzip(headers: IncomingHttpHeaders): boolean {
  const accept = headers['accept-encoding'];
  return typeof accept === 'string' && /\bgzip\b/.test(accept);
}

function decodeSegment(segment: string, what: 'topic' | 'namespace'): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest(`malformed percent-encoding in ${what} ${JSON.stringify(segment)}`);
  }
}
