/**
 * Renders the configuration as Java properties text: the GET_NAMESRV_CONFIG (319) body, the `-p`
 * output and the file UPDATE_NAMESRV_CONFIG persists to configStorePath.
 *
 * Java (`Configuration#getAllConfigsFormatString`) renders every field of NamesrvConfig and
 * NettyServerConfig as `key=value\n`, skipping nulls; 5.x sorts by key, 4.9 uses hash order. We
 * sort (deterministic output), include our own keys, and skip strings that mean "unset" (Java
 * null, e.g. an absent rocketmqHome).
 */
import { formatProperties } from '@ns/protocol';
import { CONFIG_KEYS, specOf } from './schema.js';
import type { NamesrvConfig } from './schema.js';

const SORTED_KEYS = [...CONFIG_KEYS].sort();

export interface FormatConfigOptions {
  /**
   * Include secret keys (tlsServerKeyPassword). Only the file UPDATE_NAMESRV_CONFIG rewrites does:
   * it must load back to the same configuration. GET_NAMESRV_CONFIG and `-p` never do.
   */
  readonly includeSecrets?: boolean;
}

/** `key=value\n` lines sorted by key; every line, the last one too, ends in `\n`. */
export function formatConfigProperties(
  config: NamesrvConfig,
  options: FormatConfigOptions = {},
): string {
  const entries: [string, string][] = [];
  for (const key of SORTED_KEYS) {
    const value = config[key];
    const spec = specOf(key);
    if (spec.kind === 'string' && spec.emptyIsUnset && value === '') continue;
    if (spec.secret && options.includeSecrets !== true) continue;
    entries.push([key, String(value)]);
  }
  return formatProperties(entries);
}

/**
 * Content of the file written to configStorePath after a successful UPDATE_NAMESRV_CONFIG
 * (Java rewrites it with every setting too). It loads back through `-c` to the same config.
 */
export function renderConfigFile(config: NamesrvConfig): string {
  return (
    '# nameserver-ts configuration, rewritten by UPDATE_NAMESRV_CONFIG.\n' +
    formatConfigProperties(config, { includeSecrets: true })
  );
}
