/**
 * The console's entry: a hash router over the pages (so the node serves one HTML file and any
 * link works on reload), the navigation, and the node's identity in the header.
 */
import { h, replace } from './dom.js';
import { configView } from './views/config.js';
import { consistencyView } from './views/consistency.js';
import { kvView } from './views/kv.js';
import { metricsView } from './views/metrics.js';
import { overviewView } from './views/overview.js';
import { topicDetailView } from './views/topic-detail.js';
import { topicsView } from './views/topics.js';
import type { View } from './views/view.js';

const PAGES: readonly {
  readonly name: string;
  readonly title: string;
  readonly view: View;
  readonly nav: boolean;
}[] = [
  { name: 'brokers', title: 'Brokers', view: overviewView, nav: true },
  { name: 'topics', title: 'Topics', view: topicsView, nav: true },
  { name: 'topic', title: 'Topic', view: topicDetailView, nav: false },
  { name: 'kv', title: 'KV', view: kvView, nav: true },
  { name: 'config', title: 'Config', view: configView, nav: true },
  { name: 'metrics', title: 'Metrics', view: metricsView, nav: true },
  { name: 'consistency', title: 'Consistency', view: consistencyView, nav: true },
];

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
let cleanup: (() => void) | null = null;

function parseHash(): { name: string; args: string[]; query: URLSearchParams } {
  const hash = location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  const path = q === -1 ? hash : hash.slice(0, q);
  const [name = '', ...rest] = path.split('/');
  const args = rest.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { name, args, query: new URLSearchParams(q === -1 ? '' : hash.slice(q + 1)) };
}

function route(): void {
  const { name, args, query } = parseHash();
  const page = PAGES.find((p) => p.name === name) ?? PAGES[0]!;
  cleanup?.();
  document.title = `${page.title} · NameServer console`;
  for (const a of nav.querySelectorAll('a')) {
    const current =
      a.dataset.page === page.name || (page.name === 'topic' && a.dataset.page === 'topics');
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  cleanup = page.view(main, { args, query });
}

replace(
  nav,
  ...PAGES.filter((p) => p.nav).map((p) =>
    h('a', { href: `#/${p.name}`, 'data-page': p.name }, p.title),
  ),
);
window.addEventListener('hashchange', route);
route();

// Which node this is (several consoles may be open side by side): the admin address it came from.
const node = document.getElementById('node');
if (node !== null) node.textContent = location.host;
