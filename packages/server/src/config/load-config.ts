/**
 * Builds the effective configuration once at startup:
 *
 *   defaults < properties file (-c FILE) < NAMESRV_* environment < command line
 *
 * A key set in none of them whose default follows another key (httpPort = listenPort + 1) takes
 * its value from that key's effective value.
 *
 * Pure: the file system, environment and home directory come in as arguments. Every problem is
 * collected and reported together in one ConfigError.
 *
 * Java parity: `-c FILE` also sets configStorePath to FILE (NamesrvStartup does the same), and
 * `ROCKETMQ_HOME` is the default of rocketmqHome. Unlike Java, unknown keys and unparsable
 * values are errors rather than silently kept or ignored.
 */
import {
  BodyDecodeError,
  NodeListError,
  parseNodeList,
  parsePropertiesEntries,
} from '@ns/protocol';
import { parseCliArgs } from './cli-args.js';
import { ConfigError } from './config-error.js';
import type { ConfigIssue } from './config-error.js';
import { describeExpected, parseConfigValue, quoteValue } from './parse-value.js';
import {
  CONFIG_KEYS,
  ENV_PREFIX,
  isDockerLinkEnvCopy,
  isIgnoredEnv,
  IGNORED_KEYS,
  defaultConfig,
  defaultOf,
  followingValue,
  isConfigKey,
  keyOfEnvName,
  specOf,
} from './schema.js';
import type { ConfigKey, ConfigValue, DefaultsContext, NamesrvConfig } from './schema.js';

export interface LoadConfigInput {
  /** Arguments after the node and script paths (`process.argv.slice(2)`). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the whole `-c` file as text; may throw (the error becomes a config issue). */
  readonly readFile: (path: string) => string;
  /** Java `user.home`: base of the default kvConfigPath and configStorePath. */
  readonly homeDir: string;
}

/** Where one key's effective value came from (shown by the console's configuration page). */
export interface ConfigSource {
  /** `remote`: changed at runtime by UPDATE_NAMESRV_CONFIG (set by the server, not here). */
  readonly kind: 'default' | 'file' | 'env' | 'cli' | 'remote';
  /** As error messages name it: `namesrv.properties line 3`, `env NAMESRV_LISTEN_PORT`, `--listenPort`. */
  readonly detail: string;
}

export interface LoadConfigResult {
  /** The effective configuration, frozen. When `help` is true it holds the defaults only. */
  readonly config: NamesrvConfig;
  /** Where each key's value came from; every key is present. */
  readonly sources: ReadonlyMap<ConfigKey, ConfigSource>;
  /** `-p`: print the effective configuration and exit. */
  readonly printOnly: boolean;
  /** `-h`: print usage and exit; nothing else was validated. */
  readonly help: boolean;
}

/** The console compares at most this many nodes (each comparison fetches from every node). */
export const MAX_CONSISTENCY_NODES = 16;

const DEFAULT_SOURCE: ConfigSource = { kind: 'default', detail: 'default' };

