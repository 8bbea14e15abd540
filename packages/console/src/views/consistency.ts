/**
 * The cross-node consistency view: this node reads the digest of every node in the list (the
 * browser only talks to this node), compares them, and the page shows them side by side: one
 * column per node, one row per broker group and per live broker, differing rows flagged, and
 * below the differences in words, down to the topics.
 */
import { ApiError, errorText, getJson } from '../api.js';
import type { ConsistencyResult, DataVersion, Difference, RouteDigest } from '../api-types.js';
import { drawError, guard, h, replace } from '../dom.js';
import type { Child } from '../dom.js';
import { formatNumber, formatTime, permText } from '../format.js';
import { liveStatus } from '../live-status.js';
import type { LiveStatus } from '../live-status.js';
import { poll } from '../poll.js';
import type { View } from './view.js';

export const RECHECK_MS = 2000;
/**
 * How long one check may take: the node bounds its own (each node read within 3 s, topic lists
 * asked for during 6 s, so about 12 s at most); past this the node itself is not answering.
 */
export const CHECK_TIMEOUT_MS = 20_000;
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
    // Each broker group's rows on their own: odd values one broker registered must not leave
    // the page without any check shown.
    rows.push(
      ...guard(
        () => groupRows(nodes, name, differing.has(name)),
        (message) => [
          h(
            'tr',
            { class: 'group-row differs', 'data-broker-name': name },
            h('th', { scope: 'row' }, name),
            h(
              'td',
              { colspan: Math.max(1, nodes.length) },
              drawError('cannot show this broker group', message),
            ),
          ),
        ],
      ),
    );
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

/** A broker group's row in the matrix, then one row per broker of that name. */
function groupRows(
  nodes: ConsistencyResult['digests'],
  name: string,
  flagged: boolean,
): HTMLElement[] {
  const rows: HTMLElement[] = [];
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
  return rows;
}

/** Why a topics difference names no topics. */
const UNEXPLAINED: Readonly<Record<'unreadable' | 'limit' | 'deadline', string>> = {
  unreadable: 'Topics not listed: the topic lists could not be read from every node.',
  limit: 'Topics not listed: more broker names differ than one check looks into.',
  deadline: 'Topics not listed: the check ran out of time; the next check looks again.',
};

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
      if (d.topics === null) {
        return d.unexplained === undefined
          ? head
          : [
              ...head,
              h(
                'div',
                { class: 'muted', 'data-unexplained': d.unexplained },
                UNEXPLAINED[d.unexplained],
              ),
            ];
      }
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

function verdict(result: ConsistencyResult): HTMLElement {
  const report = result.report;
  const banner = (cls: string, text: string): HTMLElement =>
    h('div', { class: `banner ${cls}`, id: 'consistency-verdict' }, text);
  if (report === null) return banner('error', 'No node could be read.');
  const unreadable = unreadableNodes(result).length;
  if (!report.agree) {
    const n = report.differences.length + report.moreDifferences;
    return banner('error', `Nodes differ: ${formatNumber(n)} difference(s).`);
  }
  if (unreadable === 0) {
    return banner(
      'ok',
      `All ${result.digests.length} nodes agree (digest ${result.digests[0]?.digest.digest ?? '-'}).`,
    );
  }
  return banner(
    'warn',
    `The ${result.digests.length} readable nodes agree; ${unreadable} could not be read.`,
  );
}

/** Nodes whose digest could not be had: unreachable, or answering with something else. */
function unreadableNodes(result: ConsistencyResult): string[] {
  const read = new Set(result.digests.map((d) => d.node));
  return [...new Set(result.failures.map((f) => f.node))].filter((n) => !read.has(n));
}

function failureLine(result: ConsistencyResult, f: ConsistencyResult['failures'][number]): Node {
  // "Unreadable", not "unreachable": a node that answered with something other than a digest
  // (another service on the port, an old version) fails too; the error says which it was. A
  // node whose digest was read can still fail a topic-list read.
  const partly = result.digests.some((d) => d.node === f.node);
  return h(
    'p',
    { class: 'status error', 'data-failed-node': f.node },
    h('b', null, f.node),
    partly ? ' read in part: ' : ' unreadable: ',
    f.error,
  );
}

function differencesCard(report: NonNullable<ConsistencyResult['report']>): HTMLElement | null {
  if (report.differences.length === 0 && report.moreDifferences === 0) return null;
  return h(
    'section',
    { class: 'card' },
    h('h2', null, 'Differences'),
    h(
      'ul',
      { id: 'differences' },
      ...report.differences.map((d) =>
        h(
          'li',
          { 'data-kind': d.kind, 'data-broker-name': d.brokerName },
          ...guard(
            () => describe(d),
            (message) => [d.brokerName, ': ', drawError('cannot show this difference', message)],
          ),
        ),
      ),
      report.moreDifferences > 0
        ? h(
            'li',
            { id: 'more-differences' },
            `… and ${formatNumber(report.moreDifferences)} more differences (not listed)`,
          )
        : null,
    ),
  );
}

function render(el: HTMLElement, result: ConsistencyResult): void {
  replace(
    el,
    verdict(result),
    ...result.failures.map((f) => failureLine(result, f)),
    result.digests.length > 0 ? matrix(result) : null,
    result.report === null ? null : differencesCard(result.report),
  );
}

