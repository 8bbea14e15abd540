/** The route watch (WATCH_TOPIC_ROUTE): see route-watch-service.ts. */
export { RouteWatchService } from './route-watch-service.js';
export type { RouteWatchStats } from './route-watch-service.js';
export { RouteVersions } from './route-versions.js';
export type {
  RouteWatchDeps,
  RouteWatchLimits,
  RouteWatchLogger,
  RouteWatchMetrics,
  WatchRejectReason,
  WatchResponseReason,
} from './types.js';
