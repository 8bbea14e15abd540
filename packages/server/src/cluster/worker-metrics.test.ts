import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, scrapeAll } from '../metrics.js';
import type { MetricsExport, NamesrvMetrics } from '../metrics.js';
import { WorkerMetrics } from './worker-metrics.js';

const made: NamesrvMetrics[] = [];
afterEach(() => {
  for (const m of made.splice(0)) m.close();
});

function worker(): NamesrvMetrics {
  const m = createMetrics({}, { defaultMetrics: false });
  made.push(m);
  return m;
}

function serve(m: NamesrvMetrics, requests: number, connections = 0): void {
  for (let i = 0; i < requests; i++) m.observeRequest(105, 0, 0.001);
  for (let i = 0; i < connections; i++) m.connectionOpened();
}

/** A series' value in an exposition (0 when absent). */
function value(body: string, series: string): number {
  const line = body.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const REQUESTS = 'namesrv_requests_total{code="GET_ROUTEINFO_BY_TOPIC",result="SUCCESS"}';
const DURATION_COUNT = 'namesrv_request_duration_seconds_count{code="GET_ROUTEINFO_BY_TOPIC"}';

describe('WorkerMetrics', () => {
  it("keeps the node's counters from going down when a worker is late or replaced", async () => {
    const cache = new WorkerMetrics<string>();
    const [w1, w2] = [worker(), worker()];
    const scrape = async (answers: [string, MetricsExport | null][]): Promise<string> => {
      const live = answers
        .map(([w, e]) => cache.answered(w, e))
        .filter((e): e is MetricsExport => e !== null);
      return (await scrapeAll([...live, ...cache.retiredExports()])).body;
    };
    serve(w1, 1000, 3);
    serve(w2, 1000, 4);
    const first = await scrape([
      ['w1', await w1.export()],
      ['w2', await w2.export()],
    ]);
    expect(value(first, REQUESTS)).toBe(2000);

    // w2 misses the deadline: its last answer stands in for it.
    serve(w1, 10);
    const late = await scrape([
      ['w1', await w1.export()],
      ['w2', null],
    ]);
    expect(value(late, REQUESTS)).toBe(2010);

    // w2 dies; its replacement starts from zero. Its counters stay, its gauges go.
    cache.exited('w2');
    const w3 = worker();
    serve(w3, 5, 1);
    const replaced = await scrape([
      ['w1', await w1.export()],
      ['w3', await w3.export()],
    ]);
    expect(value(replaced, REQUESTS)).toBe(2015);
    expect(value(replaced, DURATION_COUNT)).toBe(2015);
    expect(value(replaced, 'namesrv_connections_open')).toBe(3 + 1);
  });

  it('folds the counters of many exited workers into one, totals unchanged', async () => {
    const cache = new WorkerMetrics<number>();
    for (let i = 0; i < 20; i++) {
      const w = worker();
      serve(w, 10);
      cache.answered(i, await w.export());
      cache.exited(i);
    }
    expect(cache.retiredExports().length).toBeLessThanOrEqual(8);
    const body = (await scrapeAll([...cache.retiredExports()])).body;
    expect(value(body, REQUESTS)).toBe(200);
    expect(value(body, DURATION_COUNT)).toBe(200);
  });

  it('folds a counter combined by max (credential reloads every process makes) by max, not sum', async () => {
    const RELOADS = 'namesrv_security_reloads_total{what="acl",result="ok"}';
    const cache = new WorkerMetrics<number>();
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      // Every process reloads the same file: 3 reloads, whichever process counted them.
      const w = worker();
      for (let r = 0; r < 3; r++) w.security.reload('acl', 'ok');
      cache.answered(i, await w.export());
      cache.exited(i);
      seen.push(value((await scrapeAll([...cache.retiredExports()])).body, RELOADS));
    }
    expect(seen).toEqual(Array<number>(12).fill(3));
  });
  it("keeps an exited worker's stall (or the silence it was ended for) in the stall window for its 60 s", async () => {
    let now = 0;
    const cache = new WorkerMetrics<string>(() => now);
    const [live, wedged] = [worker(), worker()];
    const STALL = 'namesrv_event_loop_stall_window_max_seconds{role="serving"}';
    const scrape = async (): Promise<number> => {
      const answers = [cache.answered('live', await live.export())].filter(
        (e): e is MetricsExport => e !== null,
      );
      return value((await scrapeAll([...answers, ...cache.retiredExports()])).body, STALL);
    };
    cache.answered('wedged', await wedged.export());
    // Ended after 12 s without answering its owner: that was a 12 s stall.
    cache.exited('wedged', 12_000);
    now = 59_000;
    expect(await scrape()).toBe(12);
    now = 61_000;
    expect(await scrape()).toBeLessThan(1);
  });

  it('reports a worker that does not answer with its silence as its stall, not its last stall again', async () => {
    const cache = new WorkerMetrics<string>();
    const w = worker();
    const SINCE_SCRAPE = 'namesrv_event_loop_stall_max_seconds{role="serving"}';
    const WINDOW = 'namesrv_event_loop_stall_window_max_seconds{role="serving"}';
    const scrape = async (answer: MetricsExport | null, silentMillis = 0) => {
      const e = cache.answered('w', answer, silentMillis);
      const body = (await scrapeAll(e === null ? [] : [e])).body;
      return [value(body, SINCE_SCRAPE), value(body, WINDOW)];
    };
    // Its last answer: a 3 s stall since the previous scrape, and in the window.
    const stalled = await w.export();
    const withStall = {
      ...stalled,
      prom: stalled.prom.map((m) =>
        m.name.startsWith('namesrv_event_loop_stall_')
          ? { ...m, values: m.values.map((v) => ({ ...v, value: 3 })) }
          : m,
      ),
    };
    expect(await scrape(withStall)).toEqual([3, 3]);
    // Late, but heard from over its channel just now: no new stall; the window keeps the 3 s.
    expect(await scrape(null, 0)).toEqual([0, 3]);
    // Silent 7 s (stopped, wedged): that is its stall now, growing until it answers or is ended.
    expect(await scrape(null, 7_000)).toEqual([7, 7]);
    expect(await scrape(null, 9_500)).toEqual([9.5, 9.5]);
  });
});
