/**
 * `nsadmin watchTopicRoute -t T [-t T2 …] [--json]`: prints the current route of each topic, then
 * one line per change, until interrupted (SIGINT/SIGTERM: exit 0), like `kubectl get -w`.
 *
 * Built on NameServerClient's route watch: on a nameserver-ts node changes are printed within
 * milliseconds; on a node without the watch (Java) the routes are polled every `--interval` ms.
 *
 * Output, one line per event on stdout:
 * - text: `<time> <topic> <event> <node> brokers=<name>[<id>=<addr>,…];… queues=<name>:r<n>/w<n>/<perm>;…`
 *   where event is `current` (first report), `changed` or `gone` (no route on the node);
 * - `--json`: `{"time":…,"topic":…,"event":…,"node":…,"route":{…}}` (no `route` when gone).
 * Route watch state changes and refresh failures go to stderr, prefixed `nsadmin: watchTopicRoute:`.
 * Exits 1 when no topic could be looked up at all (unreachable node).
 */
import type { TopicRouteData } from '@ns/protocol';
import { isTopicNotExist } from '../topic-not-exist-error.js';
import { toJsonValue } from './format.js';
import type { Verb, VerbContext } from './verb.js';
import { describeError, oneLine, printable, VerbFailure } from './verb.js';

type RouteEvent = 'current' | 'changed' | 'gone';

function permText(perm: number): string {
  return `${perm & 4 ? 'R' : '-'}${perm & 2 ? 'W' : '-'}${perm & 1 ? 'X' : '-'}`;
}

/** One line: brokers (ids and addresses) and queues, sorted by broker name. */
export function routeSummary(route: TopicRouteData): string {
  const byName = <T extends { brokerName: string }>(list: readonly T[]): T[] =>
    [...list].sort((a, b) =>
      a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0,
    );
  const brokers = byName(route.brokerDatas).map((b) => {
    const addrs = [...b.brokerAddrs.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([id, addr]) => `${id}=${addr}`);
    return `${b.brokerName}[${addrs.join(',')}]`;
  });
  const queues = byName(route.queueDatas).map(
    (q) => `${q.brokerName}:r${q.readQueueNums}/w${q.writeQueueNums}/${permText(q.perm)}`,
  );
  const order = route.orderTopicConf === undefined ? '' : ` orderTopicConf=${route.orderTopicConf}`;
  return `brokers=${brokers.join(';') || '-'} queues=${queues.join(';') || '-'}${order}`;
}

export const watchTopicRouteVerb: Verb = {
  name: 'watchTopicRoute',
  summary:
    'Print the route of topics, then one line per change, until interrupted (route watch where the node has it, else polling)',
  options: {
    topic: { type: 'string', short: 't', multiple: true, description: 'topic name (repeatable)' },
    interval: {
      type: 'string',
      description: 'poll period in ms where the node has no route watch (default 5000)',
    },
  },
  required: ['topic'],
  untilInterrupted: () => true,
  async run(ctx: VerbContext): Promise<void> {
    const raw = ctx.values.topic;
    const topics = [...new Set(Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [])];
    const client = ctx.admin.client;
    const reported = new Set<string>();
    const print = (topic: string, event: RouteEvent, route: TopicRouteData | undefined): void => {
      const time = new Date().toISOString();
      const node = client.routeWatchState.addr ?? client.chosenAddress ?? '-';
      if (ctx.json) {
        const line: Record<string, unknown> = { time, topic, event, node };
        if (route !== undefined && event !== 'gone') line['route'] = toJsonValue(route);
        ctx.out(JSON.stringify(line) + '\n');
      } else {
        const what = event === 'gone' || route === undefined ? '' : ` ${routeSummary(route)}`;
        ctx.out(`${printable(`${time} ${topic} ${event} ${node}${what}`)}\n`);
      }
    };

    let failInitial: ((err: VerbFailure) => void) | undefined;
    let initialDone: (() => void) | undefined;
    const initial = new Promise<void>((resolve, reject) => {
      initialDone = resolve;
      failInitial = reject;
    });
    // Handled here too: when interrupted first, nobody awaits it any more.
    initial.catch(() => undefined);
    const failedInitially = new Map<string, string>();
    const settleInitial = (): void => {
      if (reported.size === topics.length) initialDone?.();
      else if (reported.size + failedInitially.size === topics.length && reported.size === 0) {
        failInitial?.(
          new VerbFailure(
            `no route could be looked up: ${[...failedInitially].map(([t, why]) => `${t}: ${why}`).join('; ')}`,
          ),
        );
      }
    };

    client.on('routeChanged', (topic, route) => {
      if (!topics.includes(topic)) return;
      print(topic, reported.has(topic) ? 'changed' : 'current', route);
      reported.add(topic);
      settleInitial();
    });
    client.on('routeGone', (topic, previous) => {
      if (!topics.includes(topic)) return;
      print(topic, 'gone', previous);
      reported.add(topic);
      settleInitial();
    });
    client.on('routeRefreshFailed', (topic, err) => {
      if (isTopicNotExist(err)) return; // reported as gone
      const why = err instanceof Error ? describeError(err) : String(err);
      if (!reported.has(topic)) {
        failedInitially.set(topic, why);
        settleInitial();
      }
      ctx.err(`nsadmin: watchTopicRoute: ${printable(`${topic}: ${oneLine(why)}`)}\n`);
    });
    client.on('routeWatchStateChanged', (state) => {
      const where = state.addr === undefined ? '' : ` ${state.addr}`;
      const why = state.reason === undefined ? '' : ` (${printable(oneLine(state.reason))})`;
      ctx.err(`nsadmin: watchTopicRoute: ${state.mode}${where}${why}\n`);
    });

    const stopped = new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    // The client's timers are unref'd (a library must not hold its user's process open): once the
    // watched node's connection closes and no other is open, nothing kept this process alive and
    // it exited 0 mid-watch. Hold it open until interrupted.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      client.watch(topics);
      // Fails only when nothing at all could be looked up; later failures are reported and retried.
      await Promise.race([initial, stopped]);
      await stopped;
    } finally {
      clearInterval(keepAlive);
    }
  },
};
