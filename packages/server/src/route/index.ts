// Route state: the public surface of packages/server/src/route.
export { DEFAULT_BROKER_CHANNEL_EXPIRED_TIME, RouteInfoManager } from './route-info-manager.js';
export type { RouteInfoManagerDeps } from './route-info-manager.js';
export { RouteTables } from './route-tables.js';
export type { RouteReadModel, RouteTablesOptions, SteppedTopicList } from './route-tables.js';
export { OpCode, ROUTE_OP_WIDTH } from './route-ops.js';
export { filterRouteByZone, resolveZoneFilter } from './zone-route-filter.js';
export type {
  BrokerIdentity,
  BrokerLiveView,
  Clock,
  ConnectionId,
  KVNamespaceLookup,
  ManagerLogger,
  MinBrokerIdChange,
  MinBrokerIdChangeListener,
  QueryDataVersionResult,
  RegisterBrokerRequest,
  LazyRegisterBody,
  RemovedBroker,
  RouteChangeListener,
  RouteCounts,
  RouteInfoManagerOptions,
  UnregisterContext,
  UnregisterOutcome,
} from './types.js';
