/**
 * UPDATE_NAMESRV_CONFIG (318) as a pure function of the current config and the received
 * properties. All or nothing: either every received key is applied or nothing changes.
 *
 * Only keys marked `live` in the schema (an allow-list) may change. That closes the remote file
 * write of CVE-2023-37582 (configStorePath pointed at an attacker-chosen file, payload in another
 * value) and the rocketmqHome command injection of CVE-2023-33246 by design, rather than by a
 * deny list that can be incomplete (the first Java fix misspelt its list entry).
 *
 * Remarks, checked in this order:
 *   - kvConfigPath / configStorePath, with compatibilityLine=4.9: `Can not update config path`
 *     (Java 4.9.7, its fixture update-namesrv-config-forbidden);
 *   - rocketmqHome, configBlackList and the entries of configBlackList (which always hold the two
 *     paths): `Can not update config in black list.` (Java 4.9.8 / 5.2.0+, the 5.3.3 fixture
 *     update-namesrv-config-forbidden);
 *   - any other key that is not live (Java would accept these): `Can not update config at
 *     runtime: <keys>`;
 *   - the switch updateNamesrvConfigEnable=false refuses every update.
 * The handler answers `denied` with NO_PERMISSION (16) and `invalid` with SYSTEM_ERROR (1).
 */
import { parseConfigValue, quoteValue } from './parse-value.js';
import { isConfigKey, specOf } from './schema.js';
import type { ConfigKey, ConfigValue, NamesrvConfig } from './schema.js';

export type ConfigUpdateResult =
  | {
      readonly kind: 'ok';
      /** The new frozen config, or `current` itself when nothing changed. */
      readonly config: NamesrvConfig;
      readonly changedKeys: readonly ConfigKey[];
    }
  | { readonly kind: 'denied'; readonly remark: string }
  | { readonly kind: 'invalid'; readonly remark: string };

export const REMARK_CONFIG_PATH = 'Can not update config path';
export const REMARK_BLACK_LIST = 'Can not update config in black list.';
export const REMARK_UPDATE_DISABLED = 'UPDATE_NAMESRV_CONFIG is disabled on this name server';

const PATH_KEYS: ReadonlySet<string> = new Set(['kvConfigPath', 'configStorePath']);
const ALWAYS_BLACK_LISTED: readonly string[] = [
  'configBlackList',
  'configStorePath',
  'kvConfigPath',
  'rocketmqHome',
];

/** Java: `configBlackList` is `;`-separated, entries trimmed. */
function blackList(config: NamesrvConfig): Set<string> {
  const set = new Set(ALWAYS_BLACK_LISTED);
  for (const entry of config.configBlackList.split(';')) {
    const key = entry.trim();
    if (key !== '') set.add(key);
  }
  return set;
}

/** Keys echoed in a remark: a few, shortened (they come from the network). */
function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => (k.length > 64 ? `${k.slice(0, 61)}...` : k));
  return shown.join(', ') + (keys.length > shown.length ? `, ... (${keys.length} keys)` : '');
}

export function applyConfigUpdate(
  current: NamesrvConfig,
  props: ReadonlyMap<string, string>,
): ConfigUpdateResult {
  if (!current.updateNamesrvConfigEnable) return { kind: 'denied', remark: REMARK_UPDATE_DISABLED };
  const keys = [...props.keys()];
  if (current.compatibilityLine === '4.9' && keys.some((k) => PATH_KEYS.has(k))) {
    return { kind: 'denied', remark: REMARK_CONFIG_PATH };
  }
  const black = blackList(current);
  if (keys.some((k) => black.has(k))) return { kind: 'denied', remark: REMARK_BLACK_LIST };
  const notLive = keys.filter((k) => !isConfigKey(k) || !specOf(k).live);
  if (notLive.length > 0) {
    return { kind: 'denied', remark: `Can not update config at runtime: ${listKeys(notLive)}` };
  }

  const updates: [ConfigKey, ConfigValue][] = [];
  for (const [key, raw] of props) {
    if (!isConfigKey(key)) continue; // unreachable: filtered above
    const parsed = parseConfigValue(specOf(key), raw);
    if (!parsed.ok) {
      return {
        kind: 'invalid',
        remark: `${key}: expected ${parsed.expected}, got ${quoteValue(raw)} (from UPDATE_NAMESRV_CONFIG)`,
      };
    }
    updates.push([key, parsed.value]);
  }

  const changedKeys = updates.filter(([k, v]) => current[k] !== v).map(([k]) => k);
  if (changedKeys.length === 0) return { kind: 'ok', config: current, changedKeys };
  const next: Record<string, ConfigValue> = { ...current };
  for (const [k, v] of updates) next[k] = v;
  return {
    kind: 'ok',
    config: Object.freeze(next) as unknown as NamesrvConfig,
    changedKeys: Object.freeze(changedKeys),
  };
}
