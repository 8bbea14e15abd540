/**
 * The cross-node consistency view: this node reads the digest of every node in the list (the
 * browser only talks to this node), compares them, and the page shows them side by side: one
 * column per node, one row per broker group and per live broker, differing rows flagged, and
 * below the differences in words, down to the topics.
 */
import { errorText, getJson } from '../api.js';
import type { ConsistencyResult, DataVersion, Difference, RouteDigest } from '../api-types.js';
import { h, replace } from '../dom.js';
import type { Child } from '../dom.js';
import { formatNumber, formatTime, permText } from '../format.js';
import { poll } from '../poll.js';
import type { View } from './view.js';

export const RECHECK_MS = 2000;
const STORAGE_KEY = 'ns-console.consistencyNodes';

function cell(content: Child, cls = ''): HTMLElement {
  return h('td', cls === '' ? null : { class: cls }, content);
}

function matrix(result: ConsistencyResult): HTMLElement {
  const nodes = result.digests;
  const differing = new Set((result.report?.differences ?? []).map((d) => d.brokerName));
  const names = new Set<string>();
  for (const n of nodes) for (const g of n.digest.brokerGroups) names.add(g.brokerName);
  for (const n of nodes) for (const b of n.digest.brokers) names.add(b.brokerName);
  const head = h(
    'tr',
    null,
    h('th', null, 'broker group'),
    ...nodes.map((n) =>
      h(
        'th',
        { 'data-node': n.node },
        h('div', { class: 'mono' }, n.node),
        h('small', null, `digest ${n.digest.digest}`),
      ),
    ),
  );
  const rows: HTMLElement[] = [];
  for (const name of [...names].sort()) {
    const flagged = differing.has(name);
    rows.push(
      h(
        'tr',
        { class: flagged ? 'group-row differs' : 'group-row', 'data-broker-name': name },
        h('th', { scope: 'row' }, flagged ? '⚠ ' : '', name),
        ...nodes.map((n) => {
          const g = n.digest.brokerGroups.find((x) => x.brokerName === name);
          if (g === undefined) return cell('missing', 'missing');
          return cell(
            h(
              'span',
              null,
              `${g.cluster} · ${formatNumber(g.topicCount)} topics`,
              h('br', null),
              h('small', { class: 'mono' }, `#${g.topicsHash}`),
            ),
          );
        }),
      ),
    );
    const keys = new Map<string, RouteDigest['brokers'][number]>();
    for (const n of nodes)
      for (const b of n.digest.brokers)
        if (b.brokerName === name) keys.set(`${b.clusterName}|${b.brokerAddr}|${b.brokerId}`, b);
    for (const [key, b] of [...keys].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      rows.push(
        h(
          'tr',
          { class: flagged ? 'broker-row differs' : 'broker-row', 'data-broker': key },
          h(
            'th',
            { scope: 'row', class: 'sub' },
            h('span', { class: 'mono' }, b.brokerAddr),
            h('small', null, ` id ${b.brokerId}`),
          ),
          ...nodes.map((n) => {
            const mine = n.digest.brokers.find(
              (x) => `${x.clusterName}|${x.brokerAddr}|${x.brokerId}` === key,
            );
            if (mine === undefined) return cell('missing', 'missing');
            return cell(
              h(
                'small',
                { title: formatTime(mine.dataVersion.timestamp) },
                `DataVersion ${mine.dataVersion.counter}`,
              ),
            );
          }),
        ),
      );
    }
  }
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'matrix', id: 'consistency-matrix' },
      h('thead', null, head),
      h('tbody', null, ...rows),
    ),
  );
}

const dv = (v: DataVersion): string => `${v.counter} @ ${formatTime(v.timestamp)}`;

function describe(d: Difference): Child[] {
  switch (d.kind) {
    case 'brokerName-missing':
      return [
        h('b', null, d.brokerName),
        ` (cluster ${d.cluster}) is missing on `,
        h('b', null, d.missingOn.join(', ')),
        `; present on ${d.presentOn.join(', ')}`,
      ];
    case 'broker-missing':
      return [
        h('b', null, d.brokerName),
        ` broker ${d.brokerAddr} (id ${d.brokerId}) is missing on `,
        h('b', null, d.missingOn.join(', ')),
        `; present on ${d.presentOn.join(', ')}`,
      ];
    case 'cluster-differs':
      return [
        h('b', null, d.brokerName),
        ' belongs to different clusters: ',
        d.values.map((v) => `${v.node}: ${v.cluster}`).join('; '),
      ];
    case 'addresses-differ':
      return [
        h('b', null, d.brokerName),
        ' has different addresses: ',
        d.values
          .map(
            (v) =>
              `${v.node}: ${Object.entries(v.brokerAddrs)
                .map(([id, a]) => `${id}=${a}`)
                .join(', ')}`,
          )
          .join('; '),
      ];
    case 'dataVersion-differs':
      return [
        h('b', null, d.brokerName),
        ` broker ${d.brokerAddr}: DataVersion differs: `,
        d.values.map((v) => `${v.node}: ${dv(v.dataVersion)}`).join('; '),
      ];
    case 'topics-differ': {
      const head: Child[] = [
        h('b', null, d.brokerName),
        ' topics differ: ',
        d.values
          .map((v) => `${v.node}: ${formatNumber(v.topicCount)} topics #${v.topicsHash}`)
          .join('; '),
      ];
      if (d.topics === null) return head;
      const items = d.topics.map((t) =>
        h(
          'li',
          { 'data-topic': t.topic },
          h('span', { class: 'mono' }, t.topic),
          ': ',
          t.values
            .map(
              (v) =>
                `${v.node}: ${v.queue === null ? 'missing' : `${v.queue.readQueueNums}/${v.queue.writeQueueNums} queues, ${permText(v.queue.perm)}`}`,
            )
            .join('; '),
        ),
      );
      if (d.moreTopics > 0) items.push(h('li', null, `… and ${formatNumber(d.moreTopics)} more`));
      return [...head, h('ul', null, ...items)];
    }
  }
}

