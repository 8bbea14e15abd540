/**
 * Command line of `ns-broker-agent`, parsed into agent options (pure: no I/O, so it is tested
 * directly). Flags mirror the Java BrokerConfig names where they exist.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { InvalidOptionError } from '@ns/client';
import type { BrokerAgentOptions, HeartbeatMode, SplitRegistrationMode } from './options.js';
import type { LogLevelOrSilent as JsonLineLevel } from '@ns/client';

export const USAGE = `Usage: ns-broker-agent --broker-addr <ip:port> [options]

Registers one broker with every NameServer, keeps the registration alive, and unregisters on
SIGTERM/SIGINT/SIGHUP. Prints one JSON line on stdout when the first round completes
({"event":"registered",...} once a NameServer accepted it, {"event":"registration_failed",...}
when none did; it keeps retrying) and another after unregistering; logs JSON lines on stderr.

  -n, --namesrv-addr <a:p;b:p>   NameServer list (default: NAMESRV_ADDR)
      --addr-service-url <url>   HTTP address service (TopAddressing) to fetch the list from
                                 (one of -n, NAMESRV_ADDR or --addr-service-url is required)
  -c, --cluster <name>           brokerClusterName (default DefaultCluster)
  -b, --broker-name <name>       brokerName (default: host name)
  -i, --broker-id <n>            0 = master (default), >0 = slave
  -a, --broker-addr <ip:port>    address clients use (required)
      --ha-addr <ip:port>        HA address (default: broker port + 1)
  -t, --topics <file>            topics: .json (broker topics.json, map or array) or .properties
      --period <ms>              registerNameServerPeriod (default 30000, clamped to 10000..60000)
      --unsafe-period <ms>       period used as is (testing only)
      --timeout <ms>             request timeout / round deadline (default 6000)
      --no-force-register        ask QUERY_DATA_VERSION first, skip unchanged NameServers
      --compressed               4.9 compressed registration body
      --heartbeat <mode>         none | queryDataVersion | brokerHeartbeat (default none)
      --heartbeat-interval <ms>  default 1000
      --heartbeat-timeout <ms>   5.x heartbeatTimeoutMillis header (per-broker expiry)
      --heartbeat-await-reply    two-way heartbeats; QUERY_DATA_VERSION changed=true re-registers
      --acting-master            5.x enableActingMaster=true header
      --split <mode>             auto | always | never (default auto)
      --split-size <n>           topics per chunk (default 800)
      --version <n>              request version ordinal (default 407 = V4_9_7)
      --unregister-timeout <ms>  bound on the UNREGISTER_BROKER wait at exit (default 3000)
      --ext <key=value>          extra ext field on every request (repeatable)
      --access-key <key>         sign requests with this ACL account (or NS_ACCESS_KEY)
      --secret-key <secret>      its secret (prefer NS_SECRET_KEY or --tools-yml: argv is visible)
      --tools-yml <file>         accessKey/secretKey from an mqadmin-style tools.yml (or NS_TOOLS_YML)
      --tls                      TLS to the NameServers (server certificate not checked unless --tls-ca)
      --tls-ca <file>            PEM CA: verify the NameServers against it (implies --tls)
      --tls-cert <file>          PEM client certificate for mutual TLS (implies --tls)
      --tls-key <file>           PEM client key for mutual TLS
      --tls-server-name <name>   name expected in the NameServer certificates
      --log-level <level>        trace | debug | info | warn | error | silent (default info)
  -h, --help                     print this help
`;

export interface CliArgs {
  readonly help: boolean;
  readonly topicsFile: string | undefined;
  readonly logLevel: JsonLineLevel;
  /** Everything but topics, logger, env, credentials and tls (the CLI adds those). */
  readonly options: Omit<BrokerAgentOptions, 'topics' | 'logger'>;
  /**
   * The security flags under @ns/client's names (accessKey, secretKey, toolsYml, tls, tlsCa,
   * tlsCert, tlsKey, tlsServerName), for credentialsFromCli / tlsFromCli (which read files).
   */
  readonly security: Readonly<Record<string, string | boolean | undefined>>;
}

/** This command's spelling of each security flag, for the messages of credentialsFromCli/tlsFromCli. */
export const SECURITY_FLAGS = {
  accessKey: '--access-key',
  secretKey: '--secret-key',
  toolsYml: '--tools-yml',
  tls: '--tls',
  tlsCa: '--tls-ca',
  tlsCert: '--tls-cert',
  tlsKey: '--tls-key',
  tlsServerName: '--tls-server-name',
} as const;

