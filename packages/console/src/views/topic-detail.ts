/** One topic: its route as a client gets it (queues, perms, broker addresses) and order config. */
import { errorText, getJson } from '../api.js';
import type { TopicDetail } from '../api-types.js';
import { h, replace, table } from '../dom.js';
import { permText } from '../format.js';
import type { View } from './view.js';

/**
 * Where the node serves this topic: as a query, not /topics/{topic}, since every browser resolves
 * the path segments `.` and `..` (`%2e` counts as a dot too) before the request leaves, so topics
 * with those names could not be asked for.
 */
function detailPath(topic: string): string {
  return `/topics?name=${encodeURIComponent(topic)}`;
}

/** Whether a body is a topic detail: anything else must not fail half way through drawing. */
function isTopicDetail(d: unknown): d is TopicDetail {
  const route = (d as { route?: unknown } | null)?.route as
    { queueDatas?: unknown; brokerDatas?: unknown } | null | undefined;
  return (
    typeof route === 'object' &&
    route !== null &&
    Array.isArray(route.queueDatas) &&
    Array.isArray(route.brokerDatas)
  );
}

export const topicDetailView: View = (root, { args }) => {
  const topic = args[0] ?? '';
  const controller = new AbortController();
  const body = h('div', { id: 'topic-detail' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(
    root,
    h('p', null, h('a', { href: '#/topics' }, '‹ All topics')),
    h('h1', { class: 'mono' }, topic),
    body,
  );
  const fail = (text: string): void => replace(body, h('p', { class: 'status error' }, text));
  const path = detailPath(topic);
  getJson<unknown>(path, controller.signal).then(
    (d) => {
      if (!isTopicDetail(d)) {
        fail(`${path}: the node's answer is not a topic route.`);
        return;
      }
      const queues = [...d.route.queueDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : 1));
      const brokers = [...d.route.brokerDatas].sort((a, b) =>
        a.brokerName < b.brokerName ? -1 : 1,
      );
      replace(
        body,
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Queues'),
          table(
            ['broker group', 'read queues', 'write queues', 'perm', 'sysFlag'],
            queues.map((q) => [
              q.brokerName,
              q.readQueueNums,
              q.writeQueueNums,
              h('span', { class: 'nowrap' }, permText(q.perm)),
              q.topicSysFlag,
            ]),
            { class: 'queues' },
          ),
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Brokers'),
          table(
            ['broker group', 'cluster', 'id', 'address'],
            brokers.flatMap((b) =>
              Object.entries(b.brokerAddrs)
                .sort((x, y) => Number(x[0]) - Number(y[0]))
                .map(([id, addr]) => [
                  b.brokerName,
                  b.cluster,
                  id === '0' ? '0 (master)' : id,
                  h('span', { class: 'mono' }, addr),
                ]),
            ),
          ),
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Order configuration'),
          d.orderTopicConfHidden !== undefined
            ? h('p', { class: 'muted' }, `Not shown: ${d.orderTopicConfHidden}.`)
            : d.orderTopicConf === null
              ? h('p', { class: 'muted' }, 'None (no ORDER_TOPIC_CONFIG entry for this topic).')
              : h('p', { class: 'mono', id: 'order-conf' }, d.orderTopicConf),
        ),
      );
    },
    (err: unknown) => {
      if (!controller.signal.aborted) fail(errorText(err));
    },
  );
  return () => controller.abort();
};
