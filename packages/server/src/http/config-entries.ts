/**
 * The console's configuration page: every key in schema order with its effective value, its
 * default, whether it is live, what it means, and where the value came from (the loader records
 * default / file line / env variable / command-line flag; the node marks keys later changed by
 * UPDATE_NAMESRV_CONFIG as `remote`). A secret's value (tlsServerKeyPassword) shows as
 * SECRET_MARKER when set, never as itself.
 */
import { CONFIG_KEYS, redactSecrets, specOf } from '../config/index.js';
import type { ConfigKey, ConfigSource, DefaultsContext, NamesrvConfig } from '../config/index.js';
import { defaultOf } from '../config/schema.js';
import type { AdminConfigEntry } from './admin-views.js';

const DEFAULT_SOURCE: ConfigSource = { kind: 'default', detail: 'default' };

export function configEntries(
  config: NamesrvConfig,
  sources: ReadonlyMap<ConfigKey, ConfigSource>,
  defaults: DefaultsContext,
): AdminConfigEntry[] {
  const shown = redactSecrets(config);
  return CONFIG_KEYS.map((key) => {
    const spec = specOf(key);
    return {
      key,
      value: shown[key],
      defaultValue: defaultOf(key, defaults),
      source: sources.get(key) ?? DEFAULT_SOURCE,
      live: spec.live,
      description: spec.description,
    };
  });
}
