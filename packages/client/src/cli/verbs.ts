/**
 * The nsadmin verbs: mqadmin's name-server-facing sub-commands with the same names and options.
 * Only the name server side of each is done; mqadmin verbs that also talk to brokers (deleteTopic,
 * clusterList's statistics, topicList -c's consumer groups) do their name server part here.
 */
import type { ClusterInfo, TopicRouteData } from '@ns/protocol';
import type { NodeResult } from '../admin/node-result.js';
import { fanOut } from '../admin/node-result.js';
import { checkNodesVerb } from './check-nodes.js';
import { MAX_TIMER_MS } from '../timer-limit.js';
import { formatJson, renderTable, toJsonValue } from './format.js';
import type { OptionSpec, OptionValues, Verb, VerbContext } from './verb.js';
import { describeError, printable, sleepUnlessAborted, VerbFailure } from './verb.js';
import { watchTopicRouteVerb } from './watch-topic-route.js';

export type { OptionSpec, OptionValues, Verb, VerbContext } from './verb.js';
export { describeError, Interrupted, oneLine, printable, VerbFailure } from './verb.js';

export interface StandaloneContext {
  /** `-n` or NAMESRV_ADDR, unparsed: the verb reads it its own way. */
  readonly namesrvAddr: string;
  /** Where namesrvAddr came from, for messages: `-n (--namesrvAddr)` or the variable. */
  readonly namesrvAddrSource: string;
  readonly values: OptionValues;
  readonly json: boolean;
  readonly timeoutMs: number | undefined;
  readonly out: (text: string) => void;
  /** The one-line reason of a non-zero exit, printed on stderr as `nsadmin: <verb>: <why>`. */
  readonly fail: (why: string) => void;
}

/** A verb that does not use the remoting admin client and picks its own exit code. */
export interface StandaloneVerb {
  readonly name: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly required: readonly string[];
  readonly standalone: true;
  /** Returns the exit code; throws VerbFailure for usage errors. */
  run(ctx: StandaloneContext): Promise<number>;
}

const topicOption: OptionSpec = { type: 'string', short: 't', description: 'topic name' };

function str(values: OptionValues, name: string): string {
  const v = values[name];
  // main() checks required options before run(); this guards programming errors only.
  if (typeof v !== 'string') throw new VerbFailure(`missing option --${name}`);
  return v;
}

/**
 * The one-line reason of a fan-out that failed on some nodes: each failed node with why (stdout
 * has the per-node lines, as mqadmin prints `… Failed` there; the reason goes to stderr).
 */
function failedOnNodes(
  verb: string,
  failed: readonly { addr: string; error: Error }[],
  total: number,
): VerbFailure {
  return new VerbFailure(
    `${verb} failed on ${failed.length} of ${total} name server(s): ${failed
      .map((r) => `${r.addr} (${describeError(r.error)})`)
      .join('; ')}`,
  );
}

function failedOf<T>(results: readonly NodeResult<T>[]): { addr: string; error: Error }[] {
  return results.flatMap((r) => (r.ok ? [] : [{ addr: r.addr, error: r.error }]));
}

/** Prints per-node results and fails when any node failed. */
function reportNodes<T>(
  ctx: VerbContext,
  results: readonly NodeResult<T>[],
  what: string,
  okLine: (r: { addr: string; value: T }) => string,
): void {
  if (ctx.json) {
    ctx.out(
      formatJson(
        results.map((r) =>
          r.ok
            ? { addr: r.addr, ok: true, value: r.value ?? null }
            : { addr: r.addr, ok: false, error: describeError(r.error) },
        ),
      ),
    );
  } else {
    for (const r of results) {
      ctx.out(
        printable(r.ok ? okLine(r) : `${what} FAILED on ${r.addr}: ${describeError(r.error)}`) +
          '\n',
      );
    }
  }
  const failed = failedOf(results);
  if (failed.length > 0) throw failedOnNodes(what, failed, results.length);
}

