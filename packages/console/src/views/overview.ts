/**
 * Clusters, broker groups and live brokers, refreshed every second (a broker whose connection
 * dies leaves the node's table at once, and leaves this page within a poll).
 */
import { getJson } from '../api.js';
import type { DigestBrokerGroup, LiveBroker, RouteDigest } from '../api-types.js';
import { drawError, guard, h, replace, table } from '../dom.js';
import type { Child } from '../dom.js';
import { formatAge, formatNumber, formatTime, plural, versionName } from '../format.js';
import { liveStatus } from '../live-status.js';
import { poll } from '../poll.js';
import type { View } from './view.js';

export const REFRESH_MS = 1000;

function stat(label: string, value: string, id: string): HTMLElement {
  return h(
    'div',
    { class: 'card stat', 'data-stat': id },
    h('div', { class: 'stat-value' }, value),
    h('div', { class: 'stat-label' }, label),
  );
}

function ageCell(b: LiveBroker): HTMLElement {
  const timeout = b.heartbeatTimeoutMillis;
  // Brokers register every 30 s; past a third of the timeout without news is worth a look.
  const late = timeout !== null && b.lastUpdateAgeMillis > timeout / 3;
  return h(
    'span',
    {
      class: late ? 'badge warn' : 'badge ok',
      title: `last registration or heartbeat ${formatTime(b.lastUpdateTimestamp)}`,
    },
    `${formatAge(b.lastUpdateAgeMillis)} ago`,
  );
}

/** Brokers are grouped by cluster and broker name: a group may be registered under two clusters. */
const groupKey = (clusterName: string, brokerName: string): string =>
  JSON.stringify([clusterName, brokerName]);

function brokerRow(b: LiveBroker): Child[] {
  return [
    h(
      'span',
      { class: b.brokerId === 0 ? 'badge master' : 'badge' },
      b.brokerId === 0 ? '0 master' : `${b.brokerId} slave`,
    ),
    h('span', { class: 'mono', 'data-broker-addr': b.brokerAddr }, b.brokerAddr),
    ageCell(b),
    versionName(b.brokerVersion),
    b.dataVersion === null
      ? '-'
      : h(
          'span',
          {
            class: 'nowrap',
            title: `counter ${b.dataVersion.counter}, changed ${formatTime(b.dataVersion.timestamp)}`,
          },
          `${b.dataVersion.counter} · ${formatTime(b.dataVersion.timestamp)}`,
        ),
    h('span', { class: 'mono' }, b.haServerAddr ?? '-'),
  ];
}

function groupCard(
  clusterName: string,
  name: string,
  group: DigestBrokerGroup | undefined,
  members: LiveBroker[],
): HTMLElement {
  members.sort((a, b) => a.brokerId - b.brokerId);
  return h(
    'div',
    { class: 'group', 'data-broker-name': name },
    h(
      'h3',
      null,
      name,
      h(
        'small',
        null,
        group === undefined
          ? ''
          : `${plural(group.topicCount, 'topic')} · topics hash ${group.topicsHash}${
              group.cluster === clusterName ? '' : ` · group registered in cluster ${group.cluster}`
            }`,
      ),
    ),
    table(
      ['id', 'address', 'last heard', 'version', 'DataVersion', 'HA address'],
      // Each row on its own: one broker's odd values must not blank the page for every broker.
      members.map((b) =>
        guard(
          () => brokerRow(b),
          (message) => [drawError(`broker ${b.brokerAddr}`, message)],
        ),
      ),
      { class: 'brokers' },
    ),
  );
}

function render(el: HTMLElement, digest: RouteDigest, brokers: readonly LiveBroker[]): void {
  const byGroup = new Map<string, LiveBroker[]>();
  for (const b of brokers) {
    const key = groupKey(b.clusterName, b.brokerName);
    const list = byGroup.get(key) ?? [];
    list.push(b);
    byGroup.set(key, list);
  }
  const groups = new Map(digest.brokerGroups.map((g) => [g.brokerName, g]));
  const stats = h(
    'div',
    { class: 'stats' },
    stat('clusters', formatNumber(digest.clusters.length), 'clusters'),
    stat('broker groups', formatNumber(digest.brokerGroups.length), 'groups'),
    stat('live brokers', formatNumber(brokers.length), 'brokers'),
    stat('topics', formatNumber(digest.topicCount), 'topics'),
    stat('route digest', digest.digest, 'digest'),
  );
  if (digest.clusters.length === 0 && brokers.length === 0) {
    replace(el, stats, h('p', { class: 'empty' }, 'No broker is registered with this node.'));
    return;
  }
  const sections = digest.clusters.map((c) =>
    h(
      'section',
      { class: 'card', 'data-cluster': c.clusterName },
      h(
        'h2',
        null,
        `Cluster ${c.clusterName}`,
        h('small', null, plural(c.brokerNames.length, 'broker group')),
      ),
      ...c.brokerNames.map((name) =>
        guard(
          () =>
            groupCard(
              c.clusterName,
              name,
              groups.get(name),
              byGroup.get(groupKey(c.clusterName, name)) ?? [],
            ),
          (message) =>
            h(
              'div',
              { class: 'group', 'data-broker-name': name },
              h('h3', null, name),
              drawError('cannot show this broker group', message),
            ),
        ),
      ),
    ),
  );
  replace(el, stats, ...sections);
}

export const overviewView: View = (root) => {
  const body = h('div', { id: 'overview' }, h('p', { class: 'muted' }, 'Loading…'));
  const statusLine = h('p', { class: 'status', id: 'live-status' });
  const status = liveStatus(statusLine);
  replace(root, h('h1', null, 'Brokers'), statusLine, body);
  return poll(async (signal) => {
    try {
      const [digest, live] = await Promise.all([
        getJson<RouteDigest>('/digest', signal),
        getJson<{ brokers: LiveBroker[] }>('/brokers', signal),
      ]);
      render(body, digest, live.brokers);
      status.ok(
        `Live · refreshed every ${REFRESH_MS / 1000} s · ${new Date().toLocaleTimeString()}`,
      );
    } catch (err) {
      if (!signal.aborted) status.failed(err);
    }
  }, REFRESH_MS);
};
