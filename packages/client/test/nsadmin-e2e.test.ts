/**
 * Every nsadmin verb against two real in-process NameServer nodes, through main() with captured
 * output, in table and --json form.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemotingClient } from '../src/remoting/remoting-client.js';
import { runCli } from './helpers/cli-io.js';
import type { RealNameServer } from './helpers/real-name-server.js';
import { registerBroker, startRealNameServer } from './helpers/real-name-server.js';

const id = randomUUID().slice(0, 8);
const CLUSTER = `Cluster_${id}`;
const BROKER = `broker-${id}`;
const TOPIC = `Topic_${id}`;

let nodes: RealNameServer[] = [];
let list = '';
let remoting: RemotingClient;

beforeAll(async () => {
  nodes = [await startRealNameServer(), await startRealNameServer()];
  list = nodes.map((n) => n.addr).join(';');
  // Kept open: a broker's connection closing unregisters it (Java channel-destroy rule).
  remoting = new RemotingClient();
  for (const n of nodes) {
    await registerBroker(remoting, n.addr, {
      clusterName: CLUSTER,
      brokerName: BROKER,
      brokerAddr: '127.0.0.1:31911',
      topics: [TOPIC, `%RETRY%group_${id}`, `%DLQ%group_${id}`],
    });
  }
});

afterAll(async () => {
  await remoting.close();
  for (const n of nodes) await n.close();
});

const ok = async (argv: string[], env: Record<string, string> = {}): Promise<string> => {
  const r = await runCli(argv, env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
};

describe('nsadmin end to end', () => {
  it('clusterList prints a table, and JSON with --json; NAMESRV_ADDR works like -n', async () => {
    const table = await ok(['clusterList', '-n', list]);
    expect(table.split('\n')[0]).toMatch(/^#Cluster Name\s+#Broker Name\s+#BID\s+#Addr$/);
    expect(table).toMatch(new RegExp(`${CLUSTER}\\s+${BROKER}\\s+0\\s+127\\.0\\.0\\.1:31911`));
    const json = JSON.parse(await ok(['clusterList', '--json'], { NAMESRV_ADDR: list }));
    expect(json.clusterAddrTable[CLUSTER]).toEqual([BROKER]);
    expect(json.brokerAddrTable[BROKER].brokerAddrs).toEqual({ '0': '127.0.0.1:31911' });
    // mqadmin 5.x's -c; verb names in any case, as mqadmin finds them.
    expect(await ok(['clusterlist', '-c', CLUSTER, '-n', list])).toContain(BROKER);
    expect(await ok(['clusterList', '-c', `Other_${id}`, '-n', list])).not.toContain(BROKER);
  });

  it('topicList prints topics, and clusters with -c', async () => {
    expect((await ok(['topicList', '-n', list])).split('\n')).toContain(TOPIC);
    const withCluster = await ok(['topicList', '-c', '-n', list]);
    expect(withCluster).toMatch(new RegExp(`${CLUSTER}\\s+${TOPIC}`));
    // As mqadmin: no retry or dead-letter topics with -c.
    expect(withCluster).not.toContain('%RETRY%');
    expect(withCluster).not.toContain('%DLQ%');
    const json = JSON.parse(await ok(['topicList', '-c', '--json', '-n', list]));
    expect(json).toContainEqual({ cluster: CLUSTER, topic: TOPIC });
  });

  it('topicRoute and topicClusterList show the route', async () => {
    // -l (mqadmin's list format) is accepted; option values are trimmed as mqadmin trims them.
    const table = await ok(['topicRoute', '-l', '-t', ` ${TOPIC} `, '-n', list]);
    expect(table).toMatch(new RegExp(`${BROKER}\\s+${CLUSTER}\\s+0\\s+127\\.0\\.0\\.1:31911`));
    expect(table).toMatch(new RegExp(`${BROKER}\\s+4\\s+4\\s+RW- \\(6\\)`));
    const json = JSON.parse(await ok(['topicRoute', '--json', '-t', TOPIC, '-n', list]));
    expect(json.queueDatas[0]).toMatchObject({ brokerName: BROKER, writeQueueNums: 4, perm: 6 });
    expect(await ok(['topicClusterList', '-t', TOPIC, '-n', list])).toBe(`${CLUSTER}\n`);
    const missing = await runCli(['topicRoute', '-t', `Nope_${id}`, '-n', list]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('TOPIC_NOT_EXIST (code 17)');
  });

  it('updateKvConfig and deleteKvConfig reach every node', async () => {
    const put = await ok(['updateKvConfig', '-s', `NS_${id}`, '-k', 'k', '-v', 'v', '-n', list]);
    for (const n of nodes) {
      expect(put).toContain(`create or update kv config to namespace success. [${n.addr}]`);
    }
    const del = JSON.parse(
      await ok(['deleteKvConfig', '--json', '-s', `NS_${id}`, '-k', 'k', '-n', list]),
    );
    expect(del).toEqual(nodes.map((n) => ({ addr: n.addr, ok: true, value: null })));
  });

  it('getKvConfig and getKvList read back what updateKvConfig wrote, from every node', async () => {
    const ns = `KV_${id}`;
    await ok(['updateKvConfig', '-s', ns, '-k', 'b', '-v', 'broker-a:4;broker-b:4', '-n', list]);
    await ok(['updateKvConfig', '-s', ns, '-k', 'a', '-v', '1', '-n', list]);

    const table = await ok(['getKvConfig', '-s', ns, '-k', 'b', '-n', list]);
    expect(table.split('\n')[0]).toMatch(/^#Name Server\s+#Value$/);
    for (const n of nodes) {
      expect(table).toMatch(new RegExp(`${n.addr}\\s+broker-a:4;broker-b:4\\n`));
    }
    const json = JSON.parse(await ok(['getKvConfig', '--json', '-s', ns, '-k', 'a', '-n', list]));
    expect(json).toEqual(nodes.map((n) => ({ addr: n.addr, ok: true, value: '1' })));

    const all = await ok(['getKvList', '-s', ns, '-n', list]);
    expect(all.split('\n')[0]).toMatch(/^#Name Server\s+#Key\s+#Value$/);
    for (const n of nodes) {
      // Keys sorted within each node.
      expect(all).toMatch(
        new RegExp(`${n.addr}\\s+a\\s+1\\n${n.addr}\\s+b\\s+broker-a:4;broker-b:4\\n`),
      );
    }
    const listJson = JSON.parse(await ok(['getKvList', '--json', '-s', ns, '-n', list]));
    expect(listJson).toEqual(
      nodes.map((n) => ({ addr: n.addr, ok: true, value: { a: '1', b: 'broker-a:4;broker-b:4' } })),
    );
  });

  it('getKvList --json keeps a key named __proto__', async () => {
    const ns = `PROTO_${id}`;
    await ok(['updateKvConfig', '-s', ns, '-k', '__proto__', '-v', 'x', '-n', list]);
    await ok(['updateKvConfig', '-s', ns, '-k', 'k', '-v', 'v', '-n', list]);
    const text = await ok(['getKvList', '--json', '-s', ns, '-n', list]);
    const json = JSON.parse(text) as { value: Record<string, unknown> }[];
    expect(json).toHaveLength(nodes.length);
    for (const entry of json) {
      expect(Object.keys(entry.value).sort()).toEqual(['__proto__', 'k']);
      expect(Object.getOwnPropertyDescriptor(entry.value, '__proto__')?.value).toBe('x');
    }
  });

  it('getKvConfig and getKvList exit 1 naming the nodes that lack the item', async () => {
    const ns = `KV_${id}_partial`;
    // Only on the first node: KV is not replicated between name servers.
    await ok(['updateKvConfig', '-s', ns, '-k', 'k', '-v', 'v', '-n', nodes[0]!.addr]);

    const partial = await runCli(['getKvConfig', '-s', ns, '-k', 'k', '-n', list]);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(new RegExp(`${nodes[0]!.addr}\\s+v\\n`));
    expect(partial.stdout).toMatch(new RegExp(`${nodes[1]!.addr}\\s+\\(not found\\)\\n`));
    expect(partial.stderr).toBe(
      `nsadmin: getKvConfig: no key 'k' in namespace '${ns}' on 1 of 2 name server(s): ${nodes[1]!.addr}\n`,
    );

    const missingJson = await runCli(['getKvConfig', '--json', '-s', ns, '-k', 'nope', '-n', list]);
    expect(missingJson.code).toBe(1);
    expect(JSON.parse(missingJson.stdout)).toEqual(
      nodes.map((n) => ({ addr: n.addr, ok: true, value: null })),
    );

    const noNamespace = await runCli(['getKvList', '-s', `${ns}_none`, '-n', list]);
    expect(noNamespace.code).toBe(1);
    expect(noNamespace.stdout).toMatch(
      new RegExp(`${nodes[0]!.addr}\\s+-\\s+\\(namespace not found\\)`),
    );
    expect(noNamespace.stderr).toContain(`no namespace '${ns}_none' on 2 of 2 name server(s)`);
  });

  it('accepts the global options before the command', async () => {
    const json = JSON.parse(await ok(['-n', list, '--json', 'clusterList']));
    expect(json.clusterAddrTable[CLUSTER]).toEqual([BROKER]);
    const route = await ok(['--namesrvAddr', list, 'topicRoute', '-t', TOPIC]);
    expect(route).toContain(BROKER);
    const eq = JSON.parse(
      await ok([
        `--namesrvAddr=${list}`,
        '--timeout',
        '3000',
        'topicClusterList',
        '-t',
        TOPIC,
        '--json',
      ]),
    );
    expect(eq).toEqual([CLUSTER]);
  });

  it('getNamesrvConfig prints each node, updateNamesrvConfig changes each node', async () => {
    const update = await ok([
      'updateNamesrvConfig',
      '-k',
      'orderMessageEnable',
      '-v',
      'true',
      '-n',
      list,
    ]);
    for (const n of nodes)
      expect(update).toContain(`update name server config success![${n.addr}]`);
    const text = await ok(['getNamesrvConfig', '-n', list]);
    for (const n of nodes) expect(text).toContain(`============${n.addr}============`);
    expect(text).toMatch(/orderMessageEnable\s+=\s+true/);
    const json = JSON.parse(await ok(['getNamesrvConfig', '--json', '-n', list]));
    expect(json.map((r: { value: Record<string, string> }) => r.value.orderMessageEnable)).toEqual([
      'true',
      'true',
    ]);
    const denied = await runCli([
      'updateNamesrvConfig',
      '-k',
      'kvConfigPath',
      '-v',
      '/tmp/x',
      '-n',
      list,
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toContain('NO_PERMISSION (code 16) from');
    expect(denied.stderr).toContain('failed on 2 of 2');
  });

  it('wipeWritePerm and addWritePerm report per-node counts', async () => {
    // A stray blank (a script, a copy-paste) must not turn the fence into a silent no-op.
    const wipe = await ok(['wipeWritePerm', '-b', `${BROKER} `, '-n', list]);
    for (const n of nodes) {
      expect(wipe).toContain(
        `wipe write perm of broker[${BROKER}] in name server[${n.addr}] OK, 3`,
      );
    }
    const add = await ok(['addWritePerm', '-b', BROKER, '-n', list]);
    for (const n of nodes) {
      expect(add).toContain(`add write perm of broker[${BROKER}] in name server[${n.addr}] OK, 3`);
    }
  });

  it('deleteTopic removes the route from every node', async () => {
    const out = await ok(['deleteTopic', '-t', TOPIC, '-c', CLUSTER, '-n', list]);
    for (const n of nodes) expect(out).toContain(`from NameServer [${n.addr}] success.`);
    for (const n of nodes) {
      const r = await runCli(['topicRoute', '-t', TOPIC, '-n', n.addr]);
      expect(r.code).toBe(1);
    }
  });
});
