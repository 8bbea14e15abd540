/**
 * Test harness for the handler tests, the replay and the CVE test: a Dispatcher wired to the
 * real RouteInfoManager, KVConfigManager and config functions, a settable clock, and helpers to
 * build requests (no socket involved).
 */
import {
  bodyCrc32,
  createRequest,
  encodeRegisterBrokerBody,
  newExtFields,
  SerializeType,
} from '@ns/protocol';
import type { RemotingCommand, TopicConfig } from '@ns/protocol';
import { defaultConfig, renderConfigFile } from '../src/config/index.js';
import type { NamesrvConfig } from '../src/config/index.js';
import type { DispatchResult } from '../src/handlers/dispatcher.js';
import { createDispatcher } from '../src/handlers/handler-sets.js';
import type { LocalDispatcher } from '../src/handlers/handler-sets.js';
import type { RequestContext } from '../src/handlers/request-context.js';
import { KVConfigManager } from '../src/kvconfig/index.js';
import type { KVConfigPersist } from '../src/kvconfig/index.js';
import { createSilentLogger } from '../src/logging.js';
import { RouteInfoManager } from '../src/route/index.js';
import type { RouteInfoManagerOptions } from '../src/route/index.js';

export class FakeClock {
  constructor(public t = 1_795_422_600_000) {}
  now(): number {
    return this.t;
  }
}

export interface MetricCall {
  requestCode: number;
  responseCode: number | null;
  seconds: number;
}

export interface Harness {
  dispatcher: LocalDispatcher;
  routes: RouteInfoManager;
  kv: KVConfigManager;
  clock: FakeClock;
  config(): NamesrvConfig;
  /** Texts handed to persistConfig, in order. */
  persisted: string[];
  metrics: MetricCall[];
  /** Answers that came later (held route watches; with `deferredReplies`), in order. */
  replies: { connectionId: number; response: RemotingCommand }[];
  dispatch(request: RemotingCommand, ctx?: Partial<RequestContext>): RemotingCommand | null;
  /** Builds and dispatches a request; throws if the dispatcher answered nothing. */
  send(code: number, init?: SendInit): RemotingCommand;
}

export interface SendInit {
  ext?: Record<string, string>;
  body?: Buffer | string | null;
  version?: number;
  oneway?: boolean;
  serializeType?: SerializeType;
  opaque?: number;
  connectionId?: number;
}

export interface HarnessOptions {
  config?: Partial<Record<keyof NamesrvConfig, NamesrvConfig[keyof NamesrvConfig]>>;
  clock?: FakeClock;
  /** Throws from persistConfig (to test failure handling). */
  failPersist?: boolean;
  withoutMetrics?: boolean;
  /** RouteInfoManager options (e.g. the 5.x single-topic guard). */
  routeOptions?: RouteInfoManagerOptions;
  /** The KV manager's persist function (default: none). */
  kvPersist?: KVConfigPersist;
  /**
   * Serve WATCH_TOPIC_ROUTE: a held watch's answer, when it comes, is recorded in `replies` and
   * `dispatch` returns null for it (as the transport writes it later).
   */
  deferredReplies?: boolean;
  /** Receives the requests the NameServer sends to brokers (NOTIFY_MIN_BROKER_ID_CHANGE). */
  notifyBroker?: (brokerAddr: string, command: RemotingCommand) => void;
}

/** The dispatcher's answer, which the single-process handlers give synchronously. */
export function syncResult(result: DispatchResult): RemotingCommand | null {
  if (result instanceof Promise) throw new Error('expected a synchronous answer');
  return result;
}

export function baseConfig(overrides: HarnessOptions['config'] = {}): NamesrvConfig {
  const base = defaultConfig({ homeDir: '/nonexistent-home', env: {} });
  return Object.freeze({ ...base, ...overrides }) as NamesrvConfig;
}

let opaqueSeq = 1;

export function request(code: number, init: SendInit = {}): RemotingCommand {
  let ext = null;
  if (init.ext !== undefined) {
    ext = newExtFields();
    for (const [k, v] of Object.entries(init.ext)) ext[k] = v;
  }
  const body =
    init.body === undefined || init.body === null
      ? null
      : typeof init.body === 'string'
        ? Buffer.from(init.body, 'utf8')
        : init.body;
  return createRequest({
    code,
    opaque: init.opaque ?? opaqueSeq++,
    extFields: ext,
    body,
    oneway: init.oneway ?? false,
    serializeType: init.serializeType ?? SerializeType.JSON,
    version: init.version ?? 407,
  });
}

