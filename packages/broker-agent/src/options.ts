/**
 * Agent options, their defaults and validation. Names follow the Java BrokerConfig fields where
 * one exists (`registerNameServerPeriod`, `forceRegister`, `compressedRegister`,
 * `splitRegistrationSize`, …) so a broker.conf reader can map them one to one.
 */
import { InvalidOptionError, parseHostPort } from '@ns/client';
import type {
  AclCredentials,
  ClientTlsOptions,
  HttpAddressProviderOptions,
  Logger,
  NameServerAddressProvider,
  SocketFactory,
} from '@ns/client';
import { Version } from '@ns/protocol';
import type { DataVersion } from '@ns/protocol';
import type { TopicTableInput } from './topic-config-input.js';
import { checkExpiry } from './expiry-check.js';

/** How the agent keeps its registration alive between full registrations. */
export type HeartbeatMode = 'none' | 'queryDataVersion' | 'brokerHeartbeat';

/** When a registration is sent as several REGISTER_BROKER chunks (see split-plan.ts). */
export type SplitRegistrationMode = 'auto' | 'always' | 'never';

export interface BrokerAgentOptions {
  readonly clusterName: string;
  readonly brokerName: string;
  /** 0 = master (default), > 0 = slave. */
  readonly brokerId?: number;
  /** `ip:port` clients reach the broker on (Java brokerIP1:listenPort). */
  readonly brokerAddr: string;
  /** `ip:port` of the HA listener. Default: the brokerAddr host and port + 1 (Java haListenPort). */
  readonly haServerAddr?: string;
  /** Initial topic table (default empty). */
  readonly topics?: TopicTableInput;
  /**
   * Initial DataVersion. Default `{counter: 0, timestamp: now}` (Java: a fresh DataVersion). Give
   * the broker's persisted one to continue its history.
   */
  readonly dataVersion?: DataVersion;

  /** Name server list: `"a:9876;b:9876"` or an array. Else `NAMESRV_ADDR`, else the address service. */
  readonly namesrvAddr?: string | readonly string[];
  /** A ready address provider (e.g. shared with a client); exclusive with namesrvAddr. */
  readonly addressProvider?: NameServerAddressProvider;
  /** HTTP address service settings (e.g. `{ url }`), or false to require an explicit list. */
  readonly addressService?: false | Omit<HttpAddressProviderOptions, 'logger'>;
  /** Environment for `NAMESRV_ADDR` (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;

  /** Java registerNameServerPeriod: default 30 000 ms, clamped to 10 000–60 000. */
  readonly registerNameServerPeriodMs?: number;
  /**
   * Tests only: a period below Java's 10 s floor, used as is (no clamping). Never set this in
   * production: every period re-sends the whole topic table to every name server.
   */
  readonly unsafeRegisterPeriodMs?: number;
  /** Per-call timeout and round deadline. Java 4.9 registerBrokerTimeoutMills: 6 000 ms. */
  readonly requestTimeoutMs?: number;
  /** TCP connect bound (default 3 000 ms, capped by requestTimeoutMs). */
  readonly connectTimeoutMs?: number;
  /** Java forceRegister (default true): false asks QUERY_DATA_VERSION first and skips unchanged nodes. */
  readonly forceRegister?: boolean;
  /** Java 4.9 compressedRegister: deflated body, header `compressed=true` (default false). */
  readonly compressedRegister?: boolean;

  /** Default 'none' (Java without acting-master mode). */
  readonly heartbeat?: HeartbeatMode;
  /** Java brokerHeartbeatInterval: 1 000 ms. */
  readonly heartbeatIntervalMs?: number;
  /**
   * Send heartbeats two-way and read the answer (QUERY_DATA_VERSION `changed=true` → register at
   * once). Java sends them one-way (default false); a lost registration is then still noticed
   * through the connection closing or a send failing.
   */
  readonly heartbeatAwaitReply?: boolean;
  /** 5.x REGISTER_BROKER header `heartbeatTimeoutMillis` (per-broker expiry); absent by default. */
  readonly heartbeatTimeoutMillis?: number;
  /** 5.x REGISTER_BROKER header `enableActingMaster`; absent by default (an "old version broker"). */
  readonly enableActingMaster?: boolean;
  /** 5.x `__ZONE_NAME` ext field. */
  readonly zoneName?: string;
  /** Extra ext fields added to every request (ACL `AccessKey`, `Signature`, …), passed through. */
  readonly extFields?: Readonly<Record<string, string>>;
  /** Request `version` (MQVersion ordinal). Default 407 = V4_9_7. */
  readonly version?: number;

