/**
 * The one schema of every configuration key: type, default, meaning, and whether
 * UPDATE_NAMESRV_CONFIG (318) may change it at runtime.
 *
 * Keys keep the Java field names of `NamesrvConfig` (§6.1) and `NettyServerConfig` (§6.2) so
 * existing `namesrv.properties` files and `mqadmin updateNamesrvConfig -k …` keep working. Keys
 * that only size Java thread pools or Netty buffers are accepted and reported but have no effect
 * (`compatOnly`). Keys of our own come last (`origin: 'nameserver-ts'`).
 */
import { join } from 'node:path';
import {
  DEFAULT_MAX_FRAME_LENGTH,
  DEFAULT_MAX_HEADER_LENGTH,
  DEFAULT_NAMESRV_PORT,
  JAVA_LINES,
} from '@ns/protocol';
import { parseClassPolicy, POLICY_SPEC_EXPECTED } from '../security/policy-spec.js';
import { AddressList } from '../security/address-match.js';
import { ALLOWED_HOSTS_EXPECTED, parseAllowedHosts } from '../security/browser-hosts.js';
import { CLIENT_AUTH_MODES, TLS_SERVER_MODES } from '../security/tls/tls-settings.js';

/** Which Java class a key comes from, or ours. */
export type ConfigOrigin = 'NamesrvConfig' | 'NettyServerConfig' | 'nameserver-ts';