function num(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new InvalidOptionError(flag, `--${flag}: expected a non-negative integer, got ${value}`);
  }
  return Number(value);
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]) {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidOptionError(
      flag,
      `--${flag}: expected one of ${allowed.join(', ')}, got ${value}`,
    );
  }
  return value as T;
}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      // No `allowNegative`: Node added it in 22.4 (and 20.16), and on 22.2–22.3 it is ignored, so
      // strict mode refused the documented --no-force-register. That one negation is its own flag.
      options: {
        'namesrv-addr': { type: 'string', short: 'n' },
        'addr-service-url': { type: 'string' },
        cluster: { type: 'string', short: 'c' },
        'broker-name': { type: 'string', short: 'b' },
        'broker-id': { type: 'string', short: 'i' },
        'broker-addr': { type: 'string', short: 'a' },
        'ha-addr': { type: 'string' },
        topics: { type: 'string', short: 't' },
        period: { type: 'string' },
        'unsafe-period': { type: 'string' },
        timeout: { type: 'string' },
        'force-register': { type: 'boolean' },
        'no-force-register': { type: 'boolean' },
        compressed: { type: 'boolean' },
        heartbeat: { type: 'string' },
        'heartbeat-interval': { type: 'string' },
        'heartbeat-timeout': { type: 'string' },
        'heartbeat-await-reply': { type: 'boolean' },
        'unregister-timeout': { type: 'string' },
        'acting-master': { type: 'boolean' },
        split: { type: 'string' },
        'split-size': { type: 'string' },
        version: { type: 'string' },
        ext: { type: 'string', multiple: true },
        'access-key': { type: 'string' },
        'secret-key': { type: 'string' },
        'tools-yml': { type: 'string' },
        tls: { type: 'boolean' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-server-name': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new InvalidOptionError('argv', (err as Error).message);
  }
  const v = parsed.values;
  const extFields: Record<string, string> = {};
  for (const kv of v.ext ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new InvalidOptionError('ext', `--ext: expected key=value, got ${kv}`);
    extFields[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (v['force-register'] === true && v['no-force-register'] === true) {
    throw new InvalidOptionError(
      'force-register',
      '--force-register and --no-force-register: give one of them',
    );
  }
  const brokerAddr = v['broker-addr'];
  if (v.help !== true && brokerAddr === undefined) {
    throw new InvalidOptionError('broker-addr', '--broker-addr <ip:port> is required');
  }
  const set = <K extends string, T>(key: K, value: T | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, T>>;
  const options: Omit<BrokerAgentOptions, 'topics' | 'logger'> = {
    clusterName: v.cluster ?? 'DefaultCluster',
    brokerName: v['broker-name'] ?? hostname(),
    brokerAddr: brokerAddr ?? '',
    ...set('brokerId', num('broker-id', v['broker-id'])),
    ...set('haServerAddr', v['ha-addr']),
    ...set('namesrvAddr', v['namesrv-addr']),
    ...(v['addr-service-url'] === undefined
      ? {}
      : { addressService: { url: v['addr-service-url'] } }),
    ...set('registerNameServerPeriodMs', num('period', v.period)),
    ...set('unsafeRegisterPeriodMs', num('unsafe-period', v['unsafe-period'])),
    ...set('requestTimeoutMs', num('timeout', v.timeout)),
    ...set('forceRegister', v['no-force-register'] === true ? false : v['force-register']),
    ...set('compressedRegister', v.compressed),
    ...set<'heartbeat', HeartbeatMode>(
      'heartbeat',
      oneOf('heartbeat', v.heartbeat, ['none', 'queryDataVersion', 'brokerHeartbeat'] as const),
    ),
    ...set('heartbeatIntervalMs', num('heartbeat-interval', v['heartbeat-interval'])),
    ...set('heartbeatTimeoutMillis', num('heartbeat-timeout', v['heartbeat-timeout'])),
    ...set('heartbeatAwaitReply', v['heartbeat-await-reply']),
    ...set('unregisterTimeoutMs', num('unregister-timeout', v['unregister-timeout'])),
    ...set('enableActingMaster', v['acting-master']),
    ...set<'splitRegistration', SplitRegistrationMode>(
      'splitRegistration',
      oneOf('split', v.split, ['auto', 'always', 'never'] as const),
    ),
    ...set('splitRegistrationSize', num('split-size', v['split-size'])),
    ...set('version', num('version', v.version)),
    ...(Object.keys(extFields).length === 0 ? {} : { extFields }),
  };
  return {
    help: v.help === true,
    topicsFile: v.topics,
    security: {
      accessKey: v['access-key'],
      secretKey: v['secret-key'],
      toolsYml: v['tools-yml'],
      tls: v.tls,
      tlsCa: v['tls-ca'],
      tlsCert: v['tls-cert'],
      tlsKey: v['tls-key'],
      tlsServerName: v['tls-server-name'],
    },
    logLevel:
      oneOf('log-level', v['log-level'], [
        'trace',
        'debug',
        'info',
        'warn',
        'error',
        'silent',
      ] as const) ?? 'info',
    options,
  };
}

/**
 * Why the agent would not know where to register, or undefined. The library would fall back to
 * Java's default address-service domain (jmenv.tbsite.net), which outside Alibaba's network only
 * produces DNS errors; a command line tool refuses instead.
 */
export function missingAddressSource(
  args: CliArgs,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (args.options.namesrvAddr !== undefined || args.options.addressService !== undefined) {
    return undefined;
  }
  if ((env['NAMESRV_ADDR'] ?? '').trim() !== '') return undefined;
  return 'no NameServer address: give -n "host:port;host:port", set NAMESRV_ADDR, or give --addr-service-url <url>';
}