  /** Java 5.x splitRegistrationSize: topics per chunk (default 800). */
  readonly splitRegistrationSize?: number;
  /** Default 'auto': split above splitRegistrationSize topics or maxUnsplitBodyBytes. */
  readonly splitRegistration?: SplitRegistrationMode;
  /** 'auto' also splits a smaller table whose body would exceed this (default 8 MiB). */
  readonly maxUnsplitBodyBytes?: number;

  /** Bound on stop()'s wait for UNREGISTER_BROKER answers (Java: 3 000 ms per node). */
  readonly unregisterTimeoutMs?: number;
  /** Cap of the per-node re-probe backoff after a failure (default 1 000 ms). */
  readonly reprobeMaxDelayMs?: number;
  /** Filter server addresses sent in the body (default none). */
  readonly filterServerList?: readonly string[];

  /**
   * Sign every request with this ACL 1.0 account (Java AclClientRPCHook), for NameServers with
   * aclEnable=true. (Java 4.9 brokers do not sign NameServer requests; our agent can.)
   */
  readonly credentials?: AclCredentials;
  /** TLS to the NameServers (see @ns/client ClientTlsOptions; `true` = Java's test mode). */
  readonly tls?: ClientTlsOptions | boolean;

  readonly logger?: Logger;
  /** How sockets are made (tests inject failures). Not together with `tls`. */
  readonly socketFactory?: SocketFactory;
}

export const DEFAULT_REGISTER_PERIOD_MS = 30_000;
export const MIN_REGISTER_PERIOD_MS = 10_000;
export const MAX_REGISTER_PERIOD_MS = 60_000;
/** Java 4.9 registerBrokerTimeoutMills. */
export const DEFAULT_REGISTER_TIMEOUT_MS = 6_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
export const DEFAULT_SPLIT_REGISTRATION_SIZE = 800;
/** Half of the 16 MiB frame limit: room for the header and for peers with smaller limits. */
export const DEFAULT_MAX_UNSPLIT_BODY_BYTES = 8 * 1024 * 1024;
export const DEFAULT_UNREGISTER_TIMEOUT_MS = 3_000;
export const DEFAULT_REPROBE_MAX_DELAY_MS = 1_000;

/** The validated, defaulted options the agent runs with. */
export interface ResolvedAgentOptions {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly haServerAddr: string;
  readonly registerPeriodMs: number;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly forceRegister: boolean;
  readonly compressedRegister: boolean;
  readonly heartbeat: HeartbeatMode;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatAwaitReply: boolean;
  readonly heartbeatTimeoutMillis: number | undefined;
  readonly enableActingMaster: boolean | undefined;
  readonly zoneName: string | undefined;
  readonly extFields: Readonly<Record<string, string>>;
  readonly version: number;
  readonly splitRegistration: SplitRegistrationMode;
  readonly splitRegistrationSize: number;
  readonly maxUnsplitBodyBytes: number;
  readonly unregisterTimeoutMs: number;
  readonly reprobeMaxDelayMs: number;
  readonly filterServerList: readonly string[];
}

function requireText(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new InvalidOptionError(name, `${name}: expected a non-empty string`);
  }
  return value;
}

