/**
 * Topic search over the whole table, one page at a time: the node filters and pages (a node may
 * hold 50,000 topics; the page receives at most PAGE_SIZE of them), the page shows the page.
 */
import { errorText, getJson } from '../api.js';
import type { TopicPage } from '../api-types.js';
import { h, replace, table } from '../dom.js';
import { formatNumber, permText } from '../format.js';
import { debounce } from '../poll.js';
import type { View } from './view.js';

export const PAGE_SIZE = 100;

function topicHref(topic: string): string {
  return `#/topic/${encodeURIComponent(topic)}`;
}

/** The offset of the last page holding any of `matched` topics. */
export function lastPageOffset(matched: number): number {
  return Math.max(0, Math.floor((matched - 1) / PAGE_SIZE) * PAGE_SIZE);
}

export const topicsView: View = (root, { query }) => {
  let q = query.get('q') ?? '';
  let offset = Number(query.get('offset') ?? 0) || 0;
  let controller: AbortController | null = null;
  const input = h('input', {
    type: 'search',
    id: 'topic-search',
    placeholder: 'Search topics',
    value: q,
    autocomplete: 'off',
    'aria-label': 'Search topics',
  });
  const summary = h('p', { class: 'status', id: 'topic-summary' }, 'Loading…');
  const results = h('div', { id: 'topic-results' });
  const prev = h('button', { type: 'button', id: 'topic-prev' }, '‹ Previous');
  const next = h('button', { type: 'button', id: 'topic-next' }, 'Next ›');

  // `clamp`: a page past the end (a stale link, topics deleted since) loads the last real page
  // instead, once: the node answers an empty page for it, which would read "No topics".
  const load = async (clamp = true): Promise<void> => {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    // Keep the search in the address so a reload or a shared link shows the same page.
    const params = new URLSearchParams();
    if (q !== '') params.set('q', q);
    if (offset > 0) params.set('offset', String(offset));
    history.replaceState(null, '', `#/topics${params.size > 0 ? `?${params}` : ''}`);
    try {
      const started = performance.now();
      const page = await getJson<TopicPage>(
        `/topics?q=${encodeURIComponent(q)}&offset=${offset}&limit=${PAGE_SIZE}`,
        mine.signal,
      );
      const ms = performance.now() - started;
      const pastEnd = page.topics.length === 0 && page.offset > 0;
      if (pastEnd && clamp) {
        offset = lastPageOffset(page.matched);
        return await load(false);
      }
      offset = page.offset;
      const first = page.matched === 0 ? 0 : page.offset + 1;
      const last = page.offset + page.topics.length;
      const of =
        q === ''
          ? `${formatNumber(page.total)} topics`
          : `${formatNumber(page.matched)} matching "${q}" (${formatNumber(page.total)} topics)`;
      replace(
        summary,
        // Still past the end after going to the last page: the table shrank meanwhile.
        pastEnd ? `Past the end of ${of}` : `${formatNumber(first)}–${formatNumber(last)} of ${of}`,
        h('small', null, ` · ${ms.toFixed(0)} ms`),
      );
      summary.className = 'status';
      prev.disabled = page.offset === 0;
      next.disabled = last >= page.matched;
      replace(
        results,
        pastEnd
          ? h('p', { class: 'empty' }, 'Past the end: go back with Previous.')
          : page.topics.length === 0
            ? h('p', { class: 'empty' }, q === '' ? 'No topics on this node.' : 'No topic matches.')
            : table(
                ['topic', 'broker groups', 'read / write queues', 'perm'],
                page.topics.map((t) => [
                  h(
                    'a',
                    { href: topicHref(t.topic), class: 'mono', 'data-topic': t.topic },
                    t.topic,
                  ),
                  t.brokerNames.join(', '),
                  `${t.readQueueNums} / ${t.writeQueueNums}`,
                  h('span', { class: 'nowrap' }, t.perms.map(permText).join(', ')),
                ]),
                { class: 'topics' },
              ),
      );
    } catch (err) {
      if (mine.signal.aborted) return;
      replace(summary, `Cannot list topics: ${errorText(err)}`);
      summary.className = 'status error';
    }
  };

  const search = debounce(() => {
    q = input.value.trim();
    offset = 0;
    void load();
  }, 150);
  input.addEventListener('input', search);
  prev.addEventListener('click', () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    void load();
  });
  next.addEventListener('click', () => {
    offset += PAGE_SIZE;
    void load();
  });
  replace(
    root,
    h('h1', null, 'Topics'),
    h('div', { class: 'toolbar' }, input),
    summary,
    results,
    h('div', { class: 'pager' }, prev, next),
  );
  void load();
  return () => {
    // A search typed just before leaving must not load (and rewrite the address) afterwards.
    search.cancel();
    controller?.abort();
  };
};
