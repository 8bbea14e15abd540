/**
 * The web console in real headless Chromium against real node processes: every page renders a
 * node with registered brokers (desktop and phone screenshots under artifacts/console/), search
 * finds one topic among 50,000, a SIGKILLed broker leaves the page without a reload within 2 s,
 * and the consistency view flags a broker registered with only 2 of 3 nodes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startAgentProcess } from '../harness/broker-agent.js';
import {
  CONSOLE_ARTIFACTS_DIR,
  probeChromium,
  screenshot,
  startBrowser,
  VIEWPORTS,
} from '../harness/browser.js';
import { addressList, startNameServer, startNameServers } from '../harness/name-server.js';
import type { NameServerNode } from '../harness/name-server.js';
import { runNsadmin } from '../harness/nsadmin.js';
import { createProbe, getRoute } from '../harness/probe.js';
import { RawBroker } from '../harness/raw-broker.js';
import { uniqueName, useScope } from '../harness/scope.js';
import type { TestScope } from '../harness/scope.js';

const chromium = await probeChromium();
if ('reason' in chromium) {
  console.warn(`[console] SKIPPING the console browser tests: ${chromium.reason}`);
}
const executablePath = 'path' in chromium ? chromium.path : '';

/** The broker page polls every second; 2 s is the promise to operators. */
const GONE_WITHIN_MS = 2_000;

function consoleUrl(node: NameServerNode, hash: string): string {
  return `http://127.0.0.1:${node.httpPort}/console/#/${hash}`;
}

async function newPage(scope: TestScope, viewport: keyof typeof VIEWPORTS = 'desktop') {
  const browser = await startBrowser(scope, executablePath);
  const page = await browser.newPage({ viewport: VIEWPORTS[viewport] });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return { browser, page, errors };
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

describe.skipIf('reason' in chromium)('web console (headless Chromium)', () => {
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
});