/** Reads from every node in parallel: KV items are per node, so one node's answer proves little. */
async function readEveryNode<T>(
  ctx: VerbContext,
  read: (addr: string) => Promise<T | undefined>,
): Promise<NodeResult<T | undefined>[]> {
  return fanOut(await ctx.admin.addresses(), read);
}

/**
 * Prints --json results (`value: null` where the node does not have the item) and fails unless
 * every node answered and has the item.
 */
function requireFoundEverywhere<T>(
  ctx: VerbContext,
  results: readonly NodeResult<T | undefined>[],
  verb: string,
  what: string,
): void {
  if (ctx.json) {
    ctx.out(
      formatJson(
        results.map((r) =>
          r.ok
            ? { addr: r.addr, ok: true, value: r.value ?? null }
            : { addr: r.addr, ok: false, error: describeError(r.error) },
        ),
      ),
    );
  }
  const failed = failedOf(results);
  if (failed.length > 0) throw failedOnNodes(verb, failed, results.length);
  const missing = results.filter((r) => r.ok && r.value === undefined);
  if (missing.length > 0) {
    throw new VerbFailure(
      `no ${what} on ${missing.length} of ${results.length} name server(s): ${missing
        .map((r) => r.addr)
        .join(', ')}`,
    );
  }
}

function clusterRows(info: ClusterInfo): string[][] {
  const rows: string[][] = [];
  for (const cluster of [...info.clusterAddrTable.keys()].sort()) {
    for (const brokerName of [...(info.clusterAddrTable.get(cluster) ?? [])].sort()) {
      const broker = info.brokerAddrTable.get(brokerName);
      const addrs = broker === undefined ? [] : [...broker.brokerAddrs.entries()];
      addrs.sort((a, b) => a[0] - b[0]);
      if (addrs.length === 0) rows.push([cluster, brokerName, '-', '-']);
      for (const [id, addr] of addrs) rows.push([cluster, brokerName, String(id), addr]);
    }
  }
  return rows;
}

function routeTables(route: TopicRouteData): string {
  const brokers = [...route.brokerDatas]
    .sort((a, b) => a.brokerName.localeCompare(b.brokerName))
    .flatMap((bd) =>
      [...bd.brokerAddrs.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([id, addr]) => [bd.brokerName, bd.cluster, String(id), addr]),
    );
  const queues = [...route.queueDatas]
    .sort((a, b) => a.brokerName.localeCompare(b.brokerName))
    .map((q) => [
      q.brokerName,
      String(q.readQueueNums),
      String(q.writeQueueNums),
      permText(q.perm),
      String(q.topicSysFlag),
    ]);
  let out = renderTable(['Broker Name', 'Cluster', 'BID', 'Addr'], brokers);
  out += '\n' + renderTable(['Broker Name', 'Read', 'Write', 'Perm', 'SysFlag'], queues);
  if (route.orderTopicConf !== undefined) {
    out += `\norderTopicConf: ${printable(route.orderTopicConf)}\n`;
  }
  return out;
}

/** mqadmin's PermName#perm2String: R, W, X (inherit) or '-'. */
function permText(perm: number): string {
  return `${perm & 4 ? 'R' : '-'}${perm & 2 ? 'W' : '-'}${perm & 1 ? 'X' : '-'} (${perm})`;
}

/** clusterList -i: seconds (as mqadmin) to ms, or the usage error. */
function clusterListIntervalMs(value: OptionValues[string]): { ms?: number; error?: string } {
  if (typeof value !== 'string') return {};
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds * 1000 > MAX_TIMER_MS) {
    return {
      error: `-i (--interval): expected a whole number of seconds 1..${Math.floor(MAX_TIMER_MS / 1000)}, got '${value}'`,
    };
  }
  return { ms: seconds * 1000 };
}

