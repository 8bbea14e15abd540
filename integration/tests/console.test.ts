/**
 * The web console in real headless Chromium against real node processes: every page renders a
 * node with registered brokers (desktop and phone screenshots under artifacts/console/), search
 * finds one topic among 50,000, a SIGKILLed broker leaves the page without a reload within 2 s,
 * and the consistency view flags a broker registered with only 2 of 3 nodes. Then the edges: a
 * page past the end, topics named `.`/`..`, a huge KV namespace, a hung node shown as stale, a
 * page left before its reads answer, and a consistency check that has to wait its turn.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { Page, Request, Route } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgentProcess } from '../harness/broker-agent.js';
import {
  CONSOLE_ARTIFACTS_DIR,
  launchSharedChromium,
  screenshot,
  VIEWPORTS,
} from '../harness/browser.js';
import { addressList, startNameServer, startNameServers } from '../harness/name-server.js';
import type { NameServerNode } from '../harness/name-server.js';
import { runNsadmin } from '../harness/nsadmin.js';
import { createProbe, getRoute } from '../harness/probe.js';
import { RawBroker } from '../harness/raw-broker.js';
import { uniqueName, useScope } from '../harness/scope.js';
import type { TestScope } from '../harness/scope.js';

// One Chromium for the whole file (a launch per test cost seconds each); each test gets its own
// context (storage, routes) and page.
const launched = await launchSharedChromium();
if ('reason' in launched) {
  console.warn(`[console] SKIPPING the console browser tests: ${launched.reason}`);
}
afterAll(async () => {
  if ('chromium' in launched) await launched.chromium.close();
});

/** The broker page polls every second; 2 s is the promise to operators. */
const GONE_WITHIN_MS = 2_000;

function consoleUrl(node: NameServerNode, hash: string): string {
  return `http://127.0.0.1:${node.httpPort}/console/#/${hash}`;
}

/** A page in its own browser context (closed at test cleanup), its errors collected. */
async function newPage(scope: TestScope, viewport: keyof typeof VIEWPORTS = 'desktop') {
  if (!('chromium' in launched)) throw new Error(`no Chromium: ${launched.reason}`);
  const page = await launched.chromium.newPage(scope, viewport);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return { page, errors };
}

/** What `path` (e.g. `/consistency`) the page asked its node for, in order. */
function requestsTo(page: Page, path: string): Request[] {
  const seen: Request[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === path) seen.push(r);
  });
  return seen;
}

/**
 * Holds the page's requests matching `url` unanswered (a hung node: the connection open, no
 * answer) until released; released ones go on to the node.
 */
async function holdRequests(page: Page, url: string): Promise<{ release(): Promise<void> }> {
  const held: Route[] = [];
  let holding = true;
  await page.route(url, async (route) => {
    if (holding) held.push(route);
    else await route.continue().catch(() => undefined);
  });
  return {
    async release() {
      holding = false;
      // A request the page gave up on (aborted) can no longer be continued.
      await Promise.all(held.map((r) => r.continue().catch(() => undefined)));
      await page.unroute(url);
    },
  };
}

/** Waits in the page for `ms` of its own timers: every timer it set before has fired by then. */
async function pageTimers(page: Page, ms: number): Promise<void> {
  await page.evaluate((t) => new Promise((r) => setTimeout(r, t)), ms);
}

/**
 * Evaluates `expression` in the page (a string: this file has no DOM types, and the console's
 * CSP refuses waitForFunction's eval) until it is truthy; returns that value.
 */