/** What defaults may depend on. */
export interface DefaultsContext {
  /** Java `user.home`. */
  readonly homeDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

interface SpecBase {
  readonly description: string;
  readonly origin: ConfigOrigin;
  /** UPDATE_NAMESRV_CONFIG may change it (the allow-list); everything else is denied. */
  readonly live: boolean;
  /** Accepted and reported for compatibility with Java config files; no effect in Node. */
  readonly compatOnly: boolean;
  /** Names a file or directory, or guards the deny list: never changeable remotely. */
  readonly protected: boolean;
  /** Java line the key comes from (e.g. `5.x`, `5.1.0+`); null when in both lines or ours. */
  readonly javaSince: string | null;
  /**
   * A secret (a key password): never in GET_NAMESRV_CONFIG or `-p` output; only in the file
   * UPDATE_NAMESRV_CONFIG rewrites (which must load back to the same configuration). Views and
   * logs show SECRET_MARKER instead (redactSecrets).
   */
  readonly secret: boolean;
}

export interface IntSpec extends SpecBase {
  readonly kind: 'int';
  /** The default; for a key that `follows` another, its value when that key is at its default. */
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Set: 0 (off) is accepted too, below `min` (a period of 1 ms would flood the log). */
  readonly zeroIsOff: boolean;
  /** When not set anywhere, the value follows another key's effective value (see FollowsRule). */
  readonly follows: FollowsRule | null;
}

/**
 * A default derived from another key's effective value: `key + offset`, except that 0 ("any free
 * port") stays 0. `key` is a ConfigKey (a test checks; ConfigKey is derived from the schema, so
 * it cannot be named here).
 */
export interface FollowsRule {
  readonly key: string;
  readonly offset: number;
  /** Told to the user when the derived value is out of range and the key must be set. */
  readonly outOfRangeHint: string;
}

export interface BooleanSpec extends SpecBase {
  readonly kind: 'boolean';
  readonly default: boolean;
}

export interface StringSpec extends SpecBase {
  readonly kind: 'string';
  readonly default: string | ((ctx: DefaultsContext) => string);
  /** '' is accepted and means "unset" (Java null): such a key is left out of rendered properties. */
  readonly emptyIsUnset: boolean;
  /** Extra validation of a non-empty value, and what it accepts (for messages and the docs). */
  readonly check?: { readonly expected: string; readonly test: (value: string) => boolean };
}

export interface EnumSpec<V extends string = string> extends SpecBase {
  readonly kind: 'enum';
  readonly values: readonly V[];
  readonly default: V;
}

export type ConfigKeySpec = IntSpec | BooleanSpec | StringSpec | EnumSpec;

interface Opts {
  description: string;
  origin: ConfigOrigin;
  live?: boolean;
  compatOnly?: boolean;
  protected?: boolean;
  javaSince?: string;
  secret?: boolean;
}

function base(o: Opts): SpecBase {
  return {
    description: o.description,
    origin: o.origin,
    live: o.live ?? false,
    compatOnly: o.compatOnly ?? false,
    protected: o.protected ?? false,
    javaSince: o.javaSince ?? null,
    secret: o.secret ?? false,
  };
}

const INT_MAX = 2_147_483_647;

function int(
  o: Opts & {
    default: number;
    min?: number;
    max?: number;
    zeroIsOff?: boolean;
    follows?: FollowsRule;
  },
): IntSpec {
  return {
    ...base(o),
    kind: 'int',
    default: o.default,
    min: o.min ?? 0,
    max: o.max ?? INT_MAX,
    zeroIsOff: o.zeroIsOff ?? false,
    follows: o.follows ?? null,
  };
}

function bool(o: Opts & { default: boolean }): BooleanSpec {
  return { ...base(o), kind: 'boolean', default: o.default };
}

function str(
  o: Opts & {
    default: StringSpec['default'];
    emptyIsUnset?: boolean;
    check?: StringSpec['check'];
  },
): StringSpec {
  return {
    ...base(o),
    kind: 'string',
    default: o.default,
    emptyIsUnset: o.emptyIsUnset ?? false,
    ...(o.check === undefined ? {} : { check: o.check }),
  };
}

const POLICY_CHECK: StringSpec['check'] = {
  expected: POLICY_SPEC_EXPECTED,
  test: (v) => parseClassPolicy(v) !== null,
};

/** `;`-separated address patterns (`,` belongs to RocketMQ's own list syntax). */
export function splitAddressPatterns(value: string): string[] {
  return value
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const ADDRESSES_CHECK: StringSpec['check'] = {
  expected: "';'-separated address patterns (CIDR or RocketMQ whiteRemoteAddress forms)",
  test: (v) => {
    try {
      new AddressList(splitAddressPatterns(v));
      return true;
    } catch {
      return false;
    }
  },
};

const ALLOWED_HOSTS_CHECK: StringSpec['check'] = {
  expected: ALLOWED_HOSTS_EXPECTED,
  test: (v) => {
    try {
      parseAllowedHosts(v);
      return true;
    } catch {
      return false;
    }
  },
};

function oneOf<const V extends string>(
  o: Opts & { values: readonly V[]; default: NoInfer<V> },
): EnumSpec<V> {
  return { ...base(o), kind: 'enum', values: o.values, default: o.default };
}

const NS = 'NamesrvConfig';
const NETTY = 'NettyServerConfig';
const OURS = 'nameserver-ts';
const NO_EFFECT = 'Accepted for compatibility, no effect (Node has no worker thread pools).';
const NO_EFFECT_NETTY = 'Accepted for compatibility, no effect (Netty tuning).';

/** pino levels; `silent` turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every accepted key, grouped by origin; usage text and rendered properties follow this table. */
export const CONFIG_SCHEMA = {
  // ---- NamesrvConfig (§6.1) ----
  rocketmqHome: str({
    origin: NS,
    protected: true,
    emptyIsUnset: true,
    // Java: required, startup exits with -2 when unset. We never read anything below it, so it
    // is optional and only reported.
    default: (ctx) => ctx.env['ROCKETMQ_HOME'] ?? '',
    description:
      'RocketMQ home directory. Optional here (Java requires it); defaults to $ROCKETMQ_HOME. Reported only.',
  }),
  kvConfigPath: str({
    origin: NS,
    protected: true,
    default: (ctx) => join(ctx.homeDir, 'namesrv', 'kvConfig.json'),
    description: 'File the KV config table is persisted to.',
  }),
  configStorePath: str({
    origin: NS,
    protected: true,
    default: (ctx) => join(ctx.homeDir, 'namesrv', 'namesrv.properties'),
    description:
      'File UPDATE_NAMESRV_CONFIG persists the configuration to; set to the -c file when one is given.',
  }),
  productEnvName: str({
    origin: NS,
    compatOnly: true,
    default: 'center',
    description:
      'Product environment name of cluster-test mode. Accepted for compatibility, no effect.',
  }),
  clusterTest: bool({
    origin: NS,
    compatOnly: true,
    default: false,
    description:
      'Java cluster-test mode (route misses looked up elsewhere). Accepted for compatibility, no effect.',
  }),
  orderMessageEnable: bool({
    origin: NS,
    live: true,
    default: false,
    description: 'Add orderTopicConf (from the ORDER_TOPIC_CONFIG KV namespace) to topic routes.',
  }),
  returnOrderTopicConfigToBroker: bool({
    origin: NS,
    live: true,
    javaSince: '5.x',
    default: true,
    description: 'Send the ORDER_TOPIC_CONFIG KV table to registering brokers.',
  }),
  clientRequestThreadPoolNums: int({
    origin: NS,
    compatOnly: true,
    javaSince: '5.x',
    default: 8,
    min: 1,
    description: NO_EFFECT,
  }),
  defaultThreadPoolNums: int({
    origin: NS,
    compatOnly: true,
    javaSince: '5.x',
    default: 16,
    min: 1,
    description: NO_EFFECT,
  }),
  clientRequestThreadPoolQueueCapacity: int({
    origin: NS,
    compatOnly: true,
    javaSince: '5.x',
    default: 50_000,
    min: 1,
    description: NO_EFFECT,
  }),
  defaultThreadPoolQueueCapacity: int({
    origin: NS,
    compatOnly: true,
    javaSince: '5.x',
    default: 10_000,
    min: 1,
    description: NO_EFFECT,
  }),
  scanNotActiveBrokerInterval: int({
    origin: NS,
    javaSince: '5.x',
    default: 5000,
    min: 100,
    description: 'Milliseconds between scans for expired brokers (4.9 hard-codes 10000).',
  }),
  unRegisterBrokerQueueCapacity: int({
    origin: NS,
    compatOnly: true,
    javaSince: '5.x',
    default: 3000,
    min: 1,
    description: 'Java batch-unregister queue size. Accepted for compatibility, no effect.',
  }),
  supportActingMaster: bool({
    origin: NS,
    javaSince: '5.x',
    default: false,
    description:
      'In route answers, a broker group whose master (id 0) is gone, whose brokers registered with enableActingMaster and whose queues of the topic are not writable lists its slave with the smallest id as id 0, so clients treat it as the master (not for rmq_sys_SYNC_BROKER_MEMBER_ topics).',
  }),
  enableAllTopicList: bool({
    origin: NS,
    live: true,
    javaSince: '5.x',
    default: true,
    description: 'Answer GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206); false answers SYSTEM_ERROR.',
  }),
  enableTopicList: bool({
    origin: NS,
    live: true,
    javaSince: '5.x',
    default: true,
    description: 'Answer GET_TOPICS_BY_CLUSTER (224) and the unit topic lists (311-313).',
  }),
  notifyMinBrokerIdChanged: bool({
    origin: NS,
    javaSince: '5.x',
    default: false,
    description:
      "Send NOTIFY_MIN_BROKER_ID_CHANGE (905), one-way, to a broker group's brokers (at each broker's address) when the group's smallest broker id changes, as brokers with enableSlaveActingMaster expect.",
  }),
  enableControllerInNamesrv: bool({
    origin: NS,
    compatOnly: true,
    javaSince: '5.x',
    default: false,
    description: 'Java embedded controller. Accepted for compatibility, no effect (out of scope).',
  }),
  needWaitForService: bool({
    origin: NS,
    javaSince: '5.1.0+',
    default: false,
    description:
      'Refuse route queries (and report not ready) for waitSecondsForService after start.',
  }),
  waitSecondsForService: int({
    origin: NS,
    javaSince: '5.1.0+',
    default: 45,
    description: 'Seconds to wait for brokers after start when needWaitForService is true.',
  }),
  deleteTopicWithBrokerRegistration: bool({
    origin: NS,
    live: true,
    javaSince: '5.1.4+',
    default: false,
    description:
      'When a registration is applied to routes, remove from the broker name the topics its body no longer lists (not for a body with static-topic mappings).',
  }),
  configBlackList: str({
    origin: NS,
    protected: true,
    javaSince: '4.9.8, 5.2.0+',
    default: 'configBlackList;configStorePath;kvConfigPath',
    description:
      'Extra ;-separated keys UPDATE_NAMESRV_CONFIG must refuse (paths, rocketmqHome and non-live keys are always refused).',
  }),

  // ---- NettyServerConfig (§6.2) ----
  listenPort: int({
    origin: NETTY,
    default: DEFAULT_NAMESRV_PORT,
    max: 65_535,
    description: 'TCP port of the remoting protocol; 0 picks a free port.',
  }),
  bindAddress: str({
    origin: NETTY,
    javaSince: '5.x',
    default: '0.0.0.0',
    description:
      'Address the remoting port binds to. 0.0.0.0 serves IPv4 and IPv6 clients where the host has IPv6 (one dual-stack socket, as the JVM binds it); an IPv6 literal may be bracketed ([::1]).',
  }),
  serverWorkerThreads: int({
    origin: NETTY,
    compatOnly: true,
    default: 8,
    min: 1,
    description: NO_EFFECT,
  }),
  serverCallbackExecutorThreads: int({
    origin: NETTY,
    compatOnly: true,
    default: 0,
    description: NO_EFFECT,
  }),
  serverSelectorThreads: int({
    origin: NETTY,
    compatOnly: true,
    default: 3,
    min: 1,
    description: NO_EFFECT,
  }),
  serverOnewaySemaphoreValue: int({
    origin: NETTY,
    compatOnly: true,
    default: 256,
    min: 1,
    description: NO_EFFECT_NETTY,
  }),
  serverAsyncSemaphoreValue: int({
    origin: NETTY,
    compatOnly: true,
    default: 64,
    min: 1,
    description: NO_EFFECT_NETTY,
  }),
  serverChannelMaxIdleTimeSeconds: int({
    origin: NETTY,
    default: 120,
    description: 'Close a connection idle (no read or write) for this many seconds; 0 disables.',
  }),
  serverSocketSndBufSize: int({
    origin: NETTY,
    compatOnly: true,
    default: 0,
    description: NO_EFFECT_NETTY,
  }),
  serverSocketRcvBufSize: int({
    origin: NETTY,
    compatOnly: true,
    default: 0,
    description: NO_EFFECT_NETTY,
  }),
  writeBufferHighWaterMark: int({
    origin: NETTY,
    compatOnly: true,
    default: 0,
    description: NO_EFFECT_NETTY,
  }),
  writeBufferLowWaterMark: int({
    origin: NETTY,
    compatOnly: true,
    default: 0,
    description: NO_EFFECT_NETTY,
  }),
  serverSocketBacklog: int({
    origin: NETTY,
    default: 1024,
    min: 1,
    description: 'Listen backlog of the remoting port.',
  }),
  serverPooledByteBufAllocatorEnable: bool({
    origin: NETTY,
    compatOnly: true,
    default: true,
    description: NO_EFFECT_NETTY,
  }),
  useEpollNativeSelector: bool({
    origin: NETTY,
    compatOnly: true,
    default: false,
    description: NO_EFFECT_NETTY,
  }),
  serverNettyWorkerGroupEnable: bool({
    origin: NETTY,
    compatOnly: true,
    javaSince: '5.x',
    default: true,
    description: NO_EFFECT_NETTY,
  }),
  enableShutdownGracefully: bool({
    origin: NETTY,
    compatOnly: true,
    javaSince: '5.x',
    default: false,
    description:
      'Accepted for compatibility, no effect: shutdown is always graceful (see shutdownTimeoutMillis).',
  }),
  shutdownWaitTimeSeconds: int({
    origin: NETTY,
    compatOnly: true,
    javaSince: '5.x',
    default: 30,
    description: 'Accepted for compatibility, no effect (see shutdownTimeoutMillis).',
  }),

  // ---- nameserver-ts ----
  compatibilityLine: oneOf({
    origin: OURS,
    values: JAVA_LINES,
    default: '5.x',
    description:
      'Java NameServer whose answers are reproduced byte for byte where 4.9 and 5.x differ: 5.x (5.3.3) or 4.9 (4.9.7). It sets the version stamped on responses, the order of topic lists and cluster tables, BrokerData.enableActingMaster, remarks and the GET_NAMESRV_CONFIG key set.',
  }),
  servingWorkers: int({
    origin: OURS,
    default: 0,
    max: 64,
    description:
      'Processes that serve client connections; reads are answered there, writes go to the one registry owner. 1 = a single process; 0 = automatic: one per usable CPU core beyond the first (a CPU quota counts: a container limit, or CPUQuota= of a systemd unit), at most 8 (so 1 on a 1–2 core machine).',
  }),
  servingWorkerAckTimeoutMillis: int({
    origin: OURS,
    default: 10_000,
    min: 100,
    description:
      'With servingWorkers > 1: how long a write may wait for a serving worker to apply it, and how long the owner and a worker may go without hearing from each other (they ping every second). A worker that has not applied a write or answered by then (stopped, wedged, out of memory) is ended and replaced, and the writes go on; only its connections drop. A worker that has not heard from its owner by then exits, closing its connections: it must not answer from a registry nobody updates any more.',
  }),
  heartbeatTimeoutMillis: int({
    origin: OURS,
    default: 120_000,
    min: 1000,
    description:
      'Default broker expiry: a broker not heard from for this long is removed (Java: 120 s; 5.x brokers may send their own timeout).',
  }),
  maxFrameLength: int({
    origin: OURS,
    default: DEFAULT_MAX_FRAME_LENGTH,
    min: 1024,
    description:
      'Largest accepted frame in bytes, length field included (Java com.rocketmq.remoting.frameMaxLength); larger frames close the connection.',
  }),
  maxHeaderLength: int({
    origin: OURS,
    default: DEFAULT_MAX_HEADER_LENGTH,
    min: 1024,
    max: 0xffffff,
    description:
      'Largest accepted request header in bytes (the JSON or binary header, not the body); a longer one closes the connection like a malformed frame. Real headers are well under 1 KiB; parsing a crafted multi-megabyte one would hold the event loop (Java sets no limit).',
  }),
  replyToUnknownRequestCode: bool({
    origin: OURS,
    default: true,
    description:
      'Answer unknown request codes with REQUEST_CODE_NOT_SUPPORTED (5.x); false sends nothing, like 4.9.',
  }),
  updateNamesrvConfigEnable: bool({
    origin: OURS,
    default: true,
    description:
      'Serve UPDATE_NAMESRV_CONFIG (318) for the live keys; false refuses every update with NO_PERMISSION.',
  }),
  httpPort: int({
    origin: OURS,
    // Follows listenPort so that nodes sharing a host need only different listenPorts (2 apart).
    default: DEFAULT_NAMESRV_PORT + 1,
    follows: {
      key: 'listenPort',
      offset: 1,
      outOfRangeHint: '0 picks a free port, -1 disables the HTTP admin server',
    },
    min: -1,
    max: 65_535,
    description:
      'Port of the HTTP admin server (/healthz, /readyz, /metrics, JSON views); 0 picks a free port, -1 disables it. Unless set, listenPort + 1 (0 when listenPort is 0), so nodes sharing a host need listenPorts at least 2 apart; listenPort 65535 needs an explicit httpPort.',
  }),
  httpBindAddress: str({
    origin: OURS,
    default: '0.0.0.0',
    description:
      'Address the HTTP admin server binds to. 0.0.0.0 serves IPv4 and IPv6 clients where the host has IPv6; an IPv6 literal may be bracketed ([::1]).',
  }),
  httpAllowedHosts: str({
    origin: OURS,
    default: '',
    emptyIsUnset: true,
    check: ALLOWED_HOSTS_CHECK,
    description:
      "Host names the HTTP data views answer to besides IP addresses, localhost, names without a dot, private suffixes (.local, .internal, .svc…), this machine's name and consistencyNodes' hosts, ';'-separated: ns.example.com, .example.com (a domain), * (any: no check). Guards against DNS rebinding; health, metrics and the console's files answer to any name.",
  }),
  consistencyNodes: str({
    origin: OURS,
    default: '',
    emptyIsUnset: true,
    description:
      "Every node of this NameServer cluster, ';'-separated (the namesrvAddr brokers use), for the console's consistency view; host:port reads the admin port at port + 1, http://host:port names it. Empty: the page asks.",
  }),
  logLevel: oneOf({
    origin: OURS,
    live: true,
    values: LOG_LEVELS,
    default: 'info',
    description: 'pino log level.',
  }),
  kvConfigDumpIntervalMillis: int({
    origin: OURS,
    default: 600_000,
    min: 1000,
    zeroIsOff: true,
    description:
      'Milliseconds between logging the size of the KV config table at info (per namespace; the 20 largest above 100 namespaces), its entries at debug (Java: every entry, every 10 min); 0 disables.',
  }),
  shutdownTimeoutMillis: int({
    origin: OURS,
    default: 10_000,
    description: 'How long close() waits for in-flight requests before destroying connections.',
  }),

  // ---- access control (README "Security") ----
  aclEnable: bool({
    origin: OURS,
    default: false,
    description:
      'Check who sends each request: the acl* policies below apply and credentials come from aclFile. false: everything open, as in Java.',
  }),
  aclFile: str({
    origin: OURS,
    protected: true,
    emptyIsUnset: true,
    default: '',
    description:
      "Credentials in RocketMQ's plain_acl.yml format (accounts, globalWhiteRemoteAddresses); required when aclEnable=true; reloaded when it changes.",
  }),
  aclRouteRead: str({
    origin: OURS,
    default: 'open',
    check: POLICY_CHECK,
    description:
      "Policy for route reads (routes, the route watch, cluster info, topic lists) when aclEnable=true: 'open' or a comma list of signed, admin, address, cert; unless open, the HTTP route, cluster, topic and digest views answer 403.",
  }),
  aclBrokerControl: str({
    origin: OURS,
    default: 'signed,address,cert',
    check: POLICY_CHECK,
    description:
      'Policy for broker registration, unregistration, heartbeats, QUERY_DATA_VERSION, GET_BROKER_MEMBER_GROUP when aclEnable=true.',
  }),
  aclAdminRead: str({
    origin: OURS,
    default: 'signed',
    check: POLICY_CHECK,
    description:
      'Policy for KV reads and GET_NAMESRV_CONFIG when aclEnable=true; unless open, the HTTP /kv, /kv/{namespace} and /config views answer 403.',
  }),
  aclAdminWrite: str({
    origin: OURS,
    default: 'admin',
    check: POLICY_CHECK,
    description:
      'Policy for KV writes, write permissions, topic delete/register, UPDATE_NAMESRV_CONFIG and unknown request codes when aclEnable=true.',
  }),
  aclAllowedAddresses: str({
    origin: OURS,
    emptyIsUnset: true,
    default: '',
    check: ADDRESSES_CHECK,
    description:
      "Addresses that prove 'address' besides aclFile's globalWhiteRemoteAddresses, ';'-separated (10.0.0.0/8;192.168.1.*).",
  }),

  // ---- TLS on the remoting port (Java names in brackets; README "Security") ----
  tlsServerMode: oneOf({
    origin: OURS,
    values: TLS_SERVER_MODES,
    default: 'permissive',
    description:
      '[tls.server.mode] disabled: plain only; permissive: plain and TLS on one port (told apart by the first byte); enforcing: TLS only.',
  }),
  tlsConfigFile: str({
    origin: OURS,
    protected: true,
    emptyIsUnset: true,
    default: '/etc/rocketmq/tls.properties',
    description:
      '[tls.config.file] Java TLS properties file (tls.server.* keys), read when it exists; its values win over these keys, as in Java.',
  }),
  tlsTestModeEnable: bool({
    origin: OURS,
    default: true,
    description:
      '[tls.test.mode.enable] Allow serving a self-signed certificate made at start when no certificate is configured.',
  }),
  tlsServerCertPath: str({
    origin: OURS,
    protected: true,
    emptyIsUnset: true,
    default: '',
    description: '[tls.server.certPath] PEM certificate chain; reloaded when it changes.',
  }),
  tlsServerKeyPath: str({
    origin: OURS,
    protected: true,
    emptyIsUnset: true,
    default: '',
    description:
      '[tls.server.keyPath] PEM private key (PKCS#8 or PKCS#1, may be encrypted); reloaded when it changes.',
  }),
  tlsServerKeyPassword: str({
    origin: OURS,
    protected: true,
    emptyIsUnset: true,
    secret: true,
    default: '',
    description:
      '[tls.server.keyPassword] Password of an encrypted key. Secret: never shown by GET_NAMESRV_CONFIG or -p; the HTTP /config view and the startup log line show (secret) when it is set.',
  }),
  tlsServerTrustCertPath: str({
    origin: OURS,
    protected: true,
    emptyIsUnset: true,
    default: '',
    description:
      '[tls.server.trustCertPath] PEM CA certificates that client certificates are verified against; reloaded when it changes.',
  }),
  tlsServerNeedClientAuth: oneOf({
    origin: OURS,
    values: CLIENT_AUTH_MODES,
    default: 'none',
    description:
      '[tls.server.need.client.auth] client certificates of TLS connections: none, optional (a verified certificate proves cert) or require (no certificate, no TLS connection; plain connections are still served unless tlsServerMode=enforcing).',
  }),
  tlsServerAuthClient: bool({
    origin: OURS,
    default: false,
    description:
      '[tls.server.authClient] Verify client certificates; against the system CAs when tlsServerTrustCertPath is unset (such a certificate is let in, but is no "cert" proof for the access policy: only one verified against tlsServerTrustCertPath is).',
  }),
  tlsHandshakeTimeoutMillis: int({
    origin: OURS,
    default: 10_000,
    min: 1,
    description:
      'Close a new connection that sends nothing, or does not finish its TLS handshake, within this many milliseconds.',
  }),

  // ---- route watch (README "Route watch") ----
  routeWatchEnable: bool({
    origin: OURS,
    default: true,
    description:
      'Serve WATCH_TOPIC_ROUTE (30000, our extension): a client holds one request per connection and gets route changes as they happen. false: the code is unknown here and clients poll.',
  }),
  routeWatchMaxWatchers: int({
    origin: OURS,
    live: true,
    default: 50_000,
    min: 1,
    description:
      'Most route watches held at once on this node (each of its serving processes holds at most its share); more are answered SYSTEM_BUSY (those clients poll).',
  }),
  routeWatchMaxTopics: int({
    origin: OURS,
    live: true,
    default: 1000,
    min: 1,
    description:
      'Most topics in one route watch; more are answered INVALID_PARAMETER (that client polls).',
  }),
  routeWatchMaxHeldTopics: int({
    origin: OURS,
    live: true,
    default: 1_000_000,
    min: 1,
    description:
      "Most topics followed by all route watches held at once on this node, a topic counted once per watch (each serving process holds at most its share); a watch that would pass it is answered SYSTEM_BUSY (that client polls). Held names are at most 262 characters (a retry topic of the longest group name): about 450 MB at the default in the worst case (about 310 bytes per held 127-character name in a one-off measurement on the 2-core dev VM, 2026-12-07; the name's characters come on top of about 185).",
  }),
  routeWatchMaxHoldMillis: int({
    origin: OURS,
    live: true,
    default: 30_000,
    min: 100,
    max: 600_000,
    description:
      'Longest a route watch is held without a change; never more than half of serverChannelMaxIdleTimeSeconds.',
  }),

  // ---- resource limits (README "Security", "Limits") ----
  maxConnections: int({
    origin: OURS,
    default: 20_000,
    min: 1,
    description:
      'Connections the node accepts at once, over all serving processes; further connections are closed at accept.',
  }),
  maxConnectionsPerAddress: int({
    origin: OURS,
    default: 2000,
    min: 1,
    description:
      'Connections one remote IP address (an IPv6 peer: its /64) may hold at once; further connections from it are closed at accept.',
  }),
  maxPartialFrameBytes: int({
    origin: OURS,
    default: 256 * 1024 * 1024,
    min: 1024,
    description:
      'Bytes the node holds in frames not yet complete, over all connections (each of P serving processes gets this / P, at least one whole frame of maxFrameLength with its bookkeeping); when it would be exceeded the connection holding the most is closed.',
  }),
  partialFrameTimeoutMillis: int({
    origin: OURS,
    default: 30_000,
    description:
      'Close a connection whose frame is not complete this many milliseconds after its first bytes arrived (slow senders); 0 disables.',
  }),
  maxInFlightPerConnection: int({
    origin: OURS,
    default: 64,
    min: 1,
    description:
      'Requests of one connection waiting for the registry owner (writes) at a time; past it the connection is not read until one is answered.',
  }),
  maxRegisterBodyBytes: int({
    origin: OURS,
    default: 16 * 1024 * 1024,
    min: 1024,
    description:
      'Largest REGISTER_BROKER body (as sent, before any decompression); a larger one is refused with SYSTEM_ERROR before it is looked at.',
  }),
  maxInflatedRegisterBodyBytes: int({
    origin: OURS,
    default: 64 * 1024 * 1024,
    min: 1024,
    description:
      'Largest size a compressed REGISTER_BROKER body may inflate to; a larger one is refused with SYSTEM_ERROR (zip bombs).',
  }),
};

export type ConfigKey = keyof typeof CONFIG_SCHEMA;

type ValueOfSpec<S> = S extends { kind: 'int' }
  ? number
  : S extends { kind: 'boolean' }
    ? boolean
    : S extends EnumSpec<infer V>
      ? V
      : string;

/** The effective configuration: every key, typed. Frozen when produced by this module. */
export type NamesrvConfig = {
  readonly [K in ConfigKey]: ValueOfSpec<(typeof CONFIG_SCHEMA)[K]>;
};

export type ConfigValue = number | boolean | string;

/** Every key in schema order. */
export const CONFIG_KEYS: readonly ConfigKey[] = Object.freeze(
  Object.keys(CONFIG_SCHEMA) as ConfigKey[],
);

export function isConfigKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_SCHEMA, key);
}

