/**
 * The HTTP admin port: a plain node:http server (no framework, read-only, GET/HEAD only).
 *
 *   /healthz                 200 while the process serves requests
 *   /readyz                  503 until isReady() (e.g. needWaitForService), then 200
 *   /metrics                 Prometheus text exposition
 *   /clusters                GET_BROKER_CLUSTER_INFO content as standard JSON
 *   /brokers                 live brokers with the age of their last heartbeat
 *   /topics                  {"topicList":[…]} sorted
 *   /topics/:topic/route     GET_ROUTEINFO_BY_TOPIC content as standard JSON, 404 if none
 *   /kv                      the whole KV config: {"configTable":{namespace:{key:value}}} sorted
 *   /kv/:namespace           {"namespace":…,"table":{key:value}} (GET_KVLIST_BY_NAMESPACE), 404
 *
 * Nothing here can change state, so it needs no authentication beyond what the remoting port
 * (which serves the same data, unauthenticated, like Java) already has.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KVTable } from '@ns/protocol';
import type { AdminViews, HttpLogger, MetricsSource } from './admin-views.js';
import { toJson } from './json.js';

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
}

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
  '/topics/{topic}/route',
  '/kv',
  '/kv/{namespace}',
];
const ROUTE_PATH = /^\/topics\/([^/]+)\/route$/;
const KV_NAMESPACE_PATH = /^\/kv\/([^/]+)$/;

class BadRequest extends Error {}

export class HttpAdminServer {
  private readonly options: HttpAdminServerOptions;
  private readonly now: () => number;
  private server: Server | null = null;
  private closePromise: Promise<void> | null = null;

  constructor(options: HttpAdminServerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
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
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (err) => {
          logger.error({ err }, 'HTTP admin server error');
        });
        const addr = server.address() as AddressInfo;
        logger.info({ host: addr.address, port: addr.port }, 'HTTP admin server listening');
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Stops listening and drops keep-alive connections. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= new Promise<void>((resolve) => {
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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('cache-control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      this.sendJson(req, res, 405, { error: 'method not allowed' });
      return;
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    try {
      this.route(req, res, path);
    } catch (err) {
      if (err instanceof BadRequest) {
        this.sendJson(req, res, 400, { error: err.message });
        return;
      }
      this.options.logger.error({ err, path }, 'HTTP admin view failed');
      this.sendJson(req, res, 500, { error: 'internal error' });
    }
  }

  private route(req: IncomingMessage, res: ServerResponse, path: string): void {
    const { views } = this.options;
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
        this.sendJson(req, res, 200, { topicList: [...views.topics()].sort(cmp) });
        return;
      case '/kv': {
        // The shape of Java's kvConfig.json (KVConfigSerializeWrapper).
        const configTable = new Map<string, Map<string, string>>();
        for (const namespace of [...views.kvNamespaces()].sort(cmp)) {
          configTable.set(namespace, sortedTable(views.kvNamespace(namespace)));
        }
        this.sendJson(req, res, 200, { configTable });
        return;
      }
    }
    const kv = KV_NAMESPACE_PATH.exec(path);
    if (kv !== null) {
      const namespace = decodeSegment(kv[1]!, 'namespace');
      const table = views.kvNamespace(namespace);
      if (table === null) {
        // Java remark for GET_KVLIST_BY_NAMESPACE on a missing namespace (QUERY_NOT_FOUND).
        this.sendJson(req, res, 404, { error: `No config item, Namespace: ${namespace}` });
      } else {
        this.sendJson(req, res, 200, { namespace, table: sortedTable(table) });
      }
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

  private sendMetrics(req: IncomingMessage, res: ServerResponse): void {
    this.options.metrics.scrape().then(
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
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(status, { 'content-type': contentType, 'content-length': bytes.length });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decodeSegment(segment: string, what: 'topic' | 'namespace'): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest(`malformed percent-encoding in ${what} ${JSON.stringify(segment)}`);
  }
}

/** The entries sorted by key (a missing namespace renders as empty). */
function sortedTable(kv: KVTable | null): Map<string, string> {
  if (kv === null) return new Map();
  return new Map([...kv.table].sort(([a], [b]) => cmp(a, b)));
}
