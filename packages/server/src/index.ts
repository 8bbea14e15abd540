// @ns/server public API: every export is listed by name, except the security building blocks
// (security/index.ts lists those).

// Composition root and lifecycle
export { NameServer } from './name-server.js';
export type { NameServerAddress, NameServerOptions } from './name-server.js';
export { NameServerError } from './name-server-error.js';
export type { NameServerErrorCode } from './name-server-error.js';
export { ConfigHolder } from './config-holder.js';
export type { ConfigChangeListener } from './config-holder.js';

// Configuration
export {
  CONFIG_KEYS,
  ConfigError,
  defaultConfig,
  formatConfigProperties,
  formatUsage,
  loadConfig,
} from './config/index.js';
export type {
  ConfigIssue,
  ConfigIssueCode,
  ConfigKey,
  LoadConfigInput,
  LoadConfigResult,
  NamesrvConfig,
} from './config/index.js';

// Logging
export {
  createLogger,
  createSilentLogger,
  createStderrDestination,
  flushLogger,
  LOG_FLUSH_TIMEOUT_MS,
} from './logging.js';
export type { CreateLoggerOptions, FlushableDestination, Logger, LogLevel } from './logging.js';

// Transport (embedders and tests can run the TCP layer with their own dispatcher)
export { RemotingServer } from './transport/remoting-server.js';
export type { BoundAddress, RemotingServerInit } from './transport/remoting-server.js';
export { TransportError } from './transport/transport-error.js';
export type { TransportErrorCode } from './transport/transport-error.js';
export { DEFAULT_TRANSPORT_OPTIONS } from './transport/types.js';
export type {
  ConnectionId,
  ConnectionInfo,
  RequestDispatcher,
  TransportMetrics,
  TransportOptions,
  TransportRequestContext,
} from './transport/types.js';

// Metrics and the HTTP admin port
export { createMetrics, STALL_METRIC, STALL_MONITOR_RESOLUTION_MS } from './metrics.js';
export type { CreateMetricsOptions, MetricsViews, NamesrvMetrics, ProcessRole } from './metrics.js';
export { HttpAdminError, HttpAdminServer } from './http/index.js';
export type { HttpAdminErrorCode, HttpAdminServerOptions } from './http/index.js';

// State managers
export { RouteInfoManager } from './route/index.js';
export type { Clock } from './route/index.js';
export { KVConfigCorruptError, KVConfigError, KVConfigManager } from './kvconfig/index.js';
export { Dispatcher } from './handlers/dispatcher.js';
export type { DispatcherDeps } from './handlers/handler-sets.js';

// Security building blocks (access control, ACL signatures, TLS); see security/index.ts
export * from './security/index.js';

// Route watch (WATCH_TOPIC_ROUTE)
export { RouteVersions, RouteWatchBinding, RouteWatchService } from './watch/index.js';
export type {
  RouteWatchDeps,
  RouteWatchLimits,
  RouteWatchLogger,
  RouteWatchMetrics,
  RouteWatchStats,
  WatchRejectReason,
  WatchResponseReason,
} from './watch/index.js';
