/** The KV config table, one section per namespace (e.g. ORDER_TOPIC_CONFIG), with a filter. */
import { errorText, getJson } from '../api.js';
import { h, replace, table } from '../dom.js';
import { plural } from '../format.js';
import { debounce } from '../poll.js';
import type { View } from './view.js';

type ConfigTable = Record<string, Record<string, string | null>>;

export const kvView: View = (root) => {
  const controller = new AbortController();
  const filter = h('input', {
    type: 'search',
    id: 'kv-filter',
    placeholder: 'Filter namespaces, keys and values',
    'aria-label': 'Filter KV',
  });
  const body = h('div', { id: 'kv' }, h('p', { class: 'muted' }, 'Loading…'));
  let data: ConfigTable = {};
  const render = (): void => {
    const needle = filter.value.trim().toLowerCase();
    const sections = Object.keys(data).flatMap((ns) => {
      const entries = Object.entries(data[ns]!).filter(
        ([k, v]) => needle === '' || `${ns}\n${k}\n${v ?? ''}`.toLowerCase().includes(needle),
      );
      if (entries.length === 0 && needle !== '') return [];
      return [
        h(
          'section',
          { class: 'card', 'data-namespace': ns },
          h('h2', null, ns, h('small', null, plural(Object.keys(data[ns]!).length, 'key'))),
          table(
            ['key', 'value'],
            entries.map(([k, v]) => [
              h('span', { class: 'mono' }, k),
              h('span', { class: 'mono' }, v ?? 'null'),
            ]),
          ),
        ),
      ];
    });
    replace(
      body,
      ...(sections.length > 0
        ? sections
        : [
            h(
              'p',
              { class: 'empty' },
              Object.keys(data).length === 0 ? 'The KV table is empty.' : 'Nothing matches.',
            ),
          ]),
    );
  };
  filter.addEventListener('input', debounce(render, 100));
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
  getJson<{ configTable: ConfigTable }>('/kv', controller.signal).then(
    (r) => {
      data = r.configTable;
      render();
    },
    (err: unknown) => {
      if (!controller.signal.aborted)
        replace(body, h('p', { class: 'status error' }, errorText(err)));
    },
  );
  return () => controller.abort();
};
