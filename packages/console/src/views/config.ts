/** The node's effective configuration, each key with its source (default, file, env, flag, remote). */
import { errorText, getJson } from '../api.js';
import type { ConfigEntry } from '../api-types.js';
import { h, replace, table } from '../dom.js';
import { debounce } from '../poll.js';
import type { View } from './view.js';

export const configView: View = (root) => {
  const controller = new AbortController();
  const filter = h('input', {
    type: 'search',
    id: 'config-filter',
    placeholder: 'Filter keys',
    'aria-label': 'Filter configuration',
  });
  const changedOnly = h('input', { type: 'checkbox', id: 'config-changed' });
  const body = h('div', { id: 'config' }, h('p', { class: 'muted' }, 'Loading…'));
  let entries: readonly ConfigEntry[] = [];
  const render = (): void => {
    const needle = filter.value.trim().toLowerCase();
    const shown = entries.filter(
      (e) =>
        (!changedOnly.checked || e.source.kind !== 'default') &&
        (needle === '' || `${e.key} ${e.description}`.toLowerCase().includes(needle)),
    );
    replace(
      body,
      table(
        ['key', 'value', 'source', 'default', 'live'],
        shown.map((e) => [
          h('span', { class: 'mono', title: e.description }, e.key),
          h('span', { class: 'mono' }, String(e.value)),
          h(
            'span',
            { class: `badge src-${e.source.kind}`, title: e.source.detail },
            e.source.kind === 'default' ? 'default' : e.source.detail,
          ),
          h('span', { class: 'mono muted' }, String(e.defaultValue)),
          e.live ? 'yes' : '',
        ]),
        { class: 'config', id: 'config-table' },
      ),
    );
  };
  const rerender = debounce(render, 100);
  filter.addEventListener('input', rerender);
  changedOnly.addEventListener('change', render);
  replace(
    root,
    h('h1', null, 'Configuration'),
    h(
      'p',
      { class: 'muted' },
      'Precedence: default < -c file < NAMESRV_* environment < command line; "live" keys can be changed with updateNamesrvConfig.',
    ),
    h('div', { class: 'toolbar' }, filter, h('label', null, changedOnly, ' set explicitly')),
    body,
  );
  getJson<{ config: ConfigEntry[] }>('/config', controller.signal).then(
    (r) => {
      entries = r.config;
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
