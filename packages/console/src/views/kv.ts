/** The KV config table, one section per namespace (e.g. ORDER_TOPIC_CONFIG), with a filter. */
import { errorText, getJson } from '../api.js';
import { h, replace, table } from '../dom.js';
import { formatNumber, plural } from '../format.js';
import { debounce } from '../poll.js';
import type { View } from './view.js';

type ConfigTable = Record<string, Record<string, string | null>>;

/**
 * Rows drawn per namespace. A namespace may hold tens of thousands of keys (72,000 took the
 * browser ~20 s to draw, on every filter keystroke); past this many the filter narrows it down.
 */
export const KV_ROWS_SHOWN = 500;

/** The whole table comes in one body, megabytes with tens of thousands of keys: more time. */
const KV_TIMEOUT_MS = 30_000;

interface Namespace {
  readonly name: string;
  readonly entries: readonly (readonly [key: string, value: string | null])[];
  /** Each entry's namespace, key and value in lower case, made once (not per keystroke). */
  readonly haystacks: readonly string[];
}

function index(data: ConfigTable): Namespace[] {
  // Own keys only: a namespace may be called `__proto__` (the JSON parser makes it an own key).
  return Object.keys(data).map((name) => {
    const entries = Object.entries(data[name]!);
    return {
      name,
      entries,
      haystacks: entries.map(([k, v]) => `${name}\n${k}\n${v ?? ''}`.toLowerCase()),
    };
  });
}

/** One namespace's section with the first KV_ROWS_SHOWN matching keys; null if none match. */
function section(ns: Namespace, needle: string): HTMLElement | null {
  const rows: (readonly [string, string | null])[] = [];
  let matched = 0;
  ns.entries.forEach((entry, i) => {
    if (needle !== '' && !ns.haystacks[i]!.includes(needle)) return;
    matched++;
    if (rows.length < KV_ROWS_SHOWN) rows.push(entry);
  });
  if (matched === 0 && needle !== '') return null;
  const more = matched - rows.length;
  return h(
    'section',
    { class: 'card', 'data-namespace': ns.name },
    h('h2', null, ns.name, h('small', null, plural(ns.entries.length, 'key'))),
    table(
      ['key', 'value'],
      rows.map(([k, v]) => [
        h('span', { class: 'mono' }, k),
        h('span', { class: 'mono' }, v ?? 'null'),
      ]),
    ),
    more > 0
      ? h(
          'p',
          { class: 'muted', 'data-more': more },
          `… ${formatNumber(more)} more ${needle === '' ? '' : 'matching '}keys not shown: filter to narrow.`,
        )
      : null,
  );
}

export const kvView: View = (root) => {
  const controller = new AbortController();
  const filter = h('input', {
    type: 'search',
    id: 'kv-filter',
    placeholder: 'Filter namespaces, keys and values',
    'aria-label': 'Filter KV',
  });
  const body = h('div', { id: 'kv' }, h('p', { class: 'muted' }, 'Loading…'));
  let namespaces: Namespace[] = [];
  const render = (): void => {
    const needle = filter.value.trim().toLowerCase();
    const sections = namespaces.map((ns) => section(ns, needle)).filter((s) => s !== null);
    replace(
      body,
      ...(sections.length > 0
        ? sections
        : [
            h(
              'p',
              { class: 'empty' },
              namespaces.length === 0 ? 'The KV table is empty.' : 'Nothing matches.',
            ),
          ]),
    );
  };
  const rerender = debounce(render, 150);
  filter.addEventListener('input', rerender);
  replace(
    root,
    h('h1', null, 'KV config'),
    h(
      'p',
      { class: 'muted' },
      'Read-only. KV writes are not replicated between nodes: nsadmin updateKvConfig writes to every node.',
    ),
    h('div', { class: 'toolbar' }, filter),
    body,
  );
  getJson<{ configTable: ConfigTable }>('/kv', controller.signal, KV_TIMEOUT_MS).then(
    (r) => {
      namespaces = index(r.configTable);
      render();
    },
    (err: unknown) => {
      if (!controller.signal.aborted)
        replace(body, h('p', { class: 'status error' }, errorText(err)));
    },
  );
  return () => {
    rerender.cancel();
    controller.abort();
  };
};
