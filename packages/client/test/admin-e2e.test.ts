/**
 * Every admin call against two real in-process NameServer nodes (fan-out writes must reach both).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseCode } from '@ns/protocol';
import { NameServerAdmin } from '../src/admin/name-server-admin.js';
import { allOk } from '../src/admin/node-result.js';
import { ResponseError } from '../src/errors.js';
import { isTopicNotExist } from '../src/topic-not-exist-error.js';
import type { RealNameServer } from './helpers/real-name-server.js';
import { registerBroker, startRealNameServer } from './helpers/real-name-server.js';

const id = randomUUID().slice(0, 8);
const CLUSTER = `Cluster_${id}`;
const BROKER_A = `broker-a-${id}`;
const BROKER_B = `broker-b-${id}`;
const TOPIC = `Topic_${id}`;
const DOOMED = `Doomed_${id}`;

let nodes: RealNameServer[] = [];
let admin: NameServerAdmin;

beforeAll(async () => {
  nodes = [await startRealNameServer(), await startRealNameServer()];
  admin = new NameServerAdmin({ namesrvAddr: nodes.map((n) => n.addr), env: {} });
  for (const n of nodes) {
    await registerBroker(admin.client.remoting, n.addr, {
      clusterName: CLUSTER,
      brokerName: BROKER_A,
      brokerAddr: '127.0.0.1:30911',
      topics: [TOPIC, DOOMED],
    });
    await registerBroker(admin.client.remoting, n.addr, {
      clusterName: CLUSTER,
      brokerName: BROKER_A,
      brokerAddr: '127.0.0.1:30921',
      brokerId: 1,
      topics: [TOPIC, DOOMED],
    });
    await registerBroker(admin.client.remoting, n.addr, {
      clusterName: CLUSTER,
      brokerName: BROKER_B,
      brokerAddr: '127.0.0.1:30931',
      topics: [TOPIC],
      queues: 8,
    });
  }
});

afterAll(async () => {
  await admin.close();
  for (const n of nodes) await n.close();
});

describe('NameServerAdmin end to end', () => {
  it('reads cluster info', async () => {
    const info = await admin.getBrokerClusterInfo();
    expect([...(info.clusterAddrTable.get(CLUSTER) ?? [])].sort()).toEqual([BROKER_A, BROKER_B]);
    expect(info.brokerAddrTable.get(BROKER_A)?.brokerAddrs).toEqual(
      new Map([
        [0, '127.0.0.1:30911'],
        [1, '127.0.0.1:30921'],
      ]),
    );
  });

  it('reads a topic route, and TOPIC_NOT_EXIST for an unknown topic', async () => {
    const route = await admin.getTopicRouteData(TOPIC, { addr: nodes[1]!.addr });
    expect(route.queueDatas.map((q) => [q.brokerName, q.writeQueueNums]).sort()).toEqual([
      [BROKER_A, 4],
      [BROKER_B, 8],
    ]);
    const err = await admin.getTopicRouteData(`Missing_${id}`).catch((e: unknown) => e);
    expect(isTopicNotExist(err)).toBe(true);
  });

  it('reads the topic lists', async () => {
    expect((await admin.getAllTopicList()).topicList).toEqual(
      expect.arrayContaining([TOPIC, DOOMED]),
    );
    expect((await admin.getTopicsByCluster(CLUSTER)).topicList).toEqual(
      expect.arrayContaining([TOPIC, DOOMED]),
    );
    expect((await admin.getTopicsByCluster(`NoSuch_${id}`)).topicList).toEqual([]);
    const system = await admin.getSystemTopicList();
    expect(system.topicList).toEqual(expect.arrayContaining([CLUSTER, BROKER_A, BROKER_B]));
    expect(system.brokerAddr).toMatch(/^127\.0\.0\.1:309\d1$/);
    expect((await admin.getUnitTopicList()).topicList).not.toContain(TOPIC);
    expect((await admin.getHasUnitSubTopicList()).topicList).not.toContain(TOPIC);
    expect((await admin.getHasUnitSubUnUnitTopicList()).topicList).not.toContain(TOPIC);
  });

  it('puts, reads, lists and deletes KV config on every node', async () => {
    const ns = `NS_${id}`;
    const put = await admin.putKVConfig(ns, 'k1', 'v1');
    expect(put.map((r) => r.addr)).toEqual(nodes.map((n) => n.addr));
    expect(allOk(put)).toBe(true);
    for (const n of nodes) {
      expect(await admin.getKVConfig(ns, 'k1', { addr: n.addr })).toBe('v1');
      expect(await admin.getKVListByNamespace(ns, { addr: n.addr })).toEqual(
        new Map([['k1', 'v1']]),
      );
    }
    expect(allOk(await admin.deleteKVConfig(ns, 'k1'))).toBe(true);
    for (const n of nodes) {
      expect(await admin.getKVConfig(ns, 'k1', { addr: n.addr })).toBeUndefined();
    }
    expect(await admin.getKVListByNamespace(`Nope_${id}`)).toBeUndefined();
  });

  it('wipes and adds back write permission on every node, with per-node counts', async () => {
    const wipe = await admin.wipeWritePermOfBroker(BROKER_A);
    expect(wipe.map((r) => (r.ok ? r.value : -1))).toEqual([2, 2]);
    for (const n of nodes) {
      const route = await admin.getTopicRouteData(TOPIC, { addr: n.addr });
      expect(route.queueDatas.find((q) => q.brokerName === BROKER_A)?.perm).toBe(4);
    }
    const add = await admin.addWritePermOfBroker(BROKER_A);
    expect(add.map((r) => (r.ok ? r.value : -1))).toEqual([2, 2]);
    const route = await admin.getTopicRouteData(TOPIC);
    expect(route.queueDatas.find((q) => q.brokerName === BROKER_A)?.perm).toBe(6);
    const unknown = await admin.wipeWritePermOfBroker(`nobody-${id}`);
    expect(unknown.map((r) => (r.ok ? r.value : -1))).toEqual([0, 0]);
  });

  it('deletes a topic on every node, optionally by cluster', async () => {
    const other = await admin.deleteTopicInNamesrv(DOOMED, { clusterName: `Other_${id}` });
    expect(allOk(other)).toBe(true);
    expect((await admin.getTopicRouteData(DOOMED)).queueDatas).toHaveLength(1);
    expect(allOk(await admin.deleteTopicInNamesrv(DOOMED, { clusterName: CLUSTER }))).toBe(true);
    for (const n of nodes) {
      const err = await admin.getTopicRouteData(DOOMED, { addr: n.addr }).catch((e: unknown) => e);
      expect(isTopicNotExist(err)).toBe(true);
    }
  });

  it('registers a topic (217) on every node', async () => {
    const topic = `Registered_${id}`;
    const results = await admin.registerTopic(topic, [
      { brokerName: BROKER_B, readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 },
    ]);
    expect(allOk(results)).toBe(true);
    for (const n of nodes) {
      const route = await admin.getTopicRouteData(topic, { addr: n.addr });
      expect(route.queueDatas.map((q) => [q.brokerName, q.writeQueueNums])).toEqual([
        [BROKER_B, 2],
      ]);
    }
  });

  it('reads and updates the name server configuration on every node', async () => {
    const before = await admin.getNamesrvConfig();
    expect(before).toHaveLength(2);
    for (const r of before) {
      expect(r.ok && r.value.get('orderMessageEnable')).toBe('false');
    }
    expect(allOk(await admin.updateNamesrvConfig({ orderMessageEnable: 'true' }))).toBe(true);
    for (const r of await admin.getNamesrvConfig()) {
      expect(r.ok && r.value.get('orderMessageEnable')).toBe('true');
    }
    const denied = await admin.updateNamesrvConfig({ kvConfigPath: '/tmp/evil.json' });
    for (const r of denied) {
      expect(r.ok).toBe(false);
      const err = r.ok ? undefined : r.error;
      expect(err).toBeInstanceOf(ResponseError);
      expect((err as ResponseError).responseCode).toBe(ResponseCode.NO_PERMISSION);
    }
  });

  it('queries the data version of a broker', async () => {
    const broker = {
      brokerName: BROKER_B,
      brokerAddr: '127.0.0.1:30931',
      clusterName: CLUSTER,
      brokerId: 0,
    };
    const stale = await admin.queryDataVersion(broker, { counter: 99, timestamp: 1 });
    expect(stale.changed).toBe(true);
    expect(stale.nameServerDataVersion?.counter).toBe(1);
    const same = await admin.queryDataVersion(broker, stale.nameServerDataVersion!);
    expect(same.changed).toBe(false);
    const unknown = await admin.queryDataVersion(
      { ...broker, brokerAddr: '127.0.0.1:1' },
      { counter: 1, timestamp: 1 },
    );
    expect(unknown).toEqual({ changed: true, nameServerDataVersion: undefined });
  });

  it('reads a broker member group (901)', async () => {
    const group = await admin.getBrokerMemberGroup(CLUSTER, BROKER_A);
    expect(group.brokerName).toBe(BROKER_A);
    expect(group.brokerAddrs).toEqual(
      new Map([
        [0, '127.0.0.1:30911'],
        [1, '127.0.0.1:30921'],
      ]),
    );
  });
});