/** Throws ConfigError listing every problem found. */
export function loadConfig(input: LoadConfigInput): LoadConfigResult {
  const ctx: DefaultsContext = { homeDir: input.homeDir, env: input.env };
  const args = parseCliArgs(input.argv);
  const sources = new Map<ConfigKey, ConfigSource>();
  for (const key of CONFIG_KEYS) sources.set(key, DEFAULT_SOURCE);
  if (args.help) {
    return { config: defaultConfig(ctx), sources, printOnly: args.printOnly, help: true };
  }

  const issues: ConfigIssue[] = [...args.issues];
  const values = new Map<ConfigKey, ConfigValue>();
  for (const key of CONFIG_KEYS) values.set(key, defaultOf(key, ctx));

  const set = (key: ConfigKey, raw: string, source: string, kind: ConfigSource['kind']): void => {
    const parsed = parseConfigValue(specOf(key), raw);
    // Set even when invalid: the key was given, so no rule may replace it by a derived default.
    sources.set(key, { kind, detail: source });
    if (parsed.ok) {
      values.set(key, parsed.value);
      sources.set(key, { kind, detail: source });
    } else {
      issues.push({
        code: 'NS_CONFIG_INVALID_VALUE',
        key,
        message: `${key}: expected ${parsed.expected}, got ${quoteValue(raw)} (from ${source})`,
      });
    }
  };

  // 1. Properties file.
  if (args.configFile !== null) {
    const path = args.configFile;
    let text: string | null = null;
    try {
      text = input.readFile(path);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      issues.push({
        code: 'NS_CONFIG_FILE_UNREADABLE',
        key: null,
        message: `cannot read config file ${path} (from -c): ${reason}`,
      });
    }
    if (text !== null) {
      try {
        // A byte order mark (a Windows editor) would be part of the first key, unseen in errors.
        const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
        for (const entry of parsePropertiesEntries(body)) {
          const source = `${path} line ${entry.line}`;
          if (IGNORED_KEYS.has(entry.key)) continue;
          if (isConfigKey(entry.key)) set(entry.key, entry.value, source, 'file');
          else
            issues.push({
              code: 'NS_CONFIG_UNKNOWN_KEY',
              key: entry.key,
              message: `${entry.key}: unknown configuration key (from ${source})`,
            });
        }
        // Java: NamesrvStartup points configStorePath at the -c file, so that
        // UPDATE_NAMESRV_CONFIG rewrites the file the server was started with.
        values.set('configStorePath', path);
        sources.set('configStorePath', { kind: 'cli', detail: `-c ${path}` });
      } catch (err) {
        if (!(err instanceof BodyDecodeError)) throw err;
        issues.push({
          code: 'NS_CONFIG_FILE_MALFORMED',
          key: null,
          message: `config file ${path} (from -c): ${err.message}`,
        });
      }
    }
  }

  // 2. Environment. Empty values count as unset, as compose files often leave them blank.
  for (const name of Object.keys(input.env).sort()) {
    const raw = input.env[name];
    if (!name.startsWith(ENV_PREFIX) || isIgnoredEnv(name, raw ?? '')) continue;
    if (keyOfEnvName(name) === undefined && isDockerLinkEnvCopy(name, input.env)) continue;
    if (raw === undefined || raw === '') continue;
    const key = keyOfEnvName(name);
    if (key === undefined) {
      issues.push({
        code: 'NS_CONFIG_UNKNOWN_KEY',
        key: name,
        message: `${name}: unknown configuration variable (from env ${name}); ${ENV_PREFIX}* names map to keys, e.g. NAMESRV_LISTEN_PORT for listenPort`,
      });
      continue;
    }
    set(key, raw, `env ${name}`, 'env');
  }

  // 3. Command line.
  for (const s of args.settings) set(s.key, s.value, s.flag, 'cli');

  // 4. Defaults that follow another key's effective value (httpPort = listenPort + 1).
  for (const key of CONFIG_KEYS) {
    const spec = specOf(key);
    const rule = spec.kind === 'int' ? spec.follows : null;
    if (
      spec.kind !== 'int' ||
      rule === null ||
      sources.get(key) !== DEFAULT_SOURCE ||
      !isConfigKey(rule.key)
    ) {
      continue;
    }
    const base = values.get(rule.key);
    if (typeof base !== 'number') continue;
    const value = followingValue(spec, rule, base);
    if (value !== null) {
      values.set(key, value);
      continue;
    }
    issues.push({
      code: 'NS_CONFIG_INVALID_VALUE',
      key,
      message: `${key}: expected ${describeExpected(spec)}, got ${base + rule.offset} from its default ${rule.key} + ${rule.offset} (${rule.key}=${base} from ${sources.get(rule.key)?.detail ?? 'default'}); set ${key} explicitly (${rule.outOfRangeHint})`,
    });
  }

  // 5. Rules that involve more than one key.
  const listenPort = values.get('listenPort');
  const httpPort = values.get('httpPort');
  if (typeof httpPort === 'number' && httpPort > 0 && httpPort === listenPort) {
    issues.push({
      code: 'NS_CONFIG_INVALID_VALUE',
      key: 'httpPort',
      message: `httpPort: expected a port different from listenPort, got ${httpPort}`,
    });
  }

  const nodes = values.get('consistencyNodes');
  if (typeof nodes === 'string' && nodes !== '') {
    try {
      parseNodeList(nodes, { maxNodes: MAX_CONSISTENCY_NODES });
    } catch (err) {
      if (!(err instanceof NodeListError)) throw err;
      issues.push({
        code: 'NS_CONFIG_INVALID_VALUE',
        key: 'consistencyNodes',
        message: `consistencyNodes: expected 'host:port;host:port' (or http://host:port entries), ${err.message} (from ${sources.get('consistencyNodes')?.detail ?? 'default'})`,
      });
    }
  }

  const budget = values.get('maxPartialFrameBytes');
  const maxFrame = values.get('maxFrameLength');
  if (typeof budget === 'number' && typeof maxFrame === 'number' && budget < maxFrame) {
    issues.push({
      code: 'NS_CONFIG_INVALID_VALUE',
      key: 'maxPartialFrameBytes',
      message: `maxPartialFrameBytes: expected at least maxFrameLength (${maxFrame}, from ${sources.get('maxFrameLength')?.detail ?? 'default'}) so that one whole frame fits, got ${budget} (from ${sources.get('maxPartialFrameBytes')?.detail ?? 'default'})`,
    });
  }

  if (issues.length > 0) throw new ConfigError(issues);
  return {
    config: Object.freeze(Object.fromEntries(values)) as unknown as NamesrvConfig,
    sources,
    printOnly: args.printOnly,
    help: false,
  };
}
