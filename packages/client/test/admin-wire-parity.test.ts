/**
 * Wire parity with the Java 4.9.7 client and mqadmin: for each captured exchange, the request our
 * admin API sends must be byte-equal to the captured one (opaque aside; mqadmin's ACL signature
 * fields removed), and the captured NameServer response must decode to the expected result.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RemotingCommand } from '@ns/protocol';
import { decodeDataVersion, decodeFrame, encodeCommand, newExtFields } from '@ns/protocol';
import { loadFixture } from '../../protocol/test/fixtures.js';
import { NameServerAdmin } from '../src/admin/name-server-admin.js';
import { isTopicNotExist } from '../src/topic-not-exist-error.js';
import type { ScriptedServer } from './helpers/scripted-server.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** mqadmin signs requests (conf/tools.yml); our client does not. */
const ACL_FIELDS = new Set(['AccessKey', 'Signature']);

function withoutAcl(cmd: RemotingCommand): RemotingCommand {
  if (cmd.extFields === null) return cmd;
  const ext = newExtFields();
  for (const [k, v] of Object.entries(cmd.extFields)) if (!ACL_FIELDS.has(k)) ext[k] = v;
  // The ACL hook created the map; without it a header-less request carries no extFields at all.
  return { ...cmd, extFields: Object.keys(ext).length === 0 ? null : ext };
}

interface Exchange {
  server: ScriptedServer;
  admin: NameServerAdmin;
  /** Checks the request we sent against the fixture's. */
  expectSameRequest(): void;
}

/** A node that answers the next request with the fixture's captured response. */
async function replay(fixture: string): Promise<Exchange> {
  const { request, response } = loadFixture(fixture);
  const captured = decodeFrame(request.subarray(4));
  const server = await startScriptedServer((req, ctx) => {
    if (response === null) return;
    const answer = { ...decodeFrame(response.subarray(4)), opaque: req.opaque };
    ctx.socket.write(encodeCommand(answer));
  });
  cleanups.push(() => server.close());
  const admin = new NameServerAdmin({ namesrvAddr: server.addr, env: {} });
  cleanups.push(() => admin.close());
  return {
    server,
    admin,
    expectSameRequest() {
      const ours = server.rawFrames[0]!;
      const expected = encodeCommand({
        ...withoutAcl(captured),
        opaque: server.requests[0]!.opaque,
      });
      expect(ours.toString('hex')).toBe(expected.toString('hex'));
    },
  };
}

