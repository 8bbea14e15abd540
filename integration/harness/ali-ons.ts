/**
 * ali-ons 3.12.0 (a pure-JS RocketMQ client, not ours) driven at its route-lookup layer.
 * `MQClientAPI` is what its producers and consumers use to talk to name servers: it takes either
 * a fixed `nameSrv` list or an `onsAddr` URL it GETs for the list (its own TopAddressing), picks a
 * node round-robin per request and retries the next one on error. No message-storing broker runs
 * in this suite, so the producer/consumer layers above it are not started.
 *
 * ali-ons ships CommonJS without types; the interface below is only what the tests call.
 */
import { createRequire } from 'node:module';
import type { TestScope } from './scope.js';

/** Route as ali-ons returns it: its JSON2 parse of the body, lists sorted by name. */
export interface AliOnsRoute {
  queueDatas: {
    brokerName: string;
    readQueueNums: number;
    writeQueueNums: number;
    perm: number;
    topicSysFlag: number;
  }[];
  brokerDatas: { cluster: string; brokerName: string; brokerAddrs: Record<string, string> }[];
  orderTopicConf?: string;
}

export interface AliOnsClientApi {
  ready(): Promise<void>;
  close(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
  getDefaultTopicRouteInfoFromNameServer(topic: string, timeoutMs: number): Promise<AliOnsRoute>;
  getTopicRouteInfoFromNameServer(topic: string, timeoutMs: number): Promise<AliOnsRoute>;
  updateNameServerAddressList(): Promise<void>;
  readonly _namesrvAddrList: string[];
}

/** ali-ons' `httpclient` contract (urllib-shaped): request(url, {timeout}) → {status, data}. */
interface AliOnsHttpClient {
  request(url: string, options: { timeout: number }): Promise<{ status: number; data: Buffer }>;
}

type MQClientAPIConstructor = new (options: Record<string, unknown>) => AliOnsClientApi;

const require = createRequire(import.meta.url);

/**
 * The http client ali-ons expects, over Node's fetch; records every URL it is asked for.
 * ali-ons re-fetches the list whenever a connection closes, including during its own close(),
 * and does not catch a failure of that fetch (an unhandled rejection). Once the test closes the
 * client, requests are therefore left pending forever instead of failing against an address
 * service that cleanup has stopped.
 */
function fetchHttpClient(requested: string[], isClosed: () => boolean): AliOnsHttpClient {
  return {
    async request(url, options) {
      if (isClosed()) return new Promise<never>(() => {});
      requested.push(url);
      const res = await fetch(url, { signal: AbortSignal.timeout(options.timeout) });
      return { status: res.status, data: Buffer.from(await res.arrayBuffer()) };
    },
  };
}

export interface AliOnsHandle {
  readonly api: AliOnsClientApi;
  /** URLs fetched through the http client (address service lookups). */
  readonly requestedUrls: readonly string[];
  /** Warnings and errors ali-ons logged (kept in the test notes too). */
  readonly logged: readonly string[];
}

export async function startAliOns(
  scope: TestScope,
  options:
    | { readonly nameSrv: readonly string[] }
    | { readonly onsAddr: string; readonly unitName?: string },
): Promise<AliOnsHandle> {
  const MQClientAPI = require('ali-ons/lib/mq_client_api.js') as MQClientAPIConstructor;
  const requestedUrls: string[] = [];
  let closed = false;
  const logged: string[] = [];
  const record =
    (level: string) =>
    (...args: unknown[]): void => {
      const line = `[ali-ons ${level}] ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')}`;
      logged.push(line);
      scope.note(line);
    };
  const api = new MQClientAPI({
    ...('nameSrv' in options ? { nameSrv: [...options.nameSrv] } : options),
    httpclient: fetchHttpClient(requestedUrls, () => closed),
    logger: { info: () => {}, debug: () => {}, warn: record('warn'), error: record('error') },
    responseTimeout: 3_000,
  });
  api.on('error', record('error event'));
  scope.defer('close ali-ons client', async () => {
    closed = true;
    await api.close();
  });
  await api.ready();
  return { api, requestedUrls, logged };
}