async function untilInPage(page: Page, expression: string, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value: unknown = await page.evaluate(expression);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A listed "node" that accepts connections and never answers (each read of it times out). */
async function hungNode(scope: TestScope): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  scope.defer('close the hung node', async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

/** Screenshots of the current page at both widths. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.setViewportSize(VIEWPORTS.desktop);
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(VIEWPORTS.phone);
  await screenshot(page, `${name}-phone`);
  // Nothing may be wider than a phone screen but the tables, which scroll inside their box.
  const overflow = await page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  expect(overflow, `${name} overflows a 390 px screen horizontally`).toBeLessThanOrEqual(0);
  await page.setViewportSize(VIEWPORTS.desktop);
}

describe.skipIf('reason' in launched)('web console (headless Chromium)', () => {
  it('renders brokers, topics, a topic, KV, config and metrics of a live node', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const cluster = uniqueName('cluster');
    const topics = ['TopicOrders', 'TopicPayments', '%RETRY%group-1'];
    const agents = await Promise.all([
      startAgentProcess(scope, {
        name: 'broker-a-master',
        clusterName: cluster,
        brokerName: 'broker-a',
        brokerAddr: '127.0.0.1:43011',
        haAddr: '127.0.0.1:43012',
        topics,
        nameServers: { list: node.addr },
      }),
      startAgentProcess(scope, {
        name: 'broker-a-slave',
        clusterName: cluster,
        brokerName: 'broker-a',
        brokerId: 1,
        brokerAddr: '127.0.0.1:43021',
        topics,
        nameServers: { list: node.addr },
      }),
      startAgentProcess(scope, {
        name: 'broker-b-master',
        clusterName: cluster,
        brokerName: 'broker-b',
        brokerAddr: '127.0.0.1:43031',
        topics: ['TopicOrders'],
        nameServers: { list: node.addr },
      }),
    ]);
    for (const a of agents) expect(a.registered['ok']).toBe(1);
    const kv = await runNsadmin(scope, [
      'updateKvConfig',
      '-n',
      node.addr,
      '-s',
      'ORDER_TOPIC_CONFIG',
      '-k',
      'TopicOrders',
      '-v',
      'broker-a:4;broker-b:4',
    ]);
    expect(kv.code).toBe(0);

    const { page, errors } = await newPage(scope);
    await page.goto(consoleUrl(node, 'brokers'));
    const group = page.locator('[data-broker-name="broker-a"]');
    await group.waitFor();
    expect(await group.locator('table.brokers tbody tr').count()).toBe(2);
    const groupText = await group.innerText();
    expect(groupText).toContain('127.0.0.1:43011');
    expect(groupText).toContain('127.0.0.1:43021');
    expect(groupText).toContain('0 master');
    expect(groupText).toContain('1 slave');
    expect(groupText).toContain('4.9.7'); // the agent registers as a 4.9.7 broker
    expect(groupText).toMatch(/\d+(\.\d)? (ms|s) ago/);
    expect(await page.locator(`[data-cluster="${cluster}"] h2`).innerText()).toContain(cluster);
    expect(await page.locator('[data-stat="topics"] .stat-value').innerText()).toBe('3');
    await shoot(page, 'brokers');

    await page.click('nav a[data-page="topics"]');
    await page.locator('a[data-topic="TopicOrders"]').waitFor();
    expect(await page.locator('#topic-summary').innerText()).toContain('1–3 of 3 topics');
    await shoot(page, 'topics');

    await page.click('a[data-topic="TopicOrders"]');
    await page.locator('#order-conf').waitFor();
    expect(await page.locator('#order-conf').innerText()).toBe('broker-a:4;broker-b:4');
    expect(await page.locator('table.queues tbody tr').count()).toBe(2);
    expect(await page.locator('table.queues').innerText()).toContain('RW- (6)');
    await shoot(page, 'topic');

    await page.click('nav a[data-page="kv"]');
    await page.locator('[data-namespace="ORDER_TOPIC_CONFIG"]').waitFor();
    expect(await page.locator('[data-namespace="ORDER_TOPIC_CONFIG"]').innerText()).toContain(
      'broker-a:4;broker-b:4',
    );
    await shoot(page, 'kv');

    await page.click('nav a[data-page="config"]');
    await page.locator('#config-table').waitFor();
    const httpRow = page.locator('#config-table tr', { hasText: 'httpBindAddress' });
    expect(await httpRow.innerText()).toContain('--httpBindAddress');
    const levelRow = page.locator('#config-table tr', { hasText: 'logLevel' });
    expect(await levelRow.innerText()).toContain('default');
    await shoot(page, 'config');

    await page.click('nav a[data-page="metrics"]');
    // Route lookups while the page scrapes, until the request-rate chart has drawn a line.
    const probe = createProbe(scope);
    let lookups = 0;
    const drawn = page.locator('#charts figure').first().locator('path.line.s0[d*="L"]');
    while ((await drawn.count()) === 0) {
      expect(lookups, 'the request-rate chart never drew a line').toBeLessThan(2_000);
      await Promise.all(
        Array.from({ length: 10 }, () => getRoute(probe, node.addr, 'TopicOrders')),
      );
      lookups += 10;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await page.locator('#charts figure').count()).toBe(3);
    expect(await page.locator('#charts').innerText()).toContain('GET_ROUTEINFO_BY_TOPIC');
    expect(await page.locator('#metric-stats').innerText()).toContain('live brokers');
    await shoot(page, 'metrics');

    // The Prometheus text reader and quantiles, run in the browser itself.
    // (A string: vitest rewrites import() in functions it compiles, and this one runs in the page.)
    const parsed = await page.evaluate(`(async () => {
      const m = await import('/console/prom-text.js');
      const text =
        '# HELP x\\nreq_total{code="A",result="SUCCESS"} 3\\nreq_total{code="B"} 4\\n' +
        'h_bucket{le="0.001"} 0\\nh_bucket{le="0.01"} 10\\nh_bucket{le="+Inf"} 10\\n';
      const samples = m.parsePrometheusText(text);
      const before = new Map([[0.001, 0], [0.01, 0], [Infinity, 0]]);
      return {
        total: m.sum(samples, 'req_total'),
        byCode: [...m.sumBy(samples, 'req_total', 'code')],
        p50: m.quantileBetween(before, m.buckets(samples, 'h'), 0.5),
      };
    })()`);
    expect(parsed).toMatchObject({
      total: 7,
      byCode: [
        ['A', 3],
        ['B', 4],
      ],
    });
    // Half of 10 observations, all in (0.001, 0.01]: interpolated halfway into that bucket.
    expect((parsed as { p50: number }).p50).toBeCloseTo(0.0055, 10);
    expect(errors).toEqual([]);
  });

  it('finds a topic among 50,000, a page at a time', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const topics = Array.from({ length: 50_000 }, (_, i) => `Topic-${String(i).padStart(5, '0')}`);
    const broker = new RawBroker(scope, {
      clusterName: 'BigCluster',
      brokerName: 'broker-big',
      brokerId: 0,
      brokerAddr: '127.0.0.1:44011',
      haServerAddr: '127.0.0.1:44012',
      topics,
    });
    await broker.registerTo(node.addr);

    // Server side: what the topics page asks for, and what the old full list costs.
    const base = `http://127.0.0.1:${node.httpPort}`;
    const timed = async (path: string) => {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        const res = await fetch(base + path);
        bytes = (await res.arrayBuffer()).byteLength;
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { path, bytes, medianMs: +times[7]!.toFixed(2), maxMs: +times[14]!.toFixed(2) };
    };
    const server = [
      await timed('/topics?q=&offset=0&limit=100'),
      await timed('/topics?q=31337&offset=0&limit=100'),
      await timed('/topics?q=topic-4&offset=5000&limit=100'),
      await timed('/topics'),
      await timed('/digest'),
    ];

    const { page, errors } = await newPage(scope);
    const t0 = Date.now();
    await page.goto(consoleUrl(node, 'topics'));
    await page.locator('a[data-topic="Topic-00000"]').waitFor();
    const firstPageMs = Date.now() - t0;
    expect(await page.locator('table.topics tbody tr').count()).toBe(100);
    expect(await page.locator('#topic-summary').innerText()).toContain('1–100 of 50,000 topics');
    await shoot(page, 'topics-50k');

    const t1 = Date.now();
    await page.fill('#topic-search', 'topic-31337');
    await page.locator('a[data-topic="Topic-31337"]').waitFor();
    const searchMs = Date.now() - t1; // includes the 150 ms typing debounce
    expect(await page.locator('table.topics tbody tr').count()).toBe(1);
    expect(await page.locator('#topic-summary').innerText()).toContain('matching "topic-31337"');
    await screenshot(page, 'topics-50k-search-desktop');

    await page.fill('#topic-search', '');
    await page.locator('a[data-topic="Topic-00000"]').waitFor();
    await page.click('#topic-next');
    await page.locator('a[data-topic="Topic-00100"]').waitFor();
    expect(await page.locator('#topic-summary').innerText()).toContain('101–200 of 50,000');

    const heap = await page.evaluate(
      () =>
        (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory
          ?.usedJSHeapSize ?? null,
    );
    const measured = { topics: topics.length, server, firstPageMs, searchMs, pageHeapBytes: heap };
    console.info(`[console] 50,000 topics: ${JSON.stringify(measured)}`);
    await writeFile(
      join(CONSOLE_ARTIFACTS_DIR, 'measurements-50k.json'),
      JSON.stringify(measured, null, 2) + '\n',
    );
    // A page of 100 out of 50,000: small, whatever the table size.
    expect(server[0]!.bytes).toBeLessThan(20_000);
    expect(errors).toEqual([]);
  });

  it('a broker killed with SIGKILL leaves the page within 2 s, without a reload', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const cluster = uniqueName('cluster');
    const [doomed, survivor] = await Promise.all(
      ['doomed', 'survivor'].map((role, i) =>
        startAgentProcess(scope, {
          name: `agent-${role}`,
          clusterName: cluster,
          brokerName: `broker-${role}`,
          brokerAddr: `127.0.0.1:${45_011 + i * 10}`,
          topics: ['TopicShared'],
          nameServers: { list: node.addr },
        }),
      ),
    );
    const { page, errors } = await newPage(scope);
    await page.goto(consoleUrl(node, 'brokers'));
    await page.locator('[data-broker-name="broker-doomed"]').waitFor();
    await page.locator('[data-broker-name="broker-survivor"]').waitFor();
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));

    const killedAt = Date.now();
    await doomed!.process.kill();
    await page
      .locator('[data-broker-name="broker-doomed"]')
      .waitFor({ state: 'detached', timeout: GONE_WITHIN_MS });
    const goneAfter = Date.now() - killedAt;
    console.info(`[console] SIGKILLed broker left the page after ${goneAfter} ms`);
    expect(goneAfter).toBeLessThan(GONE_WITHIN_MS);
    expect(await page.locator('[data-broker-name="broker-survivor"]').count()).toBe(1);
    expect(navigations).toEqual([]); // no reload
    await screenshot(page, 'brokers-after-kill-desktop');
    expect(survivor!.registered['ok']).toBe(1);
    expect(errors).toEqual([]);
  });

  it('the consistency view flags a broker registered with only 2 of 3 nodes', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'));
    const cluster = uniqueName('cluster');
    await startAgentProcess(scope, {
      name: 'agent-all',
      clusterName: cluster,
      brokerName: 'broker-everywhere',
      brokerAddr: '127.0.0.1:46011',
      topics: ['TopicA', 'TopicB'],
      nameServers: { list: addressList(nodes) },
    });
    const partial = await startAgentProcess(scope, {
      name: 'agent-two',
      clusterName: cluster,
      brokerName: 'broker-partitioned',
      brokerAddr: '127.0.0.1:46021',
      topics: ['TopicA', 'TopicC'],
      nameServers: { list: addressList(nodes.slice(0, 2)) },
    });
    expect(partial.registered['ok']).toBe(2);
    const list = nodes.map((n) => `http://127.0.0.1:${n.httpPort}`).join(';');

    const { page, errors } = await newPage(scope);
    await page.goto(consoleUrl(nodes[0]!, `consistency?nodes=${encodeURIComponent(list)}`));
    const verdict = page.locator('#consistency-verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('class')).toBe('banner error');
    expect(await verdict.innerText()).toContain('Nodes differ');
    const row = page.locator('tr.group-row[data-broker-name="broker-partitioned"]');
    expect(await row.getAttribute('class')).toContain('differs');
    const cells = await row.locator('td').allInnerTexts();
    expect(cells.map((c) => c.startsWith('missing'))).toEqual([false, false, true]);
    const healthy = page.locator('tr.group-row[data-broker-name="broker-everywhere"]');
    expect(await healthy.getAttribute('class')).not.toContain('differs');
    const lacking = `http://127.0.0.1:${nodes[2]!.httpPort}`;
    expect(
      await page.locator('#differences li[data-broker-name="broker-partitioned"]').innerText(),
    ).toContain(`is missing on ${lacking}`);
    await shoot(page, 'consistency-diverged');

    // The two nodes the broker reaches agree; the page says so on its next check.
    const two = nodes
      .slice(0, 2)
      .map((n) => `http://127.0.0.1:${n.httpPort}`)
      .join(';');
    await page.fill('#consistency-nodes', two);
    await page.click('#consistency-form button[type="submit"]');
    await page.locator('#consistency-verdict.ok').waitFor();
    expect(await page.locator('#consistency-verdict').innerText()).toContain('All 2 nodes agree');
    await screenshot(page, 'consistency-agree-desktop');
    expect(errors).toEqual([]);
  });

  it('topics: a page past the end, topics named . and .., a search typed before leaving', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const broker = new RawBroker(scope, {
      clusterName: 'DotCluster',
      brokerName: 'broker-dots',
      brokerId: 0,
      brokerAddr: '127.0.0.1:47011',
      haServerAddr: '127.0.0.1:47012',
      topics: ['TopicA', 'TopicB', 'TopicC', '.', '..'],
    });
    await broker.registerTo(node.addr);
    const { page, errors } = await newPage(scope);
    const summary = page.locator('#topic-summary');
    const loaded = () => page.locator('#topic-summary', { hasNotText: 'Loading…' }).waitFor();

    // A stale link past the end opens the last real page, and the address says so.
    await page.goto(consoleUrl(node, 'topics?offset=500'));
    await loaded();
    expect(await summary.innerText()).toContain('1–5 of 5 topics');
    expect(await page.locator('table.topics tbody tr').count()).toBe(5);
    expect(new URL(page.url()).hash).toBe('#/topics');
    await page.goto(consoleUrl(node, 'topics?q=topic&offset=300'));
    await loaded();
    expect(await summary.innerText()).toContain('1–3 of 3 matching "topic"');
    expect(new URL(page.url()).hash).toBe('#/topics?q=topic');

    // `/topics/..` is `/` to any browser: the page asks by query, and shows the topic.
    for (const topic of ['..', '.']) {
      await page.goto(consoleUrl(node, 'topics'));
      await page.click(`a[data-topic="${topic}"]`);
      const queues = page.locator('#topic-detail table.queues tbody tr');
      await queues.first().waitFor();
      expect(await queues.innerText()).toContain('broker-dots');
    }
    // An answer that is not a topic detail is an error on the page, not a TypeError.
    const topicA = (url: URL) =>
      url.pathname === '/topics' && url.searchParams.get('name') === 'TopicA';
    await page.route(topicA, (route) => route.fulfill({ json: { endpoints: [] } }));
    await page.goto(consoleUrl(node, 'topic/TopicA'));
    const notRoute = page.locator('#topic-detail .status.error');
    await notRoute.waitFor();
    expect(await notRoute.innerText()).toContain('not a topic route');
    await page.unroute(topicA);

    // A search typed just before leaving must not load, nor rewrite the address, afterwards.
    await page.goto(consoleUrl(node, 'topics'));
    await page.locator('table.topics').waitFor();
    const searches = requestsTo(page, '/topics');
    // (Strings run in the page: this file has no DOM types.)
    await page.evaluate(`{
      const input = document.getElementById('topic-search');
      input.value = 'TopicB';
      input.dispatchEvent(new Event('input'));
      location.hash = '#/config';
    }`);
    await page.locator('#config-table').waitFor();
    await pageTimers(page, 500); // past the search box's 150 ms debounce
    expect(new URL(page.url()).hash).toBe('#/config');
    expect(await page.locator('h1').innerText()).toBe('Configuration');
    expect(searches.map((r) => r.url())).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('KV: a namespace of 3,000 keys draws 500 rows, and the filter finds the rest', async () => {
    const scope = useScope();
    const dataDir = await scope.tempDir('kv-big');
    const big: Record<string, string> = {};
    for (let i = 0; i < 3_000; i++) big[`key-${String(i).padStart(5, '0')}`] = `value-${i}`;
    await writeFile(
      join(dataDir, 'kvConfig.json'),
      JSON.stringify({ configTable: { BIG_NS: big, SMALL_NS: { a: '1', b: '2' } } }),
    );
    const node = await startNameServer(scope, { name: uniqueName('ns'), dataDir });
    const { page, errors } = await newPage(scope);
    await page.goto(consoleUrl(node, 'kv'));
    const bigNs = page.locator('[data-namespace="BIG_NS"]');
    await bigNs.waitFor();
    expect(await bigNs.locator('tbody tr').count()).toBe(500);
    expect(await bigNs.locator('h2').innerText()).toContain('3,000 keys');
    expect(await bigNs.locator('[data-more]').innerText()).toContain('2,500 more keys not shown');
    expect(await page.locator('[data-namespace="SMALL_NS"] tbody tr').count()).toBe(2);

    // A key past the first 500, found by the filter.
    await page.fill('#kv-filter', 'key-02999');
    await bigNs.locator('tbody tr', { hasText: 'value-2999' }).waitFor();
    expect(await bigNs.locator('tbody tr').count()).toBe(1);
    expect(await bigNs.locator('[data-more]').count()).toBe(0);
    expect(await page.locator('[data-namespace="SMALL_NS"]').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('a node that stops answering shows as stale, not live, and live again after', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const { page, errors } = await newPage(scope);
    await page.goto(consoleUrl(node, 'brokers'));
    const status = page.locator('#live-status');
    await page.locator('#live-status', { hasText: 'Live' }).waitFor();
    await page.locator('[data-stat="digest"]').waitFor();

    // The node hangs: its /digest reads never answer. Within the read timeout (5 s) and a poll
    // the status line says so; the last answer stays shown.
    const hang = await holdRequests(page, '**/digest');
    await page.locator('#live-status[data-stale]').waitFor({ timeout: 20_000 });
    expect(await status.innerText()).toMatch(
      /^No answer for \d+(\.\d)? s \(\/digest: no answer within 5 s\)/,
    );
    expect(await status.getAttribute('class')).toBe('status error');
    expect(await page.locator('[data-stat="digest"]').count()).toBe(1);

    await hang.release();
    await page.locator('#live-status:not([data-stale])', { hasText: 'Live' }).waitFor({
      timeout: 20_000,
    });
    expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });

  it('leaving the consistency page before /config answers starts no check', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const { page, errors } = await newPage(scope);
    await page.goto(consoleUrl(node, 'brokers'));
    await page.locator('#live-status', { hasText: 'Live' }).waitFor();
    // Compared before: the list comes from this browser once /config has answered.
    await page.evaluate(
      `localStorage.setItem('ns-console.consistencyNodes', 'http://127.0.0.1:${node.httpPort}')`,
    );
    const checks = requestsTo(page, '/consistency');
    const slowConfig = await holdRequests(page, '**/config');
    const configAsked = page.waitForRequest((r) => new URL(r.url()).pathname === '/config');
    await page.evaluate(`location.hash = '#/consistency'`);
    await configAsked;
    await page.evaluate(`location.hash = '#/brokers'`);
    await page.locator('#live-status', { hasText: 'Live' }).waitFor();
    await slowConfig.release();
    // Two Brokers refreshes after /config was let through: a check started by its answer
    // would have asked the node by then.
    for (let i = 0; i < 2; i++) {
      await page.waitForResponse((r) => new URL(r.url()).pathname === '/digest');
    }
    expect(checks.map((r) => r.url())).toEqual([]);
    expect(new URL(page.url()).hash).toBe('#/brokers');
    expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });

  it('consistency: a check of another list (503) keeps the last result shown', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 2, uniqueName('ns'));
    const hung = await hungNode(scope);
    const [a, b] = nodes.map((n) => `http://127.0.0.1:${n.httpPort}`);
    const { page, errors } = await newPage(scope);
    const busy: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/consistency' && r.status() === 503) busy.push(Date.now());
    });
    await page.goto(consoleUrl(nodes[0]!, `consistency?nodes=${encodeURIComponent(`${a};${b}`)}`));
    await page.locator('#consistency-verdict.ok').waitFor();

    // Another console checks a list with a hung node on the same node: each check takes the
    // node's 3 s read timeout, and this page's re-checks (every 2 s) meet one running.
    let other = true;
    const otherConsole = (async () => {
      while (other) {
        await fetch(`${a}/consistency?nodes=${encodeURIComponent(`${a};${hung}`)}`).then(
          (r) => r.arrayBuffer(),
          () => undefined,
        );
      }
    })();
    try {
      // The page's state at the moment it says so, read in one go inside the page.
      const kept = await untilInPage(
        page,
        `(() => {
          const status = document.getElementById('consistency-status')?.textContent ?? '';
          return status.includes('busy checking another node list')
            ? {
                status,
                verdict: document.getElementById('consistency-verdict')?.className,
                matrix: document.getElementById('consistency-matrix') !== null,
              }
            : null;
        })()`,
        30_000,
      );
      expect(kept).toEqual({
        status: expect.stringContaining('the last check stays shown; trying again in 1 s'),
        verdict: 'banner ok',
        matrix: true,
      });
    } finally {
      other = false;
      await otherConsole;
    }
    expect(busy.length).toBeGreaterThan(0);
    // Its turn comes: the page checks again (after Retry-After) and is current.
    await page.locator('#consistency-status', { hasText: 'Checked at' }).waitFor({
      timeout: 20_000,
    });
    expect(await page.locator('#consistency-verdict').getAttribute('class')).toBe('banner ok');
    expect(errors.filter((e) => !e.includes('503'))).toEqual([]);
  });

  it('consistency: unreadable nodes, differences not listed, topics not looked into', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const self = `http://127.0.0.1:${node.httpPort}`;
    // A listed address where something else answers: read, but not a digest.
    const other = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"hello":"world"}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    scope.defer('close the other service', () => closeServer(other));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const { page, errors } = await newPage(scope);
    await page.goto(
      consoleUrl(node, `consistency?nodes=${encodeURIComponent(`${self};${otherUrl}`)}`),
    );
    await page.locator('#consistency-verdict.warn').waitFor();
    const failed = page.locator(`[data-failed-node="${otherUrl}"]`);
    expect(await failed.innerText()).toContain(`${otherUrl} unreadable: `);
    expect(await page.locator('#consistency').innerText()).not.toMatch(/unreachable/i);

    // A report as the node writes it past its limits (made up here: 1,000 real differences).
    const digest = (n: string) => ({
      node: n,
      digest: {
        format: 1,
        digest: n === 'a' ? 'aaaa' : 'bbbb',
        topicCount: 1,
        clusters: [{ clusterName: 'c', brokerNames: ['x'] }],
        brokerGroups: [
          { brokerName: 'x', cluster: 'c', brokerAddrs: {}, topicCount: 1, topicsHash: n },
        ],
        brokers: [],
      },
    });
    const differs = (brokerName: string, unexplained: string) => ({
      kind: 'topics-differ',
      brokerName,
      values: [
        { node: 'a', topicCount: 1, topicsHash: 'a' },
        { node: 'b', topicCount: 1, topicsHash: 'b' },
      ],
      topics: null,
      moreTopics: 0,
      unexplained,
    });
    await page.route('**/consistency?*', (route) =>
      route.fulfill({
        json: {
          nodes: [],
          digests: [digest('a'), digest('b')],
          failures: [
            { node: 'c', adminUrl: 'http://c', error: 'GET http://c/digest: not a digest' },
          ],
          report: {
            agree: false,
            nodes: [],
            differences: [
              differs('x', 'unreadable'),
              differs('y', 'limit'),
              differs('z', 'deadline'),
            ],
            moreDifferences: 1234,
          },
        },
      }),
    );
    await page.click('#consistency-form button[type="submit"]');
    await page.locator('#more-differences').waitFor();
    expect(await page.locator('#more-differences').innerText()).toBe(
      '… and 1,234 more differences (not listed)',
    );
    expect(await page.locator('#consistency-verdict').innerText()).toBe(
      'Nodes differ: 1,237 difference(s).',
    );
    const reason = (kind: string) => page.locator(`[data-unexplained="${kind}"]`).innerText();
    expect(await reason('unreadable')).toContain('could not be read from every node');
    expect(await reason('limit')).toContain('more broker names differ than one check looks into');
    expect(await reason('deadline')).toContain('ran out of time');
    expect(await page.locator('[data-failed-node="c"]').innerText()).toBe(
      'c unreadable: GET http://c/digest: not a digest',
    );
    expect(errors).toEqual([]);
  });
});
