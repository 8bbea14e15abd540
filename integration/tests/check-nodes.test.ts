/**
 * `nsadmin checkNodes` against three real node processes: identical nodes exit 0; a broker agent
 * that registers with only two of them (a broker partitioned from a node) exits 1 and names the
 * broker and the node that lacks it; a node that cannot be read exits 2.
 */
import { describe, expect, it } from 'vitest';
import { startAgentProcess } from '../harness/broker-agent.js';
import { addressList, startNameServers } from '../harness/name-server.js';
import type { NameServerNode } from '../harness/name-server.js';
import { runNsadmin } from '../harness/nsadmin.js';
import { uniqueName, useScope } from '../harness/scope.js';
import { waitFor } from '../harness/wait-for.js';

/** The nodes listen on port 0, so their admin ports are named explicitly (http:// entries). */
function adminList(nodes: readonly NameServerNode[]): string {
  return nodes.map((n) => `http://127.0.0.1:${n.httpPort}`).join(';');
}

describe('nsadmin checkNodes', () => {
  it('0 when the nodes agree, 1 naming the broker and the node that lacks it, 2 when unreadable', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'));
    const cluster = uniqueName('cluster');
    const everywhere = await startAgentProcess(scope, {
      name: 'agent-everywhere',
      clusterName: cluster,
      brokerName: uniqueName('broker-all'),
      brokerAddr: '127.0.0.1:42011',
      topics: ['TopicA', 'TopicB'],
      nameServers: { list: addressList(nodes) },
    });
    expect(everywhere.registered['ok']).toBe(3);
    const list = adminList(nodes);

    const agree = await runNsadmin(scope, ['checkNodes', '-n', list]);
    expect(agree.stderr).toBe('');
    expect(agree.code).toBe(0);
    expect(agree.stdout).toMatch(/^OK: all 3 nodes agree \(digest [0-9a-f]{8}\)$/m);

    // A broker that reaches only the first two nodes.
    const partial = await startAgentProcess(scope, {
      name: 'agent-partial',
      clusterName: cluster,
      brokerName: uniqueName('broker-two'),
      brokerAddr: '127.0.0.1:42021',
      topics: ['TopicA', 'TopicC'],
      nameServers: { list: addressList(nodes.slice(0, 2)) },
    });
    expect(partial.registered['ok']).toBe(2);
    const lacking = `http://127.0.0.1:${nodes[2]!.httpPort}`;
    const diverged = await runNsadmin(scope, ['checkNodes', '-n', list]);
    expect(diverged.code).toBe(1);
    expect(diverged.stderr).toBe('nsadmin: checkNodes: the nodes differ (1 difference)');
    expect(diverged.stdout).toContain('DIVERGENCE: 1 difference');
    expect(diverged.stdout).toContain(
      `broker ${partial.spec.brokerName} (cluster ${cluster}, 0=127.0.0.1:42021) is missing on ${lacking} (present on http://127.0.0.1:${nodes[0]!.httpPort}, http://127.0.0.1:${nodes[1]!.httpPort})`,
    );

    const json = await runNsadmin(scope, ['checkNodes', '-n', list, '--json']);
    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout);
    expect(result.report.agree).toBe(false);
    expect(result.report.differences).toEqual([
      expect.objectContaining({
        kind: 'brokerName-missing',
        brokerName: partial.spec.brokerName,
        missingOn: [lacking],
      }),
    ]);

    // Only the two nodes the broker reaches: they agree.
    const two = await runNsadmin(scope, ['checkNodes', '-n', adminList(nodes.slice(0, 2))]);
    expect(two.code).toBe(0);

    // A node that is down: exit 2, the others still compared. (Its port refuses at once; the
    // timeout bounds the live nodes' answers, so it leaves room for a loaded machine.)
    await nodes[2]!.process.kill();
    const down = await runNsadmin(scope, ['checkNodes', '-n', list, '--timeout', '10000']);
    expect(down.code).toBe(2);
    expect(down.stderr).toBe(`nsadmin: checkNodes: cannot read 1 of 3 node(s): ${lacking}`);
    expect(down.stdout).toContain(`FAILED ${lacking}: GET ${lacking}/digest:`);
    expect(down.stdout).toContain('OK: the 2 readable nodes agree');
  });

  it('a topic deleted on one node only is named, with the node that lacks it', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 2, uniqueName('ns'));
    const agent = await startAgentProcess(scope, {
      name: 'agent',
      clusterName: uniqueName('cluster'),
      brokerName: uniqueName('broker'),
      brokerAddr: '127.0.0.1:42031',
      topics: ['Kept', 'DeletedOnOne'],
      nameServers: { list: addressList(nodes) },
    });
    expect(agent.registered['ok']).toBe(2);
    const del = await runNsadmin(scope, [
      'deleteTopic',
      '-n',
      nodes[1]!.addr,
      '-t',
      'DeletedOnOne',
    ]);
    expect(del.code).toBe(0);
    const list = adminList(nodes);
    const res = await waitFor(
      async () => {
        const r = await runNsadmin(scope, ['checkNodes', '-n', list]);
        return r.code === 1 ? r : null;
      },
      { timeout: 10_000, interval: 200, what: 'checkNodes to see the deleted topic' },
    );
    expect(res.stdout).toContain(`broker ${agent.spec.brokerName} has different topics:`);
    expect(res.stdout).toContain(
      `  topic DeletedOnOne: http://127.0.0.1:${nodes[0]!.httpPort}: r4/w4 RW-; http://127.0.0.1:${nodes[1]!.httpPort}: missing`,
    );
  });

  it('usage errors exit 2 with one line', async () => {
    const scope = useScope();
    const comma = await runNsadmin(scope, ['checkNodes', '-n', '127.0.0.1:9876,127.0.0.1:9877']);
    expect(comma.code).toBe(2);
    expect(comma.stderr).toBe(
      "nsadmin: checkNodes: -n (--namesrvAddr): '127.0.0.1:9876,127.0.0.1:9877': separate nodes with ';', not ','",
    );
    const port = await runNsadmin(scope, ['checkNodes', '-n', 'a:1', '--httpPort', 'x']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("--httpPort: expected an integer 1..65535, got 'x'");
  });
});
