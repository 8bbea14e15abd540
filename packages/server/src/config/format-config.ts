/**
 * Renders the configuration as Java properties text: the GET_NAMESRV_CONFIG (319) body, the `-p`
 * output and the file UPDATE_NAMESRV_CONFIG persists to configStorePath.
 *
 * Java (`Configuration#getAllConfigsFormatString`) renders every field of NamesrvConfig and
 * NettyServerConfig as `key=value\n`, skipping nulls. `-p` and the persisted file list every key
 * of ours too, sorted; GET_NAMESRV_CONFIG lists exactly what the Java line lists (see
 * `formatJavaConfigProperties`). Strings that mean "unset" (Java null, e.g. an absent
 * rocketmqHome) are skipped.
 */
import { formatProperties, javaHashTableOrder, javaStringHashCode } from '@ns/protocol';
import type { JavaLine } from '@ns/protocol';
import { CONFIG_KEYS, specOf } from './schema.js';
import type { ConfigKey, NamesrvConfig } from './schema.js';

const SORTED_KEYS = [...CONFIG_KEYS].sort();

function entriesOf(config: NamesrvConfig, keys: readonly ConfigKey[]): [string, string][] {
  const entries: [string, string][] = [];
  for (const key of keys) {
    const value = config[key];
    const spec = specOf(key);
    if (spec.kind === 'string' && spec.emptyIsUnset && value === '') continue;
    entries.push([key, String(value)]);
  }
  return entries;
}

/** `key=value\n` lines sorted by key; every line, the last one too, ends in `\n`. */
export function formatConfigProperties(config: NamesrvConfig): string {
  return formatProperties(entriesOf(config, SORTED_KEYS));
}

/**
 * The keys a Java NameServer of each line reports (the fields of its NamesrvConfig and
 * NettyServerConfig), in its order:
 * - 5.x (5.3.3): all 40, sorted by key;
 * - 4.9 (4.9.7): the 20 that 4.9.7 has, in the iteration order of the `java.util.Properties`
 *   they are collected in (a `ConcurrentHashMap` on JDK 9+, filled field by field in declaration
 *   order, NamesrvConfig first; the same as the 4.9.7 fixture get-namesrv-config).
 */
const JAVA_CONFIG_KEYS: Readonly<Record<JavaLine, readonly ConfigKey[]>> = (() => {
  const java = CONFIG_KEYS.filter((k) => specOf(k).origin !== 'nameserver-ts');
  const in49 = java.filter((k) => specOf(k).javaSince === null);
  return Object.freeze({
    '5.x': Object.freeze([...java].sort()),
    '4.9': Object.freeze(javaHashTableOrder('ConcurrentHashMap', in49, javaStringHashCode)),
  });
})();

/**
 * The GET_NAMESRV_CONFIG body: the keys and order of the Java line `config.compatibilityLine`,
 * with our values. Our own keys (logLevel, httpPort, …) are not listed; `-p` shows them.
 */
export function formatJavaConfigProperties(config: NamesrvConfig): string {
  return formatProperties(entriesOf(config, JAVA_CONFIG_KEYS[config.compatibilityLine]));
}

/**
 * Content of the file written to configStorePath after a successful UPDATE_NAMESRV_CONFIG
 * (Java rewrites it with every setting too). It loads back through `-c` to the same config.
 */
export function renderConfigFile(config: NamesrvConfig): string {
  return (
    '# nameserver-ts configuration, rewritten by UPDATE_NAMESRV_CONFIG.\n' +
    formatConfigProperties(config)
  );
}
