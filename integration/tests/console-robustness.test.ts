/**
 * The web console against what brokers and nodes may legally send it, in headless Chromium: a
 * DataVersion timestamp past what a JavaScript Date holds, one row of odd data among good ones,
 * a broker group registered under two clusters, thousands of KV namespaces, and a node with
 * aclEnable=true (its /config closed) whose Consistency page must still find its node list.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { launchSharedChromium } from '../harness/browser.js';
import { startNameServer } from '../harness/name-server.js';
import type { NameServerNode } from '../harness/name-server.js';
import { RawBroker, registerBrokerBody } from '../harness/raw-broker.js';
import type { BrokerSpec } from '../harness/raw-broker.js';
import { uniqueName, useScope } from '../harness/scope.js';
import type { TestScope } from '../harness/scope.js';

// One Chromium for the whole file (a launch per test cost seconds each); each test gets its own
// context (storage, routes) and page.
const launched = await launchSharedChromium();
if ('reason' in launched) {
  console.warn(`[console-robustness] SKIPPING the console browser tests: ${launched.reason}`);
}
afterAll(async () => {
  if ('chromium' in launched) await launched.chromium.close();
});

/** A DataVersion timestamp a Java long holds and a Date does not (year ~287,000). */
const FAR_TIMESTAMP = 9_000_000_000_000_000;

function consoleUrl(node: NameServerNode, hash: string): string {
  return `http://127.0.0.1:${node.httpPort}/console/#/${hash}`;
}