function render(el: HTMLElement, result: ConsistencyResult): void {
  const report = result.report;
  const banner =
    report === null
      ? h('div', { class: 'banner error', id: 'consistency-verdict' }, 'No node could be read.')
      : report.agree && result.failures.length === 0
        ? h(
            'div',
            { class: 'banner ok', id: 'consistency-verdict' },
            `All ${result.digests.length} nodes agree (digest ${result.digests[0]?.digest.digest ?? '-'}).`,
          )
        : report.agree
          ? h(
              'div',
              { class: 'banner warn', id: 'consistency-verdict' },
              `The ${result.digests.length} readable nodes agree; ${result.failures.length} could not be read.`,
            )
          : h(
              'div',
              { class: 'banner error', id: 'consistency-verdict' },
              `Nodes differ: ${report.differences.length} difference(s).`,
            );
  replace(
    el,
    banner,
    ...result.failures.map((f) =>
      h('p', { class: 'status error', 'data-failed-node': f.node }, `${f.node}: ${f.error}`),
    ),
    result.digests.length > 0 ? matrix(result) : null,
    report !== null && report.differences.length > 0
      ? h(
          'section',
          { class: 'card' },
          h('h2', null, 'Differences'),
          h(
            'ul',
            { id: 'differences' },
            ...report.differences.map((d) =>
              h('li', { 'data-kind': d.kind, 'data-broker-name': d.brokerName }, ...describe(d)),
            ),
          ),
        )
      : null,
  );
}

export const consistencyView: View = (root, { query }) => {
  const input = h('input', {
    type: 'text',
    id: 'consistency-nodes',
    placeholder: 'host:9876;host:9876 (admin port = port + 1) or http://host:9877;…',
    'aria-label': 'Node list',
    autocomplete: 'off',
  });
  const auto = h('input', { type: 'checkbox', id: 'consistency-auto', checked: true });
  const button = h('button', { type: 'submit' }, 'Compare');
  const body = h('div', { id: 'consistency' });
  const form = h(
    'form',
    { class: 'toolbar', id: 'consistency-form' },
    input,
    button,
    h('label', null, auto, ` re-check every ${RECHECK_MS / 1000} s`),
  );
  replace(
    root,
    h('h1', null, 'Consistency'),
    h(
      'p',
      { class: 'muted' },
      "NameServer nodes never talk to each other: a broker that cannot reach one of them, or an admin write sent to one only, gives clients different routes. This node reads every listed node's route digest and compares them (heartbeat ages are left out: they always differ).",
    ),
    form,
    body,
  );
  let stop: (() => void) | null = null;
  const start = (): void => {
    stop?.();
    stop = null;
    const list = input.value.trim();
    if (list === '') {
      replace(
        body,
        h('p', { class: 'empty' }, 'Give the node list (the namesrvAddr your brokers use).'),
      );
      return;
    }
    localStorage.setItem(STORAGE_KEY, list);
    history.replaceState(null, '', `#/consistency?nodes=${encodeURIComponent(list)}`);
    const check = async (signal: AbortSignal): Promise<void> => {
      try {
        render(
          body,
          await getJson<ConsistencyResult>(
            `/consistency?nodes=${encodeURIComponent(list)}`,
            signal,
          ),
        );
      } catch (err) {
        if (!signal.aborted)
          replace(
            body,
            h('div', { class: 'banner error', id: 'consistency-verdict' }, errorText(err)),
          );
      }
    };
    if (auto.checked) {
      stop = poll(check, RECHECK_MS);
    } else {
      const controller = new AbortController();
      stop = () => controller.abort();
      void check(controller.signal);
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });
  auto.addEventListener('change', start);
  const given = query.get('nodes');
  if (given !== null) {
    input.value = given;
    start();
  } else {
    // The node's own consistencyNodes, else what this browser compared last.
    getJson<{ config: { key: string; value: unknown }[] }>('/config').then(
      (r) => {
        const configured = r.config.find((e) => e.key === 'consistencyNodes')?.value;
        input.value =
          typeof configured === 'string' && configured !== ''
            ? configured
            : (localStorage.getItem(STORAGE_KEY) ?? '');
        start();
      },
      () => {
        input.value = localStorage.getItem(STORAGE_KEY) ?? '';
        start();
      },
    );
  }
  return () => stop?.();
};