export function specOf(key: ConfigKey): ConfigKeySpec {
  return CONFIG_SCHEMA[key];
}

/**
 * Keys of a `-c` file that Java accepts but the namesrv has no field for, accepted here and
 * ignored the same way:
 * - `namesrvAddr`: `mqnamesrv -n` copies its value there, and Java then ignores it;
 * - Java 5.x's NettyClientConfig (the client side of the 5.x NameServer's remoting, used by its
 *   embedded controller), which `mqnamesrv` fills from the same file: a 5.x file may carry them
 *   (a reviewer's file with `clientWorkerThreads=4` was refused). The two it shares with
 *   NettyServerConfig (the write buffer water marks) are ours already.
 */
export const IGNORED_KEYS: ReadonlySet<string> = new Set([
  'namesrvAddr',
  'clientWorkerThreads',
  'clientCallbackExecutorThreads',
  'clientOnewaySemaphoreValue',
  'clientAsyncSemaphoreValue',
  'connectTimeoutMillis',
  'channelNotActiveInterval',
  'scanAvailableNameSrv',
  'circuitBreakerEnable',
  'circuitBreakerRecoverSecond',
  'circuitBreakerDegradeRuleCount',
  'circuitBreakerDegradeRuleSecond',
  'clientChannelMaxIdleTimeSeconds',
  'clientSocketSndBufSize',
  'clientSocketRcvBufSize',
  'clientPooledByteBufAllocatorEnable',
  'clientCloseSocketIfTimeout',
  'useTLS',
  'socksProxyConfig',
  'disableCallbackExecutor',
  'disableNettyWorkerGroup',
  'maxReconnectIntervalTimeSeconds',
  'enableReconnectForGoAway',
  'enableTransparentRetry',
]);

