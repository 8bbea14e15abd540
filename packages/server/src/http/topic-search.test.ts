/**
 * The topic search keeps its sorted list between requests and patches it from the topics route
 * changes name; whatever happens, every answer must equal a search of the table as it is.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { REBUILD_THRESHOLD, TopicSearch } from './topic-search.js';
import type { TopicSource } from './topic-search.js';
import { runCountingSteps } from '../slices/slice-queue.js';

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class FakeTable implements TopicSource {
  readonly table = new Set<string>();
  private listener: ((topics: ReadonlySet<string> | 'all') => void) | null = null;
  topicsCalls = 0;

  topics(): Iterable<string> {
    this.topicsCalls++;
    return this.table;
  }
  hasTopic(topic: string): boolean {
    return this.table.has(topic);
  }
  onRouteChanged(listener: (topics: ReadonlySet<string> | 'all') => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = null;
    };
  }
  notify(topics: ReadonlySet<string> | 'all'): void {
    this.listener?.(topics);
  }
}

function expectedPage(table: Set<string>, q: string, offset: number, limit: number) {
  const sorted = [...table].sort(byCodeUnits);
  const needle = q.toLowerCase();
  const matches = sorted.filter((t) => t.toLowerCase().includes(needle));
  const size = Math.min(Math.max(1, limit), 500);
  const start = Math.min(offset, matches.length);
  return {
    total: sorted.length,
    matched: matches.length,
    offset: start,
    limit: size,
    topics: matches.slice(start, start + size),
  };
}

describe('TopicSearch', () => {
  it('matches a fresh search after any sequence of changes, patched or rebuilt', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        names: fc.array(fc.nat(300), { maxLength: 90 }),
      }),
      fc.record({
        kind: fc.constant('remove' as const),
        names: fc.array(fc.nat(300), { maxLength: 90 }),
      }),
      fc.record({ kind: fc.constant('notifyAll' as const) }),
      fc.record({
        kind: fc.constant('search' as const),
        q: fc.constantFrom('', 't', 'T1', '2', 'x', 'topic_1'),
        offset: fc.nat(40),
        limit: fc.integer({ min: 0, max: 600 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const source = new FakeTable();
        const search = new TopicSearch(source);
        for (const o of ops) {
          if (o.kind === 'add' || o.kind === 'remove') {
            const named = new Set(o.names.map((i) => (i % 2 === 0 ? `Topic_${i}` : `tOpIc_${i}`)));
            for (const t of named) {
              if (o.kind === 'add') source.table.add(t);
              else source.table.delete(t);
            }
            // A change names what it touched (and sometimes more: names it did not change).
            source.notify(new Set([...named, 'Topic_0']));
          } else if (o.kind === 'notifyAll') {
            source.notify('all');
          } else {
            const page = runCountingSteps(search.page(o.q, o.offset, o.limit)).value;
            expect(page).toEqual(expectedPage(source.table, o.q, o.offset, o.limit));
            expect(runCountingSteps(search.all()).value.topics).toEqual(
              [...source.table].sort(byCodeUnits),
            );
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a re-registration that adds or removes no topic keeps the list (same version, no walk)', () => {
    const source = new FakeTable();
    for (let i = 0; i < 5000; i++) source.table.add(`Topic_${i}`);
    const search = new TopicSearch(source);
    const first = runCountingSteps(search.all()).value;
    expect(source.topicsCalls).toBe(1);
    source.notify(new Set(['Topic_1', 'Topic_2']));
    const again = runCountingSteps(search.all());
    expect(again.value.version).toBe(first.version);
    expect(again.value.topics).toBe(first.topics);
    expect(source.topicsCalls).toBe(1);

    source.table.add('Topic_new');
    source.notify(new Set(['Topic_new']));
    const patched = runCountingSteps(search.all()).value;
    expect(patched.version).not.toBe(first.version);
    expect(patched.topics).toContain('Topic_new');
    expect(source.topicsCalls).toBe(1);
  });

  it('a change naming more topics than the threshold rebuilds from the table', () => {
    const source = new FakeTable();
    source.table.add('a');
    const search = new TopicSearch(source);
    runCountingSteps(search.all());
    const many = new Set<string>();
    for (let i = 0; i <= REBUILD_THRESHOLD; i++) many.add(`New_${i}`);
    for (const t of many) source.table.add(t);
    source.notify(many);
    expect(runCountingSteps(search.all()).value.topics).toHaveLength(REBUILD_THRESHOLD + 2);
    expect(source.topicsCalls).toBe(2);
  });

  it('a change the search was not told of is not seen (it waits for the notification)', () => {
    const source = new FakeTable();
    source.table.add('b');
    const search = new TopicSearch(source);
    expect(runCountingSteps(search.all()).value.topics).toEqual(['b']);
    source.table.add('a');
    expect(runCountingSteps(search.all()).value.topics).toEqual(['b']);
    source.notify(new Set(['a']));
    expect(runCountingSteps(search.all()).value.topics).toEqual(['a', 'b']);
  });

  it('a search of 50,000 topics yields every few thousand names', () => {
    const source = new FakeTable();
    for (let i = 0; i < 50_000; i++) source.table.add(`Topic_${i}`);
    const search = new TopicSearch(source);
    const built = runCountingSteps(search.all());
    expect(built.steps).toBeGreaterThan(50);
    const scan = runCountingSteps(search.page('_4999', 0, 10));
    expect(scan.value.matched).toBe(11);
    expect(scan.steps).toBeGreaterThanOrEqual(24);
  });

  it('a search ended early (its client left) leaves the next one to see the change it took', () => {
    const source = new FakeTable();
    for (let i = 0; i < 20_000; i++) source.table.add(`Topic_${i}`);
    const search = new TopicSearch(source);
    runCountingSteps(search.all());
    source.table.add('Topic_late');
    // A rebuild (a patch of a few names is done without a yield, so it cannot be left halfway).
    source.notify('all');
    const abandoned = search.all();
    expect(abandoned.next().done).toBe(false);
    abandoned.return(undefined as never);
    expect(runCountingSteps(search.all()).value.topics).toContain('Topic_late');
  });
});