export function createHarness(options: HarnessOptions = {}): Harness {
  const clock = options.clock ?? new FakeClock();
  let config = baseConfig(options.config);
  // The route options name-server.ts derives from the config, unless a test sets its own.
  const routes = new RouteInfoManager(
    { clock },
    {
      javaLine: config.compatibilityLine,
      notifyMinBrokerIdChanged: config.notifyMinBrokerIdChanged,
      supportActingMaster: config.supportActingMaster,
      deleteTopicWithBrokerRegistration: config.deleteTopicWithBrokerRegistration,
      ...options.routeOptions,
    },
  );
  const kv = new KVConfigManager(
    options.kvPersist === undefined ? {} : { persist: options.kvPersist },
  );
  const persisted: string[] = [];
  const metrics: MetricCall[] = [];
  const replies: Harness['replies'] = [];
  const dispatcher = createDispatcher({
    routeWatch: options.deferredReplies === true,
    routeInfoManager: routes,
    kvConfigManager: kv,
    config: {
      get: () => config,
      set: (next) => {
        config = next;
      },
    },
    persistConfig: (next) => {
      if (options.failPersist === true) throw new Error('disk full');
      persisted.push(renderConfigFile(next));
    },
    ...(options.withoutMetrics === true
      ? {}
      : {
          metrics: {
            observeRequest: (requestCode: number, responseCode: number | null, seconds: number) => {
              metrics.push({ requestCode, responseCode, seconds });
            },
          },
        }),
    logger: createSilentLogger(),
    clock,
    ...(options.notifyBroker === undefined ? {} : { notifyBroker: options.notifyBroker }),
  });
  const dispatch = (
    req: RemotingCommand,
    ctx: Partial<RequestContext> = {},
  ): RemotingCommand | null => {
    const connectionId = ctx.connectionId ?? 1;
    const result = dispatcher.dispatch(req, {
      connectionId,
      remoteAddress: ctx.remoteAddress ?? '127.0.0.1:50000',
    });
    if (options.deferredReplies === true && result instanceof Promise) {
      void result.then((response) => {
        if (response !== null) replies.push({ connectionId, response });
      });
      return null;
    }
    return syncResult(result);
  };
  return {
    dispatcher,
    routes,
    kv,
    clock,
    config: () => config,
    persisted,
    metrics,
    replies,
    dispatch,
    send(code, init = {}) {
      const res = dispatch(request(code, init), { connectionId: init.connectionId ?? 1 });
      if (res === null) throw new Error(`no response to request code ${code}`);
      return res;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Broker registration helpers

export interface TestTopic {
  name: string;
  perm?: number;
  queues?: number;
  topicSysFlag?: number;
}

export interface RegisterInit {
  cluster?: string;
  brokerName?: string;
  brokerAddr?: string;
  haServerAddr?: string;
  brokerId?: number;
  topics?: TestTopic[];
  counter?: number;
  /** null: a DataVersion without a timestamp (Java stamps it with the NameServer's clock). */
  timestamp?: number | null;
  compressed?: boolean;
  version?: number;
  connectionId?: number;
  oneway?: boolean;
  /** Override the computed bodyCrc32 (e.g. "1" to force a mismatch, "0" to skip the check). */
  bodyCrc32?: string;
  extraExt?: Record<string, string>;
  serializeType?: SerializeType;
  /** The body as it is (instead of one made from `topics`, `counter` and `timestamp`). */
  body?: Buffer;
}

export function registerBody(init: RegisterInit): Buffer {
  if (init.body !== undefined) return init.body;
  const table = new Map<string, TopicConfig>();
  for (const t of init.topics ?? []) {
    table.set(t.name, {
      topicName: t.name,
      readQueueNums: t.queues ?? 4,
      writeQueueNums: t.queues ?? 4,
      perm: t.perm ?? 6,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: t.topicSysFlag ?? 0,
      order: false,
    });
  }
  return encodeRegisterBrokerBody(
    {
      topicConfigSerializeWrapper: {
        dataVersion:
          init.timestamp === null
            ? { counter: init.counter ?? 1, timestamp: 0, unstamped: true }
            : { counter: init.counter ?? 1, timestamp: init.timestamp ?? 1_700_000_000_000 },
        topicConfigTable: table,
      },
      filterServerList: [],
    },
    { compressed: init.compressed ?? false, version: init.version ?? 407 },
  );
}

export function registerRequest(init: RegisterInit = {}): RemotingCommand {
  const body = registerBody(init);
  return request(103, {
    ext: {
      brokerId: String(init.brokerId ?? 0),
      bodyCrc32: init.bodyCrc32 ?? String(bodyCrc32(body)),
      clusterName: init.cluster ?? 'DefaultCluster',
      brokerAddr: init.brokerAddr ?? '10.0.0.1:10911',
      haServerAddr: init.haServerAddr ?? '10.0.0.1:10912',
      compressed: String(init.compressed ?? false),
      brokerName: init.brokerName ?? 'broker-a',
      ...init.extraExt,
    },
    body,
    version: init.version ?? 407,
    oneway: init.oneway ?? false,
    serializeType: init.serializeType ?? SerializeType.JSON,
  });
}

export function register(h: Harness, init: RegisterInit = {}): RemotingCommand | null {
  return h.dispatch(registerRequest(init), { connectionId: init.connectionId ?? 1 });
}

export function bodyText(cmd: RemotingCommand | null): string | null {
  return cmd?.body?.toString('utf8') ?? null;
}
