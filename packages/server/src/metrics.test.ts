import { describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import {
  CPU_WAIT_METRIC,
  MonotonicCounters,
  STALL_METRIC,
  STALL_MONITOR_RESOLUTION_MS,
  STALL_WINDOW_METRIC,
  createMetrics,
  scrapeAll,
  threadCpuWaitSeconds,
} from './metrics.js';
import type { MetricsExport } from './metrics.js';

function views(brokers = 0, topics = 0) {
  const state = { brokers, topics };
  return {
    state,
    views: { brokerCount: () => state.brokers, topicCount: () => state.topics },
  };
}

/** The value of one sample line, e.g. `namesrv_topics 3`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const onLinux = process.platform === 'linux';
if (!onLinux) {
  console.warn(
    `SKIPPED part of metrics.test: the event-loop CPU wait is read from /proc/thread-self/schedstat, which ${process.platform} lacks`,
  );
}

describe('createMetrics', () => {
  it('counts requests by code name and result name, with a latency histogram', async () => {
    const m = createMetrics(views().views, { defaultMetrics: false });
    m.observeRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, ResponseCode.SUCCESS, 0.0002);
    m.observeRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, ResponseCode.SUCCESS, 0.0003);
    m.observeRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, ResponseCode.TOPIC_NOT_EXIST, 0.02);
    m.observeRequest(RequestCode.BROKER_HEARTBEAT, null, 0.00001);
    const { body, contentType } = await m.scrape();
    expect(contentType).toMatch(/^text\/plain/);
    expect(
      sample(body, 'namesrv_requests_total{code="GET_ROUTEINFO_BY_TOPIC",result="SUCCESS"}'),
    ).toBe(2);
    expect(
      sample(
        body,
        'namesrv_requests_total{code="GET_ROUTEINFO_BY_TOPIC",result="TOPIC_NOT_EXIST"}',
      ),
    ).toBe(1);
    expect(
      sample(body, 'namesrv_requests_total{code="BROKER_HEARTBEAT",result="NO_RESPONSE"}'),
    ).toBe(1);
    expect(
      sample(body, 'namesrv_request_duration_seconds_count{code="GET_ROUTEINFO_BY_TOPIC"}'),
    ).toBe(3);
    expect(
      sample(
        body,
        'namesrv_request_duration_seconds_bucket{le="0.00025",code="GET_ROUTEINFO_BY_TOPIC"}',
      ),
    ).toBe(1);
    expect(
      sample(
        body,
        'namesrv_request_duration_seconds_bucket{le="0.0005",code="GET_ROUTEINFO_BY_TOPIC"}',
      ),
    ).toBe(2);
    expect(
      sample(body, 'namesrv_request_duration_seconds_sum{code="GET_ROUTEINFO_BY_TOPIC"}'),
    ).toBeCloseTo(0.0205, 6);
  });

  it('keeps counting across scrapes; slow requests land in +Inf only; bad durations are dropped', async () => {
    const m = createMetrics(views().views, { defaultMetrics: false });
    const total = 'namesrv_requests_total{code="GET_KV_CONFIG",result="QUERY_NOT_FOUND"}';
    m.observeRequest(RequestCode.GET_KV_CONFIG, ResponseCode.QUERY_NOT_FOUND, 2.5);
    expect(sample((await m.scrape()).body, total)).toBe(1);
    m.observeRequest(RequestCode.GET_KV_CONFIG, ResponseCode.QUERY_NOT_FOUND, Number.NaN);
    m.observeRequest(RequestCode.GET_KV_CONFIG, ResponseCode.QUERY_NOT_FOUND, -1);
    const { body } = await m.scrape();
    expect(sample(body, total)).toBe(3);
    expect(
      sample(body, 'namesrv_request_duration_seconds_bucket{le="1",code="GET_KV_CONFIG"}'),
    ).toBe(0);
    expect(
      sample(body, 'namesrv_request_duration_seconds_bucket{le="+Inf",code="GET_KV_CONFIG"}'),
    ).toBe(1);
    expect(sample(body, 'namesrv_request_duration_seconds_sum{code="GET_KV_CONFIG"}')).toBe(2.5);
    expect(sample(body, 'namesrv_request_duration_seconds_count{code="GET_KV_CONFIG"}')).toBe(1);
    expect(body).toContain('# TYPE namesrv_request_duration_seconds histogram');
  });

  it('folds unknown request and response codes into one UNKNOWN series', async () => {
    const m = createMetrics(views().views, { defaultMetrics: false });
    for (let code = 5000; code < 5100; code++)
      m.observeRequest(code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, 0.0001);
    m.observeRequest(RequestCode.PUT_KV_CONFIG, 777, 0.0001);
    const { body } = await m.scrape();
    expect(
      sample(body, 'namesrv_requests_total{code="UNKNOWN",result="REQUEST_CODE_NOT_SUPPORTED"}'),
    ).toBe(100);
    expect(sample(body, 'namesrv_requests_total{code="PUT_KV_CONFIG",result="UNKNOWN"}')).toBe(1);
    expect(body.split('\n').filter((l) => l.startsWith('namesrv_requests_total{'))).toHaveLength(2);
  });

  it('samples brokers and topics from the views at scrape time', async () => {
    const v = views(2, 5);
    const m = createMetrics(v.views, { defaultMetrics: false });
    let { body } = await m.scrape();
    expect(sample(body, 'namesrv_brokers')).toBe(2);
    expect(sample(body, 'namesrv_topics')).toBe(5);
    v.state.brokers = 7;
    v.state.topics = 0;
    ({ body } = await m.scrape());
    expect(sample(body, 'namesrv_brokers')).toBe(7);
    expect(sample(body, 'namesrv_topics')).toBe(0);
  });

  it('tracks connections, registrations, expiries, KV writes and frame errors', async () => {
    const m = createMetrics(views().views, { defaultMetrics: false });
    m.connectionOpened();
    m.connectionOpened();
    m.connectionClosed();
    m.brokerRegistered();
    m.brokerRegistered();
    m.brokerExpired('timeout');
    m.brokerExpired('channel_closed');
    m.brokerExpired('channel_closed');
    m.kvConfigWritten('put');
    m.kvConfigWritten('delete');
    m.frameError('NS_FRAME_TOO_LONG');
    const { body } = await m.scrape();
    expect(sample(body, 'namesrv_connections_open')).toBe(1);
    expect(sample(body, 'namesrv_broker_registrations_total')).toBe(2);
    expect(sample(body, 'namesrv_broker_expiries_total{reason="timeout"}')).toBe(1);
    expect(sample(body, 'namesrv_broker_expiries_total{reason="channel_closed"}')).toBe(2);
    expect(sample(body, 'namesrv_kv_config_writes_total{op="put"}')).toBe(1);
    expect(sample(body, 'namesrv_kv_config_writes_total{op="delete"}')).toBe(1);
    expect(sample(body, 'namesrv_frame_errors_total{code="NS_FRAME_TOO_LONG"}')).toBe(1);
  });

  it('keeps registries apart and adds default process metrics when asked', async () => {
    const a = createMetrics(views().views);
    const b = createMetrics(views().views, { defaultLabels: { instance: 'b' } });
    a.brokerRegistered();
    const bodyA = (await a.scrape()).body;
    const bodyB = (await b.scrape()).body;
    expect(bodyA).toMatch(/^process_cpu_user_seconds_total /m);
    expect(sample(bodyA, 'namesrv_broker_registrations_total')).toBe(1);
    expect(sample(bodyB, 'namesrv_broker_registrations_total{instance="b"}')).toBe(0);
  });

  it('reports the longest event-loop stall since the previous scrape, by role', async () => {
    const m = createMetrics({}, { defaultMetrics: false });
    const owner = createMetrics({}, { defaultMetrics: false, role: 'owner' });
    try {
      // Let the monitor tick once, then hold the loop: the interval spanning the busy wait is at
      // least its length (a lower bound that a loaded machine only raises).
      await new Promise((r) => setTimeout(r, 4 * STALL_MONITOR_RESOLUTION_MS));
      const until = performance.now() + 40;
      while (performance.now() < until) {
        // busy
      }
      await new Promise((r) => setTimeout(r, 4 * STALL_MONITOR_RESOLUTION_MS));
      const body = (await m.scrape()).body;
      expect(body).toContain(`# TYPE ${STALL_METRIC} gauge`);
      expect(sample(body, `${STALL_METRIC}{role="serving"}`)).toBeGreaterThanOrEqual(0.035);
      const ownerBody = (await owner.scrape()).body;
      expect(sample(ownerBody, `${STALL_METRIC}{role="owner"}`)).toBeGreaterThanOrEqual(0);
      expect(sample(ownerBody, `${STALL_METRIC}{role="serving"}`)).toBeUndefined();
    } finally {
      m.close();
      owner.close();
    }
  });

  it('keeps a stall in the window gauge after a scrape reset the per-scrape one', async () => {
    const m = createMetrics({}, { defaultMetrics: false });
    try {
      await new Promise((r) => setTimeout(r, 4 * STALL_MONITOR_RESOLUTION_MS));
      const until = performance.now() + 40;
      while (performance.now() < until) {
        // busy
      }
      await new Promise((r) => setTimeout(r, 4 * STALL_MONITOR_RESOLUTION_MS));
      // Another scraper (the console, a second Prometheus) took the per-scrape maximum first.
      expect(sample((await m.scrape()).body, `${STALL_METRIC}{role="serving"}`)).toBeGreaterThan(
        0.035,
      );
      const body = (await m.scrape()).body;
      expect(sample(body, `${STALL_METRIC}{role="serving"}`)).toBeLessThan(0.035);
      expect(body).toContain(`# TYPE ${STALL_WINDOW_METRIC} gauge`);
      expect(sample(body, `${STALL_WINDOW_METRIC}{role="serving"}`)).toBeGreaterThanOrEqual(0.035);
    } finally {
      m.close();
    }
  });

  it('keeps counters and histogram series of a combined exposition from going down, gauges not', () => {
    const guard = new MonotonicCounters();
    const text = (c: number, sum: number, bucket: number, g: number): string =>
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        `a_total{code="X"} ${c}`,
        '# HELP d_seconds D.',
        '# TYPE d_seconds histogram',
        `d_seconds_bucket{le="0.1"} ${bucket}`,
        `d_seconds_sum ${sum}`,
        `d_seconds_count ${bucket}`,
        '# HELP g G.',
        '# TYPE g gauge',
        `g ${g}`,
        '',
      ].join('\n');
    guard.apply(text(5, 0.7753867790591895, 3, 9));
    // One ulp lower: the same float sums added in another order after a worker exited.
    const next = guard.apply(text(5, 0.7753867790591894, 3, 2));
    expect(sample(next, 'a_total{code="X"}')).toBe(5);
    expect(sample(next, 'd_seconds_sum')).toBe(0.7753867790591895);
    expect(sample(next, 'g')).toBe(2);
    const later = guard.apply(text(7, 0.9, 4, 1));
    expect(sample(later, 'a_total{code="X"}')).toBe(7);
    expect(sample(later, 'd_seconds_sum')).toBe(0.9);
    expect(sample(later, 'd_seconds_bucket{le="0.1"}')).toBe(4);
  });

  it('combines the stall gauge of several processes by max per role, not by sum', async () => {
    const parts = [
      createMetrics({}, { defaultMetrics: false }),
      createMetrics({}, { defaultMetrics: false }),
      createMetrics({}, { defaultMetrics: false, role: 'owner' }),
    ];
    const stalls = [0.004, 0.009, 0.02];
    const exports: MetricsExport[] = [];
    for (const [i, p] of parts.entries()) {
      const e = await p.export();
      p.close();
      const gauge = e.prom.find((x) => x.name === STALL_METRIC)!;
      expect(gauge.aggregator).toBe('max');
      exports.push({
        ...e,
        prom: e.prom.map((x) =>
          x === gauge ? { ...x, values: x.values.map((v) => ({ ...v, value: stalls[i]! })) } : x,
        ),
      });
    }
    const body = (await scrapeAll(exports)).body;
    expect(sample(body, `${STALL_METRIC}{role="serving"}`)).toBe(0.009);
    expect(sample(body, `${STALL_METRIC}{role="owner"}`)).toBe(0.02);
  });

  it("reads the thread's CPU wait from schedstat text, and nothing from what is not", () => {
    expect(threadCpuWaitSeconds(() => '270136746 27467162 669\n')).toBe(0.027467162);
    expect(threadCpuWaitSeconds(() => '0 0 1')).toBe(0);
    expect(threadCpuWaitSeconds(() => 'garbage')).toBeNull();
    expect(threadCpuWaitSeconds(() => '')).toBeNull();
    expect(
      threadCpuWaitSeconds(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
  });

  it.skipIf(!onLinux)(
    'counts the time the event-loop thread waited for a CPU, by role, summed over processes',
    async () => {
      const serving = [
        createMetrics({}, { defaultMetrics: false }),
        createMetrics({}, { defaultMetrics: false }),
      ];
      const owner = createMetrics({}, { defaultMetrics: false, role: 'owner' });
      const all = [...serving, owner];
      try {
        const before = threadCpuWaitSeconds()!;
        const body = (await serving[0]!.scrape()).body;
        expect(body).toContain(`# TYPE ${CPU_WAIT_METRIC} counter`);
        const one = sample(body, `${CPU_WAIT_METRIC}{role="serving"}`)!;
        // This thread's whole run_delay at the scrape (the three registries read the same thread).
        expect(one).toBeGreaterThanOrEqual(before);
        expect(one).toBeLessThanOrEqual(threadCpuWaitSeconds()!);
        const exports = await Promise.all(all.map((m) => m.export()));
        const combined = (await scrapeAll(exports)).body;
        const servingSum = sample(combined, `${CPU_WAIT_METRIC}{role="serving"}`)!;
        const ownerOnly = sample(combined, `${CPU_WAIT_METRIC}{role="owner"}`)!;
        // Counters add up across processes: two serving registries of this one thread give at
        // least twice what the first reported (the thread may have waited more since).
        expect(servingSum).toBeGreaterThanOrEqual(2 * one);
        expect(ownerOnly).toBeGreaterThanOrEqual(one);
      } finally {
        for (const m of all) m.close();
      }
    },
  );

  it("exposes the KV persistence thread's counts as counters, a restarted thread's anew", async () => {
    const kv = {
      source: {},
      fileWrites: 3,
      failedWrites: 0,
      crashes: 0,
      lastWriteMillis: 4.5 as number | null,
      threadRunning: true,
    };
    let running: typeof kv | null = null;
    const m = createMetrics(
      { ...views().views, kvPersistence: () => running },
      {
        defaultMetrics: false,
      },
    );
    try {
      // No thread yet (the node is starting): counters at 0, the thread down.
      let body = (await m.scrape()).body;
      expect(sample(body, 'namesrv_kv_persist_file_writes_total')).toBe(0);
      expect(sample(body, 'namesrv_kv_persist_thread_up')).toBe(0);
      running = kv;
      body = (await m.scrape()).body;
      expect(sample(body, 'namesrv_kv_persist_file_writes_total')).toBe(3);
      expect(sample(body, 'namesrv_kv_persist_failures_total')).toBe(0);
      expect(sample(body, 'namesrv_kv_persist_last_write_seconds')).toBe(0.0045);
      expect(sample(body, 'namesrv_kv_persist_thread_up')).toBe(1);
      // A failed write and a crash; the thread is down until its restart.
      kv.failedWrites = 1;
      kv.crashes = 1;
      kv.threadRunning = false;
      body = (await m.scrape()).body;
      expect(sample(body, 'namesrv_kv_persist_failures_total')).toBe(1);
      expect(sample(body, 'namesrv_kv_persist_thread_crashes_total')).toBe(1);
      expect(sample(body, 'namesrv_kv_persist_thread_up')).toBe(0);
      // The node restarted: its new thread counts from 0 (here already past the old count);
      // the counters keep growing.
      running = {
        ...kv,
        source: {},
        fileWrites: 4,
        failedWrites: 0,
        crashes: 0,
        threadRunning: true,
      };
      body = (await m.scrape()).body;
      expect(sample(body, 'namesrv_kv_persist_file_writes_total')).toBe(7);
      expect(sample(body, 'namesrv_kv_persist_failures_total')).toBe(1);
      expect(sample(body, 'namesrv_kv_persist_thread_up')).toBe(1);
    } finally {
      m.close();
    }
  });
});
