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
import {
  formatProperties,
  JavaHashTable,
  javaConcurrentHashMapTableSize,
  javaHashTableOrder,
  javaStringHashCode,
} from '@ns/protocol';
import type { JavaLine } from '@ns/protocol';
import { CONFIG_KEYS, specOf } from './schema.js';
import type { ConfigKey, NamesrvConfig } from './schema.js';

const SORTED_KEYS = [...CONFIG_KEYS].sort();
const SECRET_KEYS = CONFIG_KEYS.filter((k) => specOf(k).secret);

/** Java leaves null fields out; an "unset" string is our null. */
function isSet(config: NamesrvConfig, key: ConfigKey): boolean {
  const spec = specOf(key);
  return !(spec.kind === 'string' && spec.emptyIsUnset && config[key] === '');
}

function entriesOf(config: NamesrvConfig, keys: readonly ConfigKey[]): [string, string][] {
  return keys.filter((k) => isSet(config, k)).map((k) => [k, String(config[k])]);
}

/** What views and logs show instead of a secret's value (only when it is set). */
export const SECRET_MARKER = '(secret)';

/**
 * A copy of `config` with the value of every set secret key (tlsServerKeyPassword) replaced by
 * SECRET_MARKER: for logs and views, which may show that a secret is set but never what it is.
 */
export function redactSecrets(config: NamesrvConfig): NamesrvConfig {
  const copy: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) {
    if (isSet(config, key)) copy[key] = SECRET_MARKER;
  }
  return copy as unknown as NamesrvConfig;
}

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
  const keys =
    options.includeSecrets === true ? SORTED_KEYS : SORTED_KEYS.filter((k) => !specOf(k).secret);
  return formatProperties(entriesOf(config, keys));
}

/** The keys of the Java config classes of a line, each class in field declaration order. */
const JAVA_CONFIG_CLASSES: Readonly<Record<JavaLine, readonly (readonly ConfigKey[])[]>> = (() => {
  const ofClass = (origin: string, line: JavaLine) =>
    CONFIG_KEYS.filter(
      (k) => specOf(k).origin === origin && (line === '5.x' || specOf(k).javaSince === null),
    );
  return Object.freeze({
    '5.x': [ofClass('NamesrvConfig', '5.x'), ofClass('NettyServerConfig', '5.x')],
    '4.9': [ofClass('NamesrvConfig', '4.9'), ofClass('NettyServerConfig', '4.9')],
  });
})();

/** `new Properties()` on JDK 9+: a `ConcurrentHashMap<>(8)`, 16 buckets. */
const PROPERTIES_TABLE_SIZE = javaConcurrentHashMapTableSize(8);

/**
 * Iteration order of 4.9.7's `Configuration.allConfigs` (a `java.util.Properties`): each config
 * object becomes its own Properties, filled field by field (`MixAll.object2Properties`), which is
 * then merged into allConfigs in its iteration order, NamesrvConfig first. Both grow the
 * ConcurrentHashMap way, so two keys of one bucket can swap (serverOnewaySemaphoreValue before
 * serverCallbackExecutorThreads in the 4.9.7 fixture get-namesrv-config).
 */
function propertiesOrder(classes: readonly (readonly ConfigKey[])[]): ConfigKey[] {
  const all = new JavaHashTable<ConfigKey>(
    'ConcurrentHashMap',
    javaStringHashCode,
    PROPERTIES_TABLE_SIZE,
  );
  for (const fields of classes) {
    for (const k of javaHashTableOrder(
      'ConcurrentHashMap',
      fields,
      javaStringHashCode,
      PROPERTIES_TABLE_SIZE,
    )) {
      all.add(k);
    }
  }
  return all.keys();
}

/**
 * The GET_NAMESRV_CONFIG body: what a Java NameServer of `config.compatibilityLine` lists (every
 * non-null field of its NamesrvConfig and NettyServerConfig), with our values:
 * - 5.x (5.3.3): 40 keys, sorted;
 * - 4.9 (4.9.7): its 20 keys, in its Properties order (see `propertiesOrder`).
 * Our own keys (logLevel, httpPort, …) are not listed; `-p` shows them.
 */
export function formatJavaConfigProperties(config: NamesrvConfig): string {
  const classes = JAVA_CONFIG_CLASSES[config.compatibilityLine].map((keys) =>
    keys.filter((k) => isSet(config, k)),
  );
  const keys =
    config.compatibilityLine === '5.x' ? classes.flat().sort() : propertiesOrder(classes);
  return formatProperties(entriesOf(config, keys));
}

/**
 * Content of the file written to configStorePath after a successful UPDATE_NAMESRV_CONFIG
 * (Java rewrites it with every setting too): the keys `keep` says (default: all, secrets
 * included). It loads back through `-c` to the same config.
 */
export function renderConfigFile(
  config: NamesrvConfig,
  keep: (key: ConfigKey) => boolean = () => true,
): string {
  return (
    '# nameserver-ts configuration, rewritten by UPDATE_NAMESRV_CONFIG.\n' +
    formatProperties(entriesOf(config, SORTED_KEYS.filter(keep)))
  );
}
