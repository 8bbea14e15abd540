/**
 * `brokerAddrs` is a Java `HashMap<Long, String>` (brokerId → address) in every body that lists a
 * broker group: the route (GET_ROUTEINFO_BY_TOPIC, legacy and standard JSON), the cluster info
 * (GET_BROKER_CLUSTER_INFO) and the member group (GET_BROKER_MEMBER_GROUP). fastjson writes a
 * HashMap in bucket order: for the small ids brokers use (0 = master, 1…3 slaves; Long.hashCode
 * is the id itself, and every table Java builds here has at least 4 buckets) that is ascending
 * id, whatever order the brokers registered in; standard JSON sorts the keys. A slave that
 * registers before its master must still come out master first (issue 16, item 7: writing them
 * in insertion order passed every other test).
 */
import { describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { bodyText, createHarness, register } from './handlers-harness.js';
import type { Harness } from './handlers-harness.js';

const ADDR = (id: number): string => `10.0.0.${id + 1}:10911`;

/** Registers broker-a's members in `ids` order (each on its own connection; the master has topics). */
function registerInOrder(h: Harness, ids: readonly number[]): void {
  for (const id of ids) {
    const res = register(h, {
      brokerName: 'broker-a',
      brokerId: id,
      brokerAddr: ADDR(id),
      haServerAddr: `10.0.0.${id + 1}:10912`,
      connectionId: 10 + id,
      topics: id === 0 ? [{ name: 'TopicA' }, { name: 'TopicB' }] : [],
    })!;
    expect(res.code).toBe(ResponseCode.SUCCESS);
  }
}

function legacyAddrs(ids: readonly number[]): string {
  return `"brokerAddrs":{${ids.map((id) => `${id}:"${ADDR(id)}"`).join(',')}}`;
}

function standardAddrs(ids: readonly number[]): string {
  return `"brokerAddrs":{${ids.map((id) => `"${id}":"${ADDR(id)}"`).join(',')}}`;
}

function everyBodyListing(h: Harness): { what: string; body: string; legacy: boolean }[] {
  const out: { what: string; body: string; legacy: boolean }[] = [];
  // 317 (old Go clients) gets legacy JSON, 407 standard JSON (Java: version ≥ 4.9.4).
  for (const [version, legacy] of [
    [317, true],
    [407, false],
  ] as const) {
    const res = h.send(RequestCode.GET_ROUTEINFO_BY_TOPIC, { ext: { topic: 'TopicA' }, version });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    out.push({ what: `route v${version}`, body: bodyText(res)!, legacy });
  }
  const info = h.send(RequestCode.GET_BROKER_CLUSTER_INFO);
  out.push({ what: 'cluster info', body: bodyText(info)!, legacy: true });
  const group = h.send(RequestCode.GET_BROKER_MEMBER_GROUP, {
    ext: { clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerId: '0' },
  });
  out.push({ what: 'member group', body: bodyText(group)!, legacy: true });
  return out;
}

describe("brokerAddrs in Java's order in every response that lists them", () => {
  for (const order of [
    [1, 0],
    [2, 1, 0],
    [3, 1, 2, 0],
    [0, 3, 2, 1],
  ]) {
    it(`members registered in the order ${order.join(', ')} are listed by id`, () => {
      const h = createHarness();
      registerInOrder(h, order);
      const ids = [...order].sort((a, b) => a - b);
      for (const { what, body, legacy } of everyBodyListing(h)) {
        expect(body, what).toContain(legacy ? legacyAddrs(ids) : standardAddrs(ids));
      }
    });
  }

  it('a master that leaves and comes back is listed first again', () => {
    const h = createHarness();
    registerInOrder(h, [0, 1, 2]);
    h.routes.onConnectionClosed(10); // the master's connection
    registerInOrder(h, [0]);
    for (const { what, body, legacy } of everyBodyListing(h)) {
      expect(body, what).toContain(legacy ? legacyAddrs([0, 1, 2]) : standardAddrs([0, 1, 2]));
    }
  });
});
