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
export { RouteWatchBinding } from './route-watch-binding.js';
export { createRouteWatch } from './create-route-watch.js';
export type { RouteWatchWiring } from './create-route-watch.js';
export { HELD } from './types.js';
export type { Held } from './types.js';