export const ENV_PREFIX = 'NAMESRV_';

/** `listenPort` → `NAMESRV_LISTEN_PORT`, `serverSocketSndBufSize` → `NAMESRV_SERVER_SOCKET_SND_BUF_SIZE`. */
export function envNameOf(key: string): string {
  return ENV_PREFIX + key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** `NAMESRV_*` variables that are not ours but commonly set (RocketMQ clients read NAMESRV_ADDR). */
export const IGNORED_ENV: ReadonlySet<string> = new Set(['NAMESRV_ADDR']);

/**
 * The variables Kubernetes puts in every pod for each Service of its namespace (service links,
 * on by default) and docker's `--link` sets: for a Service `namesrv` or `namesrv-<x>`,
 * NAMESRV[_X]_SERVICE_HOST, NAMESRV[_X]_SERVICE_PORT[_name], NAMESRV[_X]_PORT and
 * NAMESRV[_X]_PORT_9876_TCP[_PROTO|_PORT|_ADDR]. Refused as unknown keys, they stopped every
 * node of such a namespace at its next start (review finding). Each is recognised by its value
 * too, so a misspelt key (NAMESRV_HTTPS_PORT=8080) is still refused.
 */
const SERVICE_LINK_ENV: readonly [RegExp, RegExp][] = [
  [/^NAMESRV_([A-Z0-9_]+_)?SERVICE_HOST$/, /^[0-9A-Fa-f.:]+$/],
  [/^NAMESRV_([A-Z0-9_]+_)?SERVICE_PORT(_[A-Z0-9_]+)?$/, /^\d+$/],
  [/^NAMESRV_([A-Z0-9_]+_)?PORT(_\d+_(TCP|UDP|SCTP))?$/, /^(tcp|udp|sctp):\/\/\S+:\d+$/],
  [/^NAMESRV_([A-Z0-9_]+_)?PORT_\d+_(TCP|UDP|SCTP)_PROTO$/, /^(tcp|udp|sctp)$/],
  [/^NAMESRV_([A-Z0-9_]+_)?PORT_\d+_(TCP|UDP|SCTP)_PORT$/, /^\d+$/],
  [/^NAMESRV_([A-Z0-9_]+_)?PORT_\d+_(TCP|UDP|SCTP)_ADDR$/, /^[0-9A-Fa-f.:]+$/],
];

/** Whether a `NAMESRV_*` variable is someone else's (see IGNORED_ENV, SERVICE_LINK_ENV). */
export function isIgnoredEnv(name: string, value: string): boolean {
  if (IGNORED_ENV.has(name)) return true;
  const linkShaped = SERVICE_LINK_ENV.some(([n, v]) => n.test(name) && v.test(value));
  // A Service named namesrv-http (or namesrv-listen) makes NAMESRV_HTTP_PORT=tcp://host:port, the
  // name of a key of ours: a value no port key accepts is the link's, not a setting.
  if (ENV_TO_KEY.has(name)) return linkShaped && LINK_URL.test(value);
  return linkShaped || DOCKER_LINK_ENV.some(([n, v]) => n.test(name) && v.test(value));
}

const LINK_URL = /^(tcp|udp|sctp):\/\/\S+:\d+$/;

/** docker --link also sets <ALIAS>_NAME=/<container>/<alias> and <ALIAS>_ENV_<var> per variable. */
const DOCKER_LINK_ENV: readonly [RegExp, RegExp][] = [[/^NAMESRV_([A-Z0-9_]+_)?NAME$/, /^\/\S*$/]];

/**
 * docker --link's `<ALIAS>_ENV_<var>`: only where the same link's `<ALIAS>_NAME=/…` is set too
 * (a misspelt key such as NAMESRV_PRODUCT_ENV_NAMEX is still refused).
 */
export function isDockerLinkEnvCopy(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  for (let at = name.indexOf('_ENV_'); at !== -1; at = name.indexOf('_ENV_', at + 1)) {
    const alias = name.slice(0, at);
    const linkName = env[`${alias}_NAME`];
    if (alias.startsWith('NAMESRV') && linkName !== undefined && /^\/\S*$/.test(linkName))
      return true;
  }
  return false;
}

const ENV_TO_KEY: ReadonlyMap<string, ConfigKey> = new Map(
  CONFIG_KEYS.map((k) => [envNameOf(k), k] as const),
);

export function keyOfEnvName(name: string): ConfigKey | undefined {
  return ENV_TO_KEY.get(name);
}

/**
 * The default of one key in a given context. For a key that follows another, its value while
 * that key is at its own default (loadConfig derives it from the effective value).
 */
export function defaultOf(key: ConfigKey, ctx: DefaultsContext): ConfigValue {
  const spec = specOf(key);
  if (spec.kind === 'string' && typeof spec.default === 'function') return spec.default(ctx);
  return spec.default as ConfigValue;
}

/** The default as usage and the README show it: the rule (`listenPort + 1`) or the value. */
export function defaultText(key: ConfigKey, ctx: DefaultsContext): string {
  const spec = specOf(key);
  if (spec.kind === 'int' && spec.follows !== null) {
    return `${spec.follows.key} + ${spec.follows.offset}`;
  }
  return String(defaultOf(key, ctx));
}

/**
 * The default of a following key when the key it follows is `base`: `base + offset`, 0 for 0;
 * null when that falls outside the key's range (e.g. httpPort for listenPort 65535).
 */
export function followingValue(spec: IntSpec, rule: FollowsRule, base: number): number | null {
  if (base === 0) return 0;
  const value = base + rule.offset;
  return value >= spec.min && value <= spec.max ? value : null;
}

/** All defaults, frozen. */
export function defaultConfig(ctx: DefaultsContext): NamesrvConfig {
  const out: Record<string, ConfigValue> = {};
  for (const key of CONFIG_KEYS) out[key] = defaultOf(key, ctx);
  return Object.freeze(out) as unknown as NamesrvConfig;
}
