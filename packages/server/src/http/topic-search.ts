/**
 * Topic search and pagination for the console: `GET /topics?q=&offset=&limit=`. A node can hold
 * 50,000 topics; the page must never receive them all. The sorted list is kept and rebuilt only
 * after a route change added or removed topics (a periodic re-registration changes nothing, so
 * the steady state is a plain scan of a ready array).
 */

export interface TopicPage {
  /** Topics on the node. */
  readonly total: number;
  /** Topics matching `q`. */
  readonly matched: number;
  readonly offset: number;
  readonly limit: number;
  readonly topics: readonly string[];
}

export const MAX_PAGE_LIMIT = 500;
export const DEFAULT_PAGE_LIMIT = 100;

export class TopicSearch {
  private readonly list: () => Iterable<string>;
  private readonly unsubscribe: () => void;
  private sorted: string[] | null = null;
  /** `sorted`, lower-cased, built on the first search (most pages never search). */
  private lowered: string[] | null = null;

  constructor(
    list: () => Iterable<string>,
    onRouteChanged: (listener: (topics: ReadonlySet<string> | 'all') => void) => () => void,
  ) {
    this.list = list;
    // Any change may add or remove topics; rebuilding lazily on the next search is cheap enough
    // (sorting 50,000 names takes milliseconds) and changes are rare in the steady state.
    this.unsubscribe = onRouteChanged(() => {
      this.sorted = null;
      this.lowered = null;
    });
  }

  close(): void {
    this.unsubscribe();
  }

  /** Every topic, sorted (code-unit order, as /topics always was). */
  all(): readonly string[] {
    this.sorted ??= [...this.list()].sort(cmp);
    return this.sorted;
  }

  /**
   * Case-insensitive substring search; an empty `q` matches everything. `offset` and `limit` are
   * clamped to the result.
   */
  page(q: string, offset: number, limit: number): TopicPage {
    const all = this.all();
    const needle = q.toLowerCase();
    let matches: readonly string[] = all;
    if (needle !== '') {
      const lowered = (this.lowered ??= all.map((t) => t.toLowerCase()));
      const found: string[] = [];
      for (let i = 0; i < lowered.length; i++)
        if (lowered[i]!.includes(needle)) found.push(all[i]!);
      matches = found;
    }
    const start = Math.min(Math.max(0, offset), matches.length);
    const size = Math.min(Math.max(1, limit), MAX_PAGE_LIMIT);
    return {
      total: all.length,
      matched: matches.length,
      offset: start,
      limit: size,
      topics: matches.slice(start, start + size),
    };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
