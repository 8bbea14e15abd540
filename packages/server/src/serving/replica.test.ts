import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/index.js';
import { OpCode } from '../route/index.js';
import { Replica } from './replica.js';

function emptyReplica(applied: number[]): Replica {
  return new Replica(
    { seq: 0, routeOps: [], kv: [], config: defaultConfig({ homeDir: '/h', env: {} }) },
    {
      // Every slice is over its time at the first look at the clock.
      sliceMillis: 0,
      onApplied: (seq) => applied.push(seq),
      onCorrupt: (err) => {
        throw err;
      },
    },
  );
}

/** Ops registering `count` broker groups of cluster c1, each with one address and no topic. */
function groupOps(count: number): unknown[] {
  const ops: unknown[] = [];
  for (let b = 0; b < count; b++) {
    ops.push(OpCode.CREATE_GROUP, `b${b}`, 'c1');
    ops.push(OpCode.SET_ADDR, `b${b}`, 0, `10.0.0.${b % 250}:10911`);
    ops.push(OpCode.ADD_CLUSTER_MEMBER, 'c1', `b${b}`);
  }
  return ops;
}

/** Every group listed in a cluster exists, and every group is listed (what the owner always has). */
function groupsMatchCluster(replica: Replica): boolean {
  const members = replica.routes.clusterMembers('c1') ?? new Set<string>();
  for (const name of members) if (!replica.routes.hasGroup(name)) return false;
  const info = replica.routes.getAllClusterInfo();
  for (const name of info.brokerAddrTable.keys()) if (!members.has(name)) return false;
  return true;
}

describe('Replica slices', () => {
  it('never ends a slice inside one broker group’s edits', async () => {
    const applied: number[] = [];
    const replica = emptyReplica(applied);
    // 300 groups × 3 ops: the 256-op clock check falls inside a group's edits.
    replica.enqueue(1, groupOps(300));
    const seen: boolean[] = [];
    while (applied.length === 0) {
      await nextTurn();
      seen.push(groupsMatchCluster(replica));
    }
    expect(seen.every(Boolean)).toBe(true);
    expect(replica.routes.clusterMembers('c1')?.size).toBe(300);
  });

  it('ends an overdue slice between two topic edits', async () => {
    const applied: number[] = [];
    const replica = emptyReplica(applied);
    const ops = groupOps(1);
    for (let t = 0; t < 2_000; t++) ops.push(OpCode.PUT_QUEUE, `t${t}`, 'b0', 8, 8, 6, 0);
    replica.enqueue(1, ops);
    let turns = 0;
    while (applied.length === 0) {
      await nextTurn();
      turns++;
    }
    // Each slice stops at the first topic edit after its 256th op.
    expect(turns).toBeGreaterThan(5);
    expect(replica.routes.pickupTopicRouteData('t1999')?.queueDatas).toHaveLength(1);
  });

  it('holds parts until the part the owner could have been read after', async () => {
    const applied: number[] = [];
    const replica = emptyReplica(applied);
    replica.enqueue(0, [OpCode.CREATE_GROUP, 'b0', 'c1'], false);
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    expect(replica.routes.hasGroup('b0')).toBe(false);
    expect(replica.writeInProgress()).toBe(true);
    replica.enqueue(0, [OpCode.ADD_CLUSTER_MEMBER, 'c1', 'b0'], true);
    while (!replica.routes.hasGroup('b0')) await nextTurn();
    expect(replica.routes.clusterMembers('c1')?.has('b0')).toBe(true);
    expect(applied).toEqual([]);
    replica.enqueue(1, [], true);
    while (applied.length === 0) await nextTurn();
    expect(applied).toEqual([1]);
  });
});
