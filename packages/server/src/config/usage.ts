/**
 * `-h` text, generated from the schema so it can never drift from what is accepted.
 */
import { describeExpected } from './parse-value.js';
import { CONFIG_KEYS, defaultText, envNameOf, specOf } from './schema.js';
import type { ConfigOrigin, DefaultsContext } from './schema.js';

const HEADINGS: Record<ConfigOrigin, string> = {
  NamesrvConfig: 'NamesrvConfig keys (Java names)',
  NettyServerConfig: 'NettyServerConfig keys (Java names)',
  'nameserver-ts': 'nameserver-ts keys',
};

/**
 * Usage text. Defaults that depend on the home directory are shown relative to `ctx.homeDir`
 * (`~` unless given).
 */
export function formatUsage(
  ctx: DefaultsContext = { homeDir: '~', env: {} },
  program = 'ns-server',
): string {
  const lines = [
    `Usage: ${program} [-c FILE] [-p] [-h] [--<configKey>=<value> | --<configKey> <value>]...`,
    '',
    'Options:',
    '  -c, --configFile FILE    load a Java properties file; it also becomes configStorePath',
    '  -p, --printConfigItem    print the effective configuration and exit',
    '  -h, --help               print this help and exit',
    '  -n, --namesrvAddr LIST   accepted for compatibility with mqnamesrv, ignored',
    '  --<configKey>=<value>    set one key; a bare boolean flag (--orderMessageEnable) means true',
    '',
    'Precedence: defaults < -c FILE < environment < command line.',
    `Environment: each key has a variable ${envNameOf('listenPort')} style name (shown below);`,
    '  empty variables are ignored; ROCKETMQ_HOME is the default of rocketmqHome.',
    'Unknown keys and invalid values are errors.',
    'Keys marked [live] can be changed at runtime by UPDATE_NAMESRV_CONFIG (mqadmin updateNamesrvConfig).',
  ];
  let origin: ConfigOrigin | null = null;
  for (const key of CONFIG_KEYS) {
    const spec = specOf(key);
    if (spec.origin !== origin) {
      origin = spec.origin;
      lines.push('', `${HEADINGS[origin]}:`);
    }
    const def = defaultText(key, ctx);
    const tags = [
      describeExpected(spec),
      `default ${def === '' ? '(unset)' : def}`,
      ...(spec.live ? ['live'] : []),
      ...(spec.javaSince !== null ? [`Java ${spec.javaSince}`] : []),
    ];
    lines.push(`  --${key}  [${tags.join('; ')}]`);
    lines.push(`      ${spec.description} Env ${envNameOf(key)}.`);
  }
  return lines.join('\n') + '\n';
}
