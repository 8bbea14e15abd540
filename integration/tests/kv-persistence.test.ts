/**
 * Scenario 5: KV config written and deleted through the `nsadmin` CLI reaches every node and
 * survives a restart of every node on the same kvConfigPath — one node crashed with SIGKILL right
 * after the writes (Java persists on every change, so nothing acknowledged may be lost), the
 * others stopped with SIGTERM.
 *
 * Run with single-process nodes and with nodes of two serving workers. With workers, nsadmin's
 * writes reach a worker, which forwards them to the owner; the owner persists them and answers
 * once every worker reflects them. So the values are read on every worker of every node, right
 * after the writes and again after the restarts (which keep the worker count).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ORDER_TOPIC_CONFIG_NAMESPACE } from '@ns/protocol';
import { addressList, restartNameServer, startNameServers } from '../harness/name-server.js';
import { runNsadmin } from '../harness/nsadmin.js';
import { getKvConfig } from '../harness/probe.js';
import { uniqueName, useScope } from '../harness/scope.js';
import { readersOf } from '../harness/serving-workers.js';
import type { NodeReader } from '../harness/serving-workers.js';

describe.each([1, 2])('KV config through nsadmin (W=%i)', (workers) => {
  it('is written to every node and survives a restart of every node', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'), { servingWorkers: workers });
    const list = addressList(nodes);
    // Opened before the writes, so the first reads follow the acknowledgements at once.
    const readers = await readersOf(scope, nodes);
    expect(readers).toHaveLength(nodes.length * workers);
    const namespace = uniqueName('NS');
    const entries: [string, string, string][] = [
      [ORDER_TOPIC_CONFIG_NAMESPACE, uniqueName('topic'), 'broker-a:4;broker-b:4'],
      [namespace, 'plain', 'a value with spaces = and ; separators'],
      [namespace, 'unicode', 'données 数据'],
    ];
    const doomed: [string, string] = [namespace, 'deleted-later'];

    for (const [ns, key, value] of [...entries, [...doomed, 'x'] as [string, string, string]]) {
      const put = await runNsadmin(scope, [
        'updateKvConfig',
        '-n',
        list,
        '-s',
        ns,
        '-k',
        key,
        '-v',
        value,
      ]);
      expect(put.code, put.stderr).toBe(0);
      // One success line per node, naming it.
      for (const node of nodes) expect(put.stdout).toContain(node.addr);
    }
    const del = await runNsadmin(scope, [
      'deleteKvConfig',
      '-n',
      list,
      '-s',
      doomed[0],
      '-k',
      doomed[1],
    ]);
    expect(del.code, del.stderr).toBe(0);

    const expectKv = async (on: readonly NodeReader[]) => {
      for (const r of on) {
        for (const [ns, key, value] of entries) {
          expect(await getKvConfig(r.client, r.addr, ns, key), `${ns}/${key} on ${r.label}`).toBe(
            value,
          );
        }
        expect(
          await getKvConfig(r.client, r.addr, ...doomed),
          `deleted key on ${r.label}`,
        ).toBeNull();
      }
    };
    await expectKv(readers);
    for (const node of nodes) expect(existsSync(node.kvConfigPath)).toBe(true);

    // Restart every node on its own kvConfigPath: node 1 crashes, the others stop cleanly.
    const restarted = await Promise.all(
      nodes.map((node, i) => restartNameServer(scope, node, { crash: i === 0, newPort: true })),
    );
    const restartedReaders = await readersOf(scope, restarted);
    expect(restartedReaders).toHaveLength(nodes.length * workers);
    await expectKv(restartedReaders);
  });
});