/** How one check asks the node, and what it does with the answers besides showing them. */
interface Check {
  /** `/consistency?nodes=…`, or `/consistency` for the node's own consistencyNodes. */
  readonly path: string;
  readonly again: boolean;
  /** Each shown result (the node's own list fills the box from it). */
  readonly onResult?: (result: ConsistencyResult) => void;
  /** A 400 before any answer: the node has no consistencyNodes to compare. */
  readonly onNoList?: (err: ApiError) => void;
}

/**
 * One check; the delay before the next (a 503's Retry-After), or null to stop. A failure after
 * a shown result keeps it on the page, marked stale, instead of replacing it.
 */
async function checkOnce(
  check: Check,
  body: HTMLElement,
  status: LiveStatus,
  signal: AbortSignal,
): Promise<number | null> {
  const { again } = check;
  const next = again ? RECHECK_MS : null;
  try {
    const result = await getJson<ConsistencyResult>(check.path, signal, CHECK_TIMEOUT_MS);
    render(body, result);
    check.onResult?.(result);
    status.ok(
      `Checked at ${new Date().toLocaleTimeString()}${again ? ` · re-checks every ${RECHECK_MS / 1000} s` : ''}`,
    );
    return next;
  } catch (err) {
    if (signal.aborted) return null;
    if (err instanceof ApiError && err.status === 503) {
      // The node runs one check at a time: another console (or tab) is checking another list.
      const wait = err.retryAfterMs ?? RECHECK_MS;
      status.note(
        `This node is busy checking another node list (another console?)${status.answered ? '; the last check stays shown' : ''}; trying again in ${wait / 1000} s.`,
      );
      return wait;
    }
    if (
      err instanceof ApiError &&
      err.status === 400 &&
      !status.answered &&
      check.onNoList !== undefined
    ) {
      check.onNoList(err);
      return null;
    }
    if (status.answered) status.failed(err, 'Cannot check');
    else
      replace(body, h('div', { class: 'banner error', id: 'consistency-verdict' }, errorText(err)));
    return next;
  }
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
  const status = h('p', { class: 'status', id: 'consistency-status' });
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
    status,
    body,
  );
  let stop: (() => void) | null = null;
  // Set by the clean-up: a start() still to come (the /config read below) must not begin a poll
  // that nothing would stop, on a page no longer shown.
  let closed = false;
  /**
   * The node's own list (consistencyNodes) as its answer to a check without ?nodes= named it.
   * While the box holds it the page keeps asking that way: with aclEnable=true the node compares
   * no other list, and a list read back from an answer need not be spelled as configured.
   */
  let ownList: string | null = null;
  const showEmpty = (): void => {
    replace(
      body,
      h('p', { class: 'empty' }, 'Give the node list (the namesrvAddr your brokers use).'),
    );
    replace(status);
  };
  /**
   * An empty box asks the node for its own consistencyNodes (ask without ?nodes=); `initial`:
   * the page's first check, which falls back to the list this browser compared last.
   */
  const start = (initial = false): void => {
    stop?.();
    stop = null;
    if (closed) return;
    const list = input.value.trim();
    const own = list === '' || list === ownList;
    let check: Check;
    if (own) {
      history.replaceState(null, '', '#/consistency');
      check = {
        path: '/consistency',
        again: auto.checked,
        onResult: (result) => {
          ownList = result.nodes.map((n) => n.node).join(';');
          // Unless something else was typed meanwhile.
          if (input.value.trim() === '') input.value = ownList;
        },
        onNoList: () => {
          // The node has no consistencyNodes: what this browser compared last, if anything.
          const stored = localStorage.getItem(STORAGE_KEY) ?? '';
          if (initial && stored !== '' && input.value.trim() === '') {
            input.value = stored;
            start();
          } else showEmpty();
        },
      };
    } else {
      localStorage.setItem(STORAGE_KEY, list);
      history.replaceState(null, '', `#/consistency?nodes=${encodeURIComponent(list)}`);
      check = { path: `/consistency?nodes=${encodeURIComponent(list)}`, again: auto.checked };
    }
    // A new list: what is shown (and its age) belongs to the old one.
    replace(body, h('p', { class: 'muted' }, 'Checking…'));
    const live = liveStatus(status);
    live.note('');
    stop = poll((signal) => checkOnce(check, body, live, signal), RECHECK_MS);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });
  auto.addEventListener('change', () => start());
  const config = new AbortController();
  const given = query.get('nodes');
  if (given !== null) {
    input.value = given;
    start();
  } else {
    // The node's own consistencyNodes, else what this browser compared last. Where /config
    // cannot be read (aclEnable=true protects it), the node is asked for a check of its own
    // list (no ?nodes=), which names the nodes.
    getJson<{ config: { key: string; value: unknown }[] }>('/config', config.signal).then(
      (r) => {
        const configured = r.config.find((e) => e.key === 'consistencyNodes')?.value;
        input.value =
          typeof configured === 'string' && configured !== ''
            ? configured
            : (localStorage.getItem(STORAGE_KEY) ?? '');
        if (input.value.trim() === '') {
          if (!closed) showEmpty();
        } else start();
      },
      () => {
        if (closed) return;
        input.value = '';
        start(true);
      },
    );
  }
  return () => {
    closed = true;
    config.abort();
    stop?.();
  };
};