/** A page in its own browser context (closed at test cleanup), its errors collected. */
async function newPage(scope: TestScope) {
  if (!('chromium' in launched)) throw new Error(`no Chromium: ${launched.reason}`);
  const page = await launched.chromium.newPage(scope, 'desktop');
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

function spec(over: Partial<BrokerSpec> & Pick<BrokerSpec, 'brokerName'>): BrokerSpec {
  return {
    clusterName: 'RobustCluster',
    brokerId: 0,
    brokerAddr: '127.0.0.1:48011',
    haServerAddr: '127.0.0.1:48012',
    topics: ['TopicR'],
    ...over,
  };
}

/** A REGISTER_BROKER whose DataVersion timestamp is `timestamp` (RawBroker sends now). */
async function registerWithTimestamp(
  broker: RawBroker,
  addr: string,
  timestamp: number,
): Promise<void> {
  const body = JSON.parse(registerBrokerBody(broker.spec, 1).toString('utf8')) as {
    topicConfigSerializeWrapper: { dataVersion: { timestamp: number } };
  };
  body.topicConfigSerializeWrapper.dataVersion.timestamp = timestamp;
  const s = broker.spec;
  const reply = await broker.client.invoke(addr, {
    code: RequestCode.REGISTER_BROKER,
    extFields: {
      brokerName: s.brokerName,
      brokerAddr: s.brokerAddr,
      clusterName: s.clusterName,
      haServerAddr: s.haServerAddr,
      brokerId: s.brokerId,
      compressed: false,
      bodyCrc32: 0,
    },
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  });
  expect(reply.code).toBe(ResponseCode.SUCCESS);
}

describe.skipIf('reason' in launched)('web console robustness (headless Chromium)', () => {
  it('a DataVersion timestamp past the Date range is shown as it came, on every page', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    await new RawBroker(scope, spec({ brokerName: 'good-broker' })).registerTo(node.addr);
    const odd = new RawBroker(
      scope,
      spec({ brokerName: 'odd-broker', brokerAddr: '127.0.0.1:48021', topics: ['TopicO'] }),
    );
    await registerWithTimestamp(odd, node.addr, FAR_TIMESTAMP);
    const { page, errors } = await newPage(scope);

    // The formatter itself: raw numbers where a Date cannot hold them.
    // (A string: vitest rewrites import() in functions it compiles, and this one runs in the page.)
    await page.goto(consoleUrl(node, 'brokers'));
    const formatted = await page.evaluate(`import('/console/format.js').then((m) => [
      m.formatTime(${FAR_TIMESTAMP}), m.formatTime(-${FAR_TIMESTAMP}), m.formatTime(NaN),
      m.formatTime(0), m.formatTime(8.64e15), m.formatTime(1700000000000),
    ])`);
    expect(formatted).toEqual([
      '9000000000000000',
      '-',
      'NaN',
      '-',
      '+275760-09-13 00:00:00Z',
      '2023-11-14 22:13:20Z',
    ]);

    // Brokers: both groups drawn, the odd timestamp as its number.
    const oddRow = page.locator('[data-broker-name="odd-broker"] table.brokers tbody tr');
    await oddRow.waitFor();
    expect(await oddRow.innerText()).toContain(`1 · ${FAR_TIMESTAMP}`);
    expect(
      await page.locator('[data-broker-name="good-broker"] table.brokers tbody tr').innerText(),
    ).toMatch(/1 · \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
    await page.locator('#live-status', { hasText: 'Live' }).waitFor();

    // Consistency: the check is shown, the odd broker's DataVersion titled with its number.
    const self = `http://127.0.0.1:${node.httpPort}`;
    await page.goto(consoleUrl(node, `consistency?nodes=${encodeURIComponent(self)}`));
    await page.locator('#consistency-verdict.ok').waitFor();
    const oddCell = page.locator('tr.broker-row[data-broker*="127.0.0.1:48021"] td small');
    expect(await oddCell.getAttribute('title')).toBe(String(FAR_TIMESTAMP));
    expect(await page.locator('tr.group-row[data-broker-name="good-broker"]').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('one row of odd data is shown as unreadable on its own, the rest of the page drawn', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    await new RawBroker(scope, spec({ brokerName: 'good-broker' })).registerTo(node.addr);
    await new RawBroker(
      scope,
      spec({ brokerName: 'odd-broker', brokerAddr: '127.0.0.1:48021' }),
    ).registerTo(node.addr);
    const { page, errors } = await newPage(scope);

    // Brokers: the node's real answer with one broker's address an object (text nodes only:
    // drawing it throws).
    await page.route('**/brokers', async (route) => {
      const real = (await (await route.fetch()).json()) as { brokers: { brokerName: string }[] };
      for (const b of real.brokers) {
        if (b.brokerName === 'odd-broker') Object.assign(b, { brokerAddr: { odd: true } });
      }
      await route.fulfill({ json: real });
    });
    await page.goto(consoleUrl(node, 'brokers'));
    const oddGroup = page.locator('[data-broker-name="odd-broker"]');
    await oddGroup.locator('[data-draw-error]').waitFor();
    expect(await oddGroup.locator('[data-draw-error]').innerText()).toContain('broker ');
    expect(
      await page.locator('[data-broker-name="good-broker"] table.brokers tbody tr').innerText(),
    ).toContain('127.0.0.1:48011');
    expect(await page.locator('#live-status').innerText()).toContain('Live');
    await page.unroute('**/brokers');

    // Consistency: a digest whose odd broker has no DataVersion, and a difference naming none.
    const self = `http://127.0.0.1:${node.httpPort}`;
    await page.route('**/consistency?*', async (route) => {
      const real = (await (await route.fetch()).json()) as {
        digests: { digest: { brokers: { brokerName: string }[] } }[];
        report: { agree: boolean; differences: unknown[] };
      };
      for (const d of real.digests) {
        for (const b of d.digest.brokers) {
          if (b.brokerName === 'odd-broker') Object.assign(b, { dataVersion: null });
        }
      }
      real.report.agree = false;
      real.report.differences = [
        {
          kind: 'dataVersion-differs',
          brokerName: 'odd-broker',
          brokerId: 0,
          brokerAddr: '127.0.0.1:48021',
          values: [{ node: self, dataVersion: null }],
        },
        {
          kind: 'brokerName-missing',
          brokerName: 'good-broker',
          cluster: 'RobustCluster',
          presentOn: [self],
          missingOn: ['elsewhere'],
        },
      ];
      await route.fulfill({ json: real });
    });
    await page.goto(consoleUrl(node, `consistency?nodes=${encodeURIComponent(self)}`));
    await page.locator('#consistency-verdict.error').waitFor();
    expect(
      await page.locator('tr.group-row[data-broker-name="odd-broker"] [data-draw-error]').count(),
    ).toBe(1);
    expect(
      await page.locator('tr.broker-row[data-broker*="127.0.0.1:48011"]').innerText(),
    ).toContain('DataVersion 1');
    expect(
      await page
        .locator('#differences li[data-broker-name="odd-broker"] [data-draw-error]')
        .count(),
    ).toBe(1);
    expect(
      await page.locator('#differences li[data-broker-name="good-broker"]').innerText(),
    ).toContain('is missing on elsewhere');
    expect(errors).toEqual([]);
  });

  it('a broker group registered under two clusters shows each cluster its own brokers', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const master = { brokerName: 'broker-moved', brokerAddr: '127.0.0.1:48031' };
    await new RawBroker(scope, spec({ ...master, clusterName: 'c1' })).registerTo(node.addr);
    await new RawBroker(scope, spec({ ...master, clusterName: 'c2' })).registerTo(node.addr);
    await new RawBroker(
      scope,
      spec({ ...master, clusterName: 'c2', brokerId: 1, brokerAddr: '127.0.0.1:48032' }),
    ).registerTo(node.addr);
    const { page, errors } = await newPage(scope);
    await page.goto(consoleUrl(node, 'brokers'));
    const rows = (cluster: string) =>
      page.locator(`[data-cluster="${cluster}"] [data-broker-name="broker-moved"] tbody tr`);
    await rows('c2').first().waitFor();
    expect(await rows('c1').allInnerTexts()).toEqual([expect.stringContaining('127.0.0.1:48031')]);
    const c2 = await rows('c2').allInnerTexts();
    expect(c2).toHaveLength(2);
    expect(c2[0]).toContain('0 master');
    expect(c2[1]).toContain('127.0.0.1:48032');
    expect(await page.locator('[data-stat="brokers"] .stat-value').innerText()).toBe('3');
    expect(errors).toEqual([]);
  });

  it('KV: thousands of namespaces draw at most 1,000 rows in 100 sections, and say how many more', async () => {
    const scope = useScope();
    const dataDir = await scope.tempDir('kv-many');
    const keys = (n: number, prefix: string) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}-${i}`, `value-${i}`]));
    const table: Record<string, Record<string, string>> = {
      BIG_A: keys(3_000, 'a'),
      BIG_B: keys(600, 'b'),
      BIG_C: keys(600, 'c'),
    };
    for (let i = 0; i < 5_000; i++) table[`ns-${String(i).padStart(5, '0')}`] = { k: `v-${i}` };
    await writeFile(join(dataDir, 'kvConfig.json'), JSON.stringify({ configTable: table }));
    const node = await startNameServer(scope, { name: uniqueName('ns'), dataDir });
    const { page, errors } = await newPage(scope);
    await page.goto(consoleUrl(node, 'kv'));
    const more = page.locator('#kv-more');
    await more.waitFor();
    // 500 rows of BIG_A and 500 of BIG_B use up the rows: not 5,003 sections.
    expect(await page.locator('#kv section').count()).toBe(2);
    expect(await page.locator('#kv tbody tr').count()).toBe(1_000);
    expect(await page.locator('[data-namespace="BIG_B"] [data-more]').innerText()).toContain(
      '100 more keys not shown',
    );
    expect(await more.innerText()).toBe(
      '… 5,001 more namespaces (5,600 keys) not shown: filter to narrow.',
    );

    // One key each: the first 100 namespaces, then how many more match.
    await page.fill('#kv-filter', 'ns-');
    await page.locator('#kv-more', { hasText: 'matching' }).waitFor();
    expect(await page.locator('#kv section').count()).toBe(100);
    expect(await page.locator('#kv tbody tr').count()).toBe(100);
    expect(await more.innerText()).toBe(
      '… 4,900 more matching namespaces (4,900 matching keys) not shown: filter to narrow.',
    );

    // The last namespace, found by the filter.
    await page.fill('#kv-filter', 'ns-04999');
    await page.locator('[data-namespace="ns-04999"]').waitFor();
    expect(await page.locator('#kv section').count()).toBe(1);
    expect(await page.locator('#kv-more').count()).toBe(0);
    expect(await page.locator('[data-namespace="ns-04999"] tbody tr').innerText()).toContain(
      'v-4999',
    );
    expect(errors).toEqual([]);
  });

  it('with aclEnable=true (no /config) the Consistency page checks the node its own list', async () => {
    const scope = useScope();
    const other = await startNameServer(scope, { name: uniqueName('ns-other') });
    const otherUrl = `http://127.0.0.1:${other.httpPort}`;
    const dir = await scope.tempDir('acl');
    const aclFile = join(dir, 'plain_acl.yml');
    await writeFile(aclFile, 'accounts:\n  - accessKey: ops-admin\n    secretKey: a-long-secret\n');
    const node = await startNameServer(scope, {
      name: uniqueName('ns-acl'),
      extraArgs: ['--aclEnable=true', `--aclFile=${aclFile}`, `--consistencyNodes=${otherUrl}`],
    });
    const { page, errors } = await newPage(scope);
    // A list this browser compared before ACL was on: the node would refuse it (403).
    await page.goto(consoleUrl(node, 'brokers'));
    await page.evaluate(
      `localStorage.setItem('ns-console.consistencyNodes', 'http://127.0.0.1:1;http://127.0.0.1:2')`,
    );
    const checks = requestsTo(page, '/consistency');
    await page.goto(consoleUrl(node, 'consistency'));
    await page.locator('#consistency-verdict.ok').waitFor();
    expect(await page.locator('#consistency-verdict').innerText()).toContain('All 1 nodes agree');
    expect(await page.inputValue('#consistency-nodes')).toBe(otherUrl);
    expect(await page.locator(`th[data-node="${otherUrl}"]`).count()).toBe(1);

    // Compare again with the box as filled: still the node's own list, still no ?nodes=.
    const before = checks.length;
    await page.click('#consistency-form button[type="submit"]');
    await page.locator('#consistency-status', { hasText: 'Checked at' }).waitFor();
    await page.locator('#consistency-verdict.ok').waitFor();
    expect(checks.length).toBeGreaterThan(before);
    expect(checks.map((r) => new URL(r.url()).search)).toEqual(checks.map(() => ''));
    expect(new URL(page.url()).hash).toBe('#/consistency');
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
  });

  it('without /config and without consistencyNodes the page falls back to the last list compared', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: uniqueName('ns') });
    const self = `http://127.0.0.1:${node.httpPort}`;
    const { page, errors } = await newPage(scope);
    await page.route('**/config', (route) => route.abort());
    await page.goto(consoleUrl(node, 'brokers'));
    const checks = requestsTo(page, '/consistency');

    // Nothing to go by: the node has no list of its own (400), this browser none either.
    await page.goto(consoleUrl(node, 'consistency'));
    await page.locator('#consistency p.empty').waitFor();
    expect(await page.inputValue('#consistency-nodes')).toBe('');
    expect(checks.map((r) => new URL(r.url()).search)).toEqual(['']);

    // Compared before: that list, asked for with ?nodes=.
    await page.evaluate(`localStorage.setItem('ns-console.consistencyNodes', '${self}')`);
    await page.goto(consoleUrl(node, 'brokers'));
    await page.goto(consoleUrl(node, 'consistency'));
    await page.locator('#consistency-verdict.ok').waitFor();
    expect(await page.inputValue('#consistency-nodes')).toBe(self);
    expect(checks.map((r) => new URL(r.url()).search).slice(1, 3)).toEqual([
      '',
      `?nodes=${encodeURIComponent(self)}`,
    ]);
    expect(errors.filter((e) => !e.includes('400') && !e.includes('ERR_FAILED'))).toEqual([]);
  });
});
