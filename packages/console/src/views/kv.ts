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
/**
 * Rows and namespaces drawn in all: the table may as well hold thousands of small namespaces
 * (5,000 of one key each took 3 s to draw, and 3-4 s per filter keystroke); past these the
 * page says how many more there are, and the filter narrows them down.
 */
export const KV_ROWS_TOTAL = 1_000;
export const KV_SECTIONS_SHOWN = 100;

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

/** The first `keep` entries of `ns` that match `needle`, and how many match in all. */
function matching(
  ns: Namespace,
  needle: string,
  keep: number,
): { rows: (readonly [string, string | null])[]; matched: number } {
  const rows: (readonly [string, string | null])[] = [];
  if (needle === '') return { rows: ns.entries.slice(0, keep), matched: ns.entries.length };
  let matched = 0;
  ns.entries.forEach((entry, i) => {
    if (!ns.haystacks[i]!.includes(needle)) return;
    matched++;
    if (rows.length < keep) rows.push(entry);
  });
  return { rows, matched };
}

/** One namespace's section with `rows` of its `matched` keys. */
function section(
  ns: Namespace,
  needle: string,
  rows: readonly (readonly [string, string | null])[],
  matched: number,
): HTMLElement {
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

/**
 * The sections for `needle`: the namespaces with a match (all without a needle), at most
 * KV_ROWS_SHOWN rows each and KV_ROWS_TOTAL rows and KV_SECTIONS_SHOWN sections in all, then a
 * line saying how many namespaces and keys are left out.
 */
function sectionsFor(namespaces: readonly Namespace[], needle: string): HTMLElement[] {
  const sections: HTMLElement[] = [];
  let budget = KV_ROWS_TOTAL;
  let moreNamespaces = 0;
  let moreKeys = 0;
  for (const ns of namespaces) {
    const full = sections.length >= KV_SECTIONS_SHOWN || budget <= 0;
    const { rows, matched } = matching(ns, needle, full ? 0 : Math.min(KV_ROWS_SHOWN, budget));
    if (matched === 0 && needle !== '') continue;
    if (full) {
      moreNamespaces++;
      moreKeys += matched;
      continue;
    }
    budget -= rows.length;
    sections.push(section(ns, needle, rows, matched));
  }
  if (moreNamespaces > 0) {
    sections.push(
      h(
        'p',
        {
          class: 'muted',
          id: 'kv-more',
          'data-more-namespaces': moreNamespaces,
          'data-more-keys': moreKeys,
        },
        `… ${plural(moreNamespaces, `more ${needle === '' ? '' : 'matching '}namespace`)} (${plural(moreKeys, needle === '' ? 'key' : 'matching key')}) not shown: filter to narrow.`,
      ),
    );
  }
  return sections;
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
    const sections = sectionsFor(namespaces, needle);
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