describe('admin requests are byte-equal to the Java 4.9.7 client and decode captured responses', () => {
  it('GET_ROUTEINFO_BY_TOPIC (get-route-client)', async () => {
    const x = await replay('get-route-client');
    const route = await x.admin.getTopicRouteData('FixtureTopic');
    x.expectSameRequest();
    expect(route.queueDatas.map((q) => q.brokerName).sort()).toEqual(['broker-a', 'broker-b']);
    expect(route.brokerDatas.find((b) => b.brokerName === 'broker-a')?.brokerAddrs.get(1)).toBe(
      '127.0.0.1:20921',
    );
  });

  it('GET_ROUTEINFO_BY_TOPIC miss (get-route-new-topic-producer)', async () => {
    const x = await replay('get-route-new-topic-producer');
    const err = await x.admin
      .getTopicRouteData('AutoCreatedTopic1795422824')
      .catch((e: unknown) => e);
    x.expectSameRequest();
    expect(isTopicNotExist(err)).toBe(true);
  });

  it('GET_BROKER_CLUSTER_INFO (get-broker-cluster-info, legacy JSON)', async () => {
    const x = await replay('get-broker-cluster-info');
    const info = await x.admin.getBrokerClusterInfo();
    x.expectSameRequest();
    expect(info.clusterAddrTable.get('DefaultCluster')).toEqual(
      expect.arrayContaining(['broker-a', 'broker-b']),
    );
    expect(info.brokerAddrTable.get('broker-a')?.brokerAddrs.get(0)).toBe('127.0.0.1:20911');
  });

  it('GET_TOPICS_BY_CLUSTER (get-topics-by-cluster, get-topics-by-cluster-missing)', async () => {
    const x = await replay('get-topics-by-cluster');
    const list = await x.admin.getTopicsByCluster('DefaultCluster');
    x.expectSameRequest();
    expect(list.topicList).toContain('FixtureTopic');
    const y = await replay('get-topics-by-cluster-missing');
    expect((await y.admin.getTopicsByCluster('NoSuchCluster')).topicList).toEqual([]);
    y.expectSameRequest();
  });

  it('topic lists (all, system, unit)', async () => {
    const all = await replay('get-all-topic-list');
    expect((await all.admin.getAllTopicList()).topicList).toContain('TBW102');
    all.expectSameRequest();
    const system = await replay('get-system-topic-list');
    const sys = await system.admin.getSystemTopicList();
    system.expectSameRequest();
    expect(sys.topicList).toContain('DefaultCluster');
    expect(sys.brokerAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    const unit = await replay('get-unit-topic-list');
    expect((await unit.admin.getUnitTopicList()).topicList).toEqual([]);
    unit.expectSameRequest();
    const sub = await replay('get-has-unit-sub-topic-list');
    expect((await sub.admin.getHasUnitSubTopicList()).topicList).toEqual([]);
    sub.expectSameRequest();
    const subUn = await replay('get-has-unit-sub-ununit-topic-list');
    expect((await subUn.admin.getHasUnitSubUnUnitTopicList()).topicList).toEqual([]);
    subUn.expectSameRequest();
  });

  it('KV config: put, get, get missing, list, list missing, delete', async () => {
    const put = await replay('put-kv-config');
    const putResult = await put.admin.putKVConfig(
      'ORDER_TOPIC_CONFIG',
      'FixtureTopic',
      'broker-a:4',
    );
    put.expectSameRequest();
    expect(putResult.every((r) => r.ok)).toBe(true);

    const get = await replay('get-kv-config');
    const value = await get.admin.getKVConfig('ORDER_TOPIC_CONFIG', 'FixtureTopic');
    get.expectSameRequest();
    expect(value).toMatch(/broker-/);

    const missing = await replay('get-kv-config-missing');
    expect(await missing.admin.getKVConfig('ORDER_TOPIC_CONFIG', 'FixtureTopic')).toBeUndefined();

    const list = await replay('get-kvlist-by-namespace');
    const table = await list.admin.getKVListByNamespace('ORDER_TOPIC_CONFIG');
    list.expectSameRequest();
    expect(table?.get('OrderProbeTopic')).toBe('broker-a:8;broker-b:8');

    const listMissing = await replay('get-kvlist-by-namespace-missing');
    expect(await listMissing.admin.getKVListByNamespace('NO_SUCH_NAMESPACE')).toBeUndefined();
    listMissing.expectSameRequest();

    const del = await replay('delete-kv-config');
    const delResult = await del.admin.deleteKVConfig('ORDER_TOPIC_CONFIG', 'FixtureTopic');
    del.expectSameRequest();
    expect(delResult.every((r) => r.ok)).toBe(true);
  });

  it('write permission: wipe and add', async () => {
    const wipe = await replay('wipe-write-perm');
    const wiped = await wipe.admin.wipeWritePermOfBroker('broker-a');
    wipe.expectSameRequest();
    expect(wiped[0]).toMatchObject({ ok: true, value: 11 });
    const add = await replay('add-write-perm');
    const added = await add.admin.addWritePermOfBroker('broker-a');
    add.expectSameRequest();
    expect(added[0]).toMatchObject({ ok: true, value: 11 });
  });

  it('DELETE_TOPIC_IN_NAMESRV with a cluster (delete-topic-in-namesrv)', async () => {
    const x = await replay('delete-topic-in-namesrv');
    const results = await x.admin.deleteTopicInNamesrv('DeleteMeTopic', {
      clusterName: 'DefaultCluster',
    });
    x.expectSameRequest();
    expect(results[0]?.ok).toBe(true);
  });

  it('name server config: get, update, update refused', async () => {
    const get = await replay('get-namesrv-config');
    const config = await get.admin.getNamesrvConfig();
    get.expectSameRequest();
    expect(config[0]?.ok && config[0].value.get('listenPort')).toBe('9876');

    const update = await replay('update-namesrv-config');
    const updated = await update.admin.updateNamesrvConfig({ orderMessageEnable: 'true' });
    update.expectSameRequest();
    expect(updated[0]?.ok).toBe(true);

    const refused = await replay('update-namesrv-config-forbidden');
    const denied = await refused.admin.updateNamesrvConfig({
      kvConfigPath: '/tmp/not-allowed.json',
    });
    refused.expectSameRequest();
    expect(denied[0]?.ok).toBe(false);
  });

  it('QUERY_DATA_VERSION (query-data-version, sent by a 4.9.7 broker)', async () => {
    const x = await replay('query-data-version');
    const captured = decodeFrame(loadFixture('query-data-version').request.subarray(4));
    const sent = decodeDataVersion(captured.body!);
    const result = await x.admin.queryDataVersion(
      {
        brokerName: 'broker-c',
        brokerAddr: '127.0.0.1:20941',
        clusterName: 'DefaultCluster',
        brokerId: 0,
      },
      sent,
    );
    x.expectSameRequest();
    // The captured answer: unchanged, with the name server's copy of the same DataVersion.
    expect(result).toEqual({ changed: false, nameServerDataVersion: sent });
  });
});
