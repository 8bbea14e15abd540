// Configuration: schema, loading (defaults < file < env < CLI), rendering and live update.
export { loadConfig } from './load-config.js';
export type { ConfigSource, LoadConfigInput, LoadConfigResult } from './load-config.js';
export { formatUsage } from './usage.js';
export { formatConfigMarkdown } from './config-markdown.js';
export {
  formatConfigProperties,
  formatJavaConfigProperties,
  redactSecrets,
  renderConfigFile,
  SECRET_MARKER,
} from './format-config.js';
export {
  applyConfigUpdate,
  REMARK_BLACK_LIST,
  REMARK_CONFIG_PATH,
  REMARK_UPDATE_DISABLED,
} from './apply-config-update.js';
export type { ConfigUpdateResult } from './apply-config-update.js';
export { ConfigError } from './config-error.js';
export type { ConfigIssue, ConfigIssueCode } from './config-error.js';
export {
  CONFIG_KEYS,
  CONFIG_SCHEMA,
  defaultConfig,
  envNameOf,
  isConfigKey,
  LOG_LEVELS,
  specOf,
} from './schema.js';
export type {
  ConfigKey,
  ConfigKeySpec,
  ConfigOrigin,
  ConfigValue,
  DefaultsContext,
  LogLevel,
  NamesrvConfig,
} from './schema.js';
