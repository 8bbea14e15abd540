// HTTP admin port: health, readiness, Prometheus metrics, read-only JSON views and the console.
export { HttpAdminError, HttpAdminServer } from './http-admin-server.js';
export type { HttpAdminErrorCode, HttpAdminServerOptions } from './http-admin-server.js';
export { startupReadiness } from './readiness.js';
export type { StartupReadinessOptions } from './readiness.js';
export type {
  AdminBrokerView,
  AdminConfigEntry,
  AdminViews,
  HttpLogger,
  MetricsSource,
} from './admin-views.js';
export { loadConsoleAssets, loadConsoleAssetsFrom } from './console-assets.js';
export type { ConsoleAsset, ConsoleAssets } from './console-assets.js';
export { configEntries } from './config-entries.js';