/** Options from JavaScript or a parsed file: `"false"` is truthy, so a string is refused. */
function bool(name: string, value: unknown, dflt: boolean): boolean;
function bool(name: string, value: unknown, dflt: undefined): boolean | undefined;
function bool(name: string, value: unknown, dflt: boolean | undefined): boolean | undefined {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') {
    throw new InvalidOptionError(
      name,
      `${name}: expected true or false, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function optionalText(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidOptionError(name, `${name}: expected a string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Filter servers: a list of host:port (a string would be sent as its characters). */
function addressList(name: string, value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) {
    throw new InvalidOptionError(
      name,
      `${name}: expected an array of host:port, got ${JSON.stringify(value)}`,
    );
  }
  return Object.freeze(
    value.map((v: unknown, i) => address(`${name}[${i}]`, requireText(`${name}[${i}]`, v))),
  );
}

/**
 * A DataVersion given by the caller or a topics file: what the NameServer stores and compares,
 * so a counter of 1.5 or a missing timestamp made a body no NameServer accepts, at every round.
 */
export function checkDataVersion(name: string, value: unknown): DataVersion {
  const isCount = (v: unknown, min: number): v is number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError(name, `${name}: expected {counter, timestamp[, stateVersion]}`);
  }
  const v = value as Record<string, unknown>;
  if (!isCount(v['counter'], 0) || !isCount(v['timestamp'], 0)) {
    throw new InvalidOptionError(
      name,
      `${name}: counter and timestamp must be integers >= 0, got counter ${String(v['counter'])}, timestamp ${String(v['timestamp'])}`,
    );
  }
  const dv: DataVersion = { counter: v['counter'], timestamp: v['timestamp'] };
  if (v['stateVersion'] !== undefined) {
    if (!isCount(v['stateVersion'], Number.MIN_SAFE_INTEGER)) {
      throw new InvalidOptionError(
        name,
        `${name}: stateVersion must be an integer, got ${JSON.stringify(v['stateVersion'])}`,
      );
    }
    dv.stateVersion = v['stateVersion'];
  }
  return dv;
}

function int(
  name: string,
  value: number | undefined,
  dflt: number,
  min: number,
  max = 2 ** 31 - 1,
) {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(
      name,
      `${name}: expected an integer in ${min}..${max}, got ${value}`,
    );
  }
  return value;
}

function address(name: string, value: string): string {
  try {
    parseHostPort(value);
  } catch (err) {
    throw new InvalidOptionError(
      name,
      // The parser speaks of name server addresses; this one is the broker's own.
      `${name}: expected host:port, got ${JSON.stringify(value)} (${(err as Error).message.replace(/^invalid name server address '[^']*': /, '')})`,
    );
  }
  return value;
}

/** Java: haListenPort = listenPort + 1 on the same host (brokerIP2 defaults to brokerIP1). */
export function defaultHaServerAddr(brokerAddr: string): string {
  const { host, port } = parseHostPort(brokerAddr);
  const h = host.includes(':') ? `[${host}]` : host;
  return `${h}:${port + 1}`;
}

/** Java: `Math.max(10000, Math.min(registerNameServerPeriod, 60000))`. */
export function clampRegisterPeriod(periodMs: number): number {
  return Math.max(MIN_REGISTER_PERIOD_MS, Math.min(periodMs, MAX_REGISTER_PERIOD_MS));
}