/** `promise`'s value, or undefined once `signal` is aborted first (the verb then stops). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return undefined;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    promise.catch(() => undefined);
  }
}

const REMOTING_VERBS: readonly Verb[] = [
  {
    name: 'clusterList',
    summary:
      'List clusters, broker groups and broker addresses (name server view; no broker stats)',
    options: {
      clusterName: { type: 'string', short: 'c', description: 'only this cluster (mqadmin 5.x)' },
      interval: {
        type: 'string',
        short: 'i',
        description: 'list again every N seconds until interrupted (--json: one line each)',
      },
      moreStats: {
        type: 'boolean',
        short: 'm',
        description: "mqadmin's traffic statistics: not here (they come from the brokers)",
      },
    },
    required: [],
    untilInterrupted: (values) => values.interval !== undefined,
    validate(values) {
      if (values.moreStats === true) {
        return "-m (--moreStats): the statistics come from the brokers, and nsadmin only asks name servers (use mqadmin's clusterList -m)";
      }
      return clusterListIntervalMs(values.interval).error;
    },
    async run(ctx) {
      const { ms } = clusterListIntervalMs(ctx.values.interval);
      // As mqadmin: the list at once, then again every -i seconds (until interrupted).
      for (let i = 0; ; i++) {
        if (i > 0 && (ms === undefined || !(await sleepUnlessAborted(ms, ctx.signal)))) return;
        const info = await untilAborted(ctx.admin.getBrokerClusterInfo(), ctx.signal);
        if (info === undefined) return;
        const only = ctx.values.clusterName;
        if (typeof only === 'string') {
          for (const cluster of [...info.clusterAddrTable.keys()]) {
            if (cluster !== only) info.clusterAddrTable.delete(cluster);
          }
          const kept = new Set(info.clusterAddrTable.get(only) ?? []);
          for (const brokerName of [...info.brokerAddrTable.keys()]) {
            if (!kept.has(brokerName)) info.brokerAddrTable.delete(brokerName);
          }
        }
        if (ctx.json) {
          ctx.out(ms === undefined ? formatJson(info) : JSON.stringify(toJsonValue(info)) + '\n');
        } else {
          ctx.out(renderTable(['Cluster Name', 'Broker Name', 'BID', 'Addr'], clusterRows(info)));
        }
      }
    },
  },
  {
    name: 'topicList',
    summary: 'List all topics; -c adds the cluster of each topic (consumer groups need brokers)',
    options: {
      clusterModel: { type: 'boolean', short: 'c', description: 'show the cluster of each topic' },
    },
    required: [],
    async run(ctx) {
      if (ctx.values.clusterModel !== true) {
        const list = await ctx.admin.getAllTopicList();
        if (ctx.json) ctx.out(formatJson(list.topicList));
        else ctx.out(list.topicList.map((t) => `${printable(t)}\n`).join(''));
        return;
      }
      const info = await ctx.admin.getBrokerClusterInfo();
      const rows: string[][] = [];
      // As mqadmin: no retry or dead-letter topics, and each topic once (mqadmin takes the
      // cluster of the first broker of its route; here the first cluster, by name, that has it).
      const listed = new Set<string>();
      for (const cluster of [...info.clusterAddrTable.keys()].sort()) {
        const topics = await ctx.admin.getTopicsByCluster(cluster);
        for (const topic of [...topics.topicList].sort()) {
          if (topic.startsWith('%RETRY%') || topic.startsWith('%DLQ%') || listed.has(topic)) {
            continue;
          }
          listed.add(topic);
          rows.push([cluster, topic]);
        }
      }
      if (ctx.json) ctx.out(formatJson(rows.map(([cluster, topic]) => ({ cluster, topic }))));
      else ctx.out(renderTable(['Cluster Name', 'Topic'], rows));
    },
  },
  {
    name: 'topicRoute',
    summary: 'Show the route of a topic (brokers and queues)',
    options: {
      topic: topicOption,
      // Accepted for mqadmin's scripts; the tables are a list already (--json for JSON).
      list: { type: 'boolean', short: 'l', description: 'list format (the default here)' },
    },
    required: ['topic'],
    async run(ctx) {
      const route = await ctx.admin.getTopicRouteData(str(ctx.values, 'topic'));
      ctx.out(ctx.json ? formatJson(route) : routeTables(route));
    },
  },
  {
    name: 'topicClusterList',
    summary: 'List the clusters a topic is on',
    options: { topic: topicOption },
    required: ['topic'],
    async run(ctx) {
      const route = await ctx.admin.getTopicRouteData(str(ctx.values, 'topic'));
      const clusters = [...new Set(route.brokerDatas.map((bd) => bd.cluster))].sort();
      ctx.out(ctx.json ? formatJson(clusters) : clusters.map((c) => `${printable(c)}\n`).join(''));
    },
  },
  {
    name: 'updateKvConfig',
    summary: 'Create or update a KV config item on every name server',
    options: {
      namespace: { type: 'string', short: 's', description: 'namespace' },
      key: { type: 'string', short: 'k', description: 'key' },
      value: { type: 'string', short: 'v', description: 'value' },
    },
    required: ['namespace', 'key', 'value'],
    async run(ctx) {
      const results = await ctx.admin.putKVConfig(
        str(ctx.values, 'namespace'),
        str(ctx.values, 'key'),
        str(ctx.values, 'value'),
      );
      reportNodes(
        ctx,
        results,
        'updateKvConfig',
        ({ addr }) => `create or update kv config to namespace success. [${addr}]`,
      );
    },
  },
  {
    name: 'deleteKvConfig',
    summary: 'Delete a KV config item on every name server',
    options: {
      namespace: { type: 'string', short: 's', description: 'namespace' },
      key: { type: 'string', short: 'k', description: 'key' },
    },
    required: ['namespace', 'key'],
    async run(ctx) {
      const results = await ctx.admin.deleteKVConfig(
        str(ctx.values, 'namespace'),
        str(ctx.values, 'key'),
      );
      reportNodes(
        ctx,
        results,
        'deleteKvConfig',
        ({ addr }) => `delete kv config from namespace success. [${addr}]`,
      );
    },
  },
  {
    name: 'getKvConfig',
    summary: 'Show a KV config item as each name server holds it (KV is not replicated)',
    options: {
      namespace: { type: 'string', short: 's', description: 'namespace' },
      key: { type: 'string', short: 'k', description: 'key' },
    },
    required: ['namespace', 'key'],
    async run(ctx) {
      const namespace = str(ctx.values, 'namespace');
      const key = str(ctx.values, 'key');
      const results = await readEveryNode(ctx, (addr) =>
        ctx.admin.getKVConfig(namespace, key, { addr }),
      );
      if (!ctx.json) {
        const rows = results.map((r) => [
          r.addr,
          r.ok ? (r.value ?? '(not found)') : `FAILED: ${describeError(r.error)}`,
        ]);
        ctx.out(renderTable(['Name Server', 'Value'], rows));
      }
      requireFoundEverywhere(
        ctx,
        results,
        'getKvConfig',
        `key '${key}' in namespace '${namespace}'`,
      );
    },
  },
  {
    name: 'getKvList',
    summary: 'Show every KV config item of a namespace as each name server holds it',
    options: { namespace: { type: 'string', short: 's', description: 'namespace' } },
    required: ['namespace'],
    async run(ctx) {
      const namespace = str(ctx.values, 'namespace');
      const results = await readEveryNode(ctx, (addr) =>
        ctx.admin.getKVListByNamespace(namespace, { addr }),
      );
      if (!ctx.json) {
        const rows = results.flatMap((r): string[][] => {
          if (!r.ok) return [[r.addr, '-', `FAILED: ${describeError(r.error)}`]];
          if (r.value === undefined) return [[r.addr, '-', '(namespace not found)']];
          return [...r.value.keys()].sort().map((k) => [r.addr, k, r.value?.get(k) ?? '']);
        });
        ctx.out(renderTable(['Name Server', 'Key', 'Value'], rows));
      }
      requireFoundEverywhere(ctx, results, 'getKvList', `namespace '${namespace}'`);
    },
  },
  {
    name: 'getNamesrvConfig',
    summary: 'Show the configuration of every name server',
    options: {},
    required: [],
    async run(ctx) {
      const results = await ctx.admin.getNamesrvConfig();
      if (ctx.json) {
        reportNodes(ctx, results, 'getNamesrvConfig', () => '');
        return;
      }
      for (const r of results) {
        ctx.out(`============${r.addr}============\n`);
        if (!r.ok) {
          ctx.out(`FAILED: ${printable(describeError(r.error))}\n`);
          continue;
        }
        const width = Math.max(0, ...[...r.value.keys()].map((k) => printable(k).length));
        for (const key of [...r.value.keys()].sort()) {
          ctx.out(`${printable(key).padEnd(width)}  =  ${printable(r.value.get(key) ?? '')}\n`);
        }
      }
      const failed = failedOf(results);
      if (failed.length > 0) throw failedOnNodes('getNamesrvConfig', failed, results.length);
    },
  },
  {
    name: 'updateNamesrvConfig',
    summary: 'Update one configuration key on every name server',
    options: {
      key: { type: 'string', short: 'k', description: 'config key' },
      value: { type: 'string', short: 'v', description: 'config value' },
    },
    required: ['key', 'value'],
    async run(ctx) {
      const key = str(ctx.values, 'key');
      const value = str(ctx.values, 'value');
      const results = await ctx.admin.updateNamesrvConfig(new Map([[key, value]]));
      reportNodes(
        ctx,
        results,
        'updateNamesrvConfig',
        ({ addr }) => `update name server config success![${addr}] ${key} : ${value}`,
      );
    },
  },
  {
    name: 'wipeWritePerm',
    summary: "Wipe a broker's write permission on every name server",
    options: { brokerName: { type: 'string', short: 'b', description: 'broker name' } },
    required: ['brokerName'],
    async run(ctx) {
      const broker = str(ctx.values, 'brokerName');
      const results = await ctx.admin.wipeWritePermOfBroker(broker);
      reportNodes(
        ctx,
        results,
        'wipeWritePerm',
        ({ addr, value }) =>
          `wipe write perm of broker[${broker}] in name server[${addr}] OK, ${value}`,
      );
    },
  },
  {
    name: 'addWritePerm',
    summary: "Add back a broker's write permission on every name server",
    options: { brokerName: { type: 'string', short: 'b', description: 'broker name' } },
    required: ['brokerName'],
    async run(ctx) {
      const broker = str(ctx.values, 'brokerName');
      const results = await ctx.admin.addWritePermOfBroker(broker);
      reportNodes(
        ctx,
        results,
        'addWritePerm',
        ({ addr, value }) =>
          `add write perm of broker[${broker}] in name server[${addr}] OK, ${value}`,
      );
    },
  },
  {
    name: 'deleteTopic',
    summary:
      'Delete a topic from every name server (name server side only: the brokers keep the topic and may register it again)',
    options: {
      topic: topicOption,
      clusterName: { type: 'string', short: 'c', description: 'only this cluster' },
    },
    required: ['topic'],
    async run(ctx) {
      const topic = str(ctx.values, 'topic');
      const cluster = ctx.values.clusterName;
      const results = await ctx.admin.deleteTopicInNamesrv(
        topic,
        typeof cluster === 'string' ? { clusterName: cluster } : {},
      );
      reportNodes(
        ctx,
        results,
        'deleteTopic',
        ({ addr }) =>
          `delete topic [${topic}]${typeof cluster === 'string' ? ` of cluster [${cluster}]` : ''} from NameServer [${addr}] success.`,
      );
    },
  },
  watchTopicRouteVerb,
];

export const VERBS: readonly (Verb | StandaloneVerb)[] = [...REMOTING_VERBS, checkNodesVerb];
