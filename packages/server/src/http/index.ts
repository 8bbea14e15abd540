// HTTP admin port: health, readiness, Prometheus metrics and read-only JSON views.
export { HttpAdminError, HttpAdminServer } from './http-admin-server.js';
export type { HttpAdminErrorCode, HttpAdminServerOptions } from './http-admin-server.js';
export { startupReadiness } from './readiness.js';
export type { StartupReadinessOptions } from './readiness.js';
export type { AdminBrokerView, AdminViews, HttpLogger, MetricsSource } from './admin-views.js';