export function resolveAgentOptions(options: BrokerAgentOptions): ResolvedAgentOptions {
  const clusterName = requireText('clusterName', options.clusterName);
  const brokerName = requireText('brokerName', options.brokerName);
  const brokerAddr = address('brokerAddr', requireText('brokerAddr', options.brokerAddr));
  const haServerAddr =
    options.haServerAddr === undefined
      ? defaultHaServerAddr(brokerAddr)
      : address('haServerAddr', requireText('haServerAddr', options.haServerAddr));
  const requestTimeoutMs = int(
    'requestTimeoutMs',
    options.requestTimeoutMs,
    DEFAULT_REGISTER_TIMEOUT_MS,
    1,
  );
  const heartbeat = options.heartbeat ?? 'none';
  if (heartbeat !== 'none' && heartbeat !== 'queryDataVersion' && heartbeat !== 'brokerHeartbeat') {
    throw new InvalidOptionError(
      'heartbeat',
      `heartbeat: expected none, queryDataVersion or brokerHeartbeat, got ${String(heartbeat)}`,
    );
  }
  const split = options.splitRegistration ?? 'auto';
  if (split !== 'auto' && split !== 'always' && split !== 'never') {
    throw new InvalidOptionError(
      'splitRegistration',
      `splitRegistration: expected auto, always or never, got ${String(split)}`,
    );
  }
  const registerPeriodMs =
    options.unsafeRegisterPeriodMs !== undefined
      ? int('unsafeRegisterPeriodMs', options.unsafeRegisterPeriodMs, 0, 10)
      : clampRegisterPeriod(
          int(
            'registerNameServerPeriodMs',
            options.registerNameServerPeriodMs,
            DEFAULT_REGISTER_PERIOD_MS,
            0,
          ),
        );
  const heartbeatIntervalMs = int(
    'heartbeatIntervalMs',
    options.heartbeatIntervalMs,
    DEFAULT_HEARTBEAT_INTERVAL_MS,
    10,
  );
  const heartbeatTimeoutMillis =
    options.heartbeatTimeoutMillis === undefined
      ? undefined
      : int(
          'heartbeatTimeoutMillis',
          options.heartbeatTimeoutMillis,
          0,
          1,
          Number.MAX_SAFE_INTEGER,
        );
  checkExpiry(
    heartbeatTimeoutMillis,
    heartbeat,
    options.unsafeRegisterPeriodMs !== undefined
      ? {
          option: 'unsafeRegisterPeriodMs',
          value: registerPeriodMs,
          given: options.unsafeRegisterPeriodMs,
        }
      : {
          option: 'registerNameServerPeriodMs',
          value: registerPeriodMs,
          given: options.registerNameServerPeriodMs,
        },
    {
      option: 'heartbeatIntervalMs',
      value: heartbeatIntervalMs,
      given: options.heartbeatIntervalMs,
    },
  );
  const extFields: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.extFields ?? {})) {
    if (typeof v !== 'string') {
      throw new InvalidOptionError('extFields', `extFields.${k}: expected a string value`);
    }
    extFields[k] = v;
  }
  return {
    clusterName,
    brokerName,
    brokerId: int('brokerId', options.brokerId, 0, 0, Number.MAX_SAFE_INTEGER),
    brokerAddr,
    haServerAddr,
    registerPeriodMs,
    requestTimeoutMs,
    connectTimeoutMs: Math.min(
      int('connectTimeoutMs', options.connectTimeoutMs, 3_000, 1),
      requestTimeoutMs,
    ),
    forceRegister: bool('forceRegister', options.forceRegister, true),
    compressedRegister: bool('compressedRegister', options.compressedRegister, false),
    heartbeat,
    heartbeatIntervalMs,
    heartbeatAwaitReply: bool('heartbeatAwaitReply', options.heartbeatAwaitReply, false),
    heartbeatTimeoutMillis,
    enableActingMaster: bool('enableActingMaster', options.enableActingMaster, undefined),
    zoneName: optionalText('zoneName', options.zoneName),
    extFields: Object.freeze(extFields),
    version: int('version', options.version, Version.V4_9_7, 0, 0x7fff),
    splitRegistration: split,
    splitRegistrationSize: int(
      'splitRegistrationSize',
      options.splitRegistrationSize,
      DEFAULT_SPLIT_REGISTRATION_SIZE,
      2,
    ),
    maxUnsplitBodyBytes: int(
      'maxUnsplitBodyBytes',
      options.maxUnsplitBodyBytes,
      DEFAULT_MAX_UNSPLIT_BODY_BYTES,
      1024,
    ),
    unregisterTimeoutMs: int(
      'unregisterTimeoutMs',
      options.unregisterTimeoutMs,
      DEFAULT_UNREGISTER_TIMEOUT_MS,
      1,
    ),
    reprobeMaxDelayMs: int(
      'reprobeMaxDelayMs',
      options.reprobeMaxDelayMs,
      DEFAULT_REPROBE_MAX_DELAY_MS,
      10,
    ),
    filterServerList: addressList('filterServerList', options.filterServerList),
  };
}
