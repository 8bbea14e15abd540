/**
 * The route watch of one serving side, wired to its route cache (every invalidation is a route
 * change to the watch, and each changed route's body is encoded once, by the cache) and to the
 * live config (limits, readiness). Null when `routeWatchEnable` is off: the code is then unknown.
 */
import type { NamesrvConfig } from '../config/index.js';
import type { Clock } from '../handlers/deps.js';
import type { RouteBodyCache } from '../handlers/route-cache.js';
import { RouteWatchBinding } from './route-watch-binding.js';
import type { RouteWatchLogger, RouteWatchMetrics } from './types.js';

export interface RouteWatchWiring {
  routeCache: RouteBodyCache;
  config: () => NamesrvConfig;
  clock: Clock;
  /** When the node started: needWaitForService counts from it (not from this process's start). */
  startedAt: number;
  /**
   * The node's serving processes: each holds its share of routeWatchMaxWatchers, a limit of
   * the node's (a watch lives in the process that received it).
   */
  servingProcesses: number;
  metrics?: RouteWatchMetrics | undefined;
  logger: RouteWatchLogger;
  /** True while a write is being applied here in slices (see RouteWatchDeps.deferWakeWhile). */
  writeInProgress?: (() => boolean) | undefined;
}

export function createRouteWatch(w: RouteWatchWiring): RouteWatchBinding | null {
  if (!w.config().routeWatchEnable) return null;
  // Java 5.1+: "ready" counts from the creation of the processor, the node's start (as
  // routeHandlers does).
  const createdAt = w.startedAt;
  const binding = new RouteWatchBinding({
    routeBody: (topic, standardJson) =>
      w.routeCache.get(topic, standardJson, w.config().orderMessageEnable),
    limits: () => {
      const c = w.config();
      return {
        maxWatchers: watchersPerProcess(c.routeWatchMaxWatchers, w.servingProcesses),
        maxTopics: c.routeWatchMaxTopics,
        maxHeldTopics: watchersPerProcess(c.routeWatchMaxHeldTopics, w.servingProcesses),
        maxHoldMillis: c.routeWatchMaxHoldMillis,
        idleTimeoutMillis: c.serverChannelMaxIdleTimeSeconds * 1000,
      };
    },
    isServing: () => {
      const c = w.config();
      return !c.needWaitForService || w.clock.now() - createdAt >= c.waitSecondsForService * 1000;
    },
    ...(w.metrics === undefined ? {} : { metrics: w.metrics }),
    ...(w.writeInProgress === undefined ? {} : { deferWakeWhile: w.writeInProgress }),
    logger: w.logger,
  });
  w.routeCache.onInvalidated(binding.service.onRouteChanged);
  return binding;
}

/**
 * One serving process's share of the node's routeWatchMaxWatchers: watches are held where they
 * arrive, so the node holds at most `processes` × this (rounded up: at least 1 each).
 */
export function watchersPerProcess(maxWatchers: number, processes: number): number {
  return Math.ceil(maxWatchers / Math.max(1, processes));
}
