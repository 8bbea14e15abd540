/**
 * Test harness for the handler tests, the replay and the CVE test: a Dispatcher wired to the
 * real RouteInfoManager, KVConfigManager and config functions, a settable clock, and helpers to
 * build requests (no socket involved).
 */
import { createRequest, newExtFields, SerializeType } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { defaultConfig } from '../src/config/index.js';
import type { NamesrvConfig } from '../src/config/index.js';
import { Dispatcher } from '../src/handlers/dispatcher.js';
import type { RequestContext } from '../src/handlers/request-context.js';
import { KVConfigManager } from '../src/kvconfig/index.js';
import { createSilentLogger } from '../src/logging.js';
import { RouteInfoManager } from '../src/route/index.js';

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
  dispatcher: Dispatcher;
  routes: RouteInfoManager;
  kv: KVConfigManager;
  clock: FakeClock;
  config(): NamesrvConfig;
  /** Texts handed to persistConfig, in order. */
  persisted: string[];
  metrics: MetricCall[];
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
  const routes = new RouteInfoManager({ clock });
  const kv = new KVConfigManager();
  let config = baseConfig(options.config);
  const persisted: string[] = [];
  const metrics: MetricCall[] = [];
  const dispatcher = new Dispatcher({
    routeInfoManager: routes,
    kvConfigManager: kv,
    config: {
      get: () => config,
      set: (next) => {
        config = next;
      },
    },
    persistConfig: (text) => {
      if (options.failPersist === true) throw new Error('disk full');
      persisted.push(text);
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
  });
  const dispatch = (req: RemotingCommand, ctx: Partial<RequestContext> = {}) =>
    dispatcher.dispatch(req, {
      connectionId: ctx.connectionId ?? 1,
      remoteAddress: ctx.remoteAddress ?? '127.0.0.1:50000',
    });
  return {
    dispatcher,
    routes,
    kv,
    clock,
    config: () => config,
    persisted,
    metrics,
    dispatch,
    send(code, init = {}) {
      const res = dispatch(request(code, init), { connectionId: init.connectionId ?? 1 });
      if (res === null) throw new Error(`no response to request code ${code}`);
      return res;
    },
  };
}
