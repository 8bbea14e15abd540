import { describe, expect, it } from 'vitest';
import { TopicSysFlag } from '@ns/protocol';
import { RouteTables } from './route-tables.js';
import type { SteppedTopicList } from './route-tables.js';

function tables(topics: number): RouteTables {
  const t = new RouteTables();
  t.createGroup('broker-a', 'c1');
  t.addClusterMember('c1', 'broker-a');
  t.createGroup('broker-b', 'c2');
  t.addClusterMember('c2', 'broker-b');
  for (let i = 0; i < topics; i++) {
    t.putQueueData(`t-${i}`, i % 3 === 0 ? 'broker-b' : 'broker-a', 8, 8, 6, i % 2);
  }
  return t;
}

const LISTS: SteppedTopicList[] = [
  { kind: 'cluster', clusterName: 'c1' },
  { kind: 'cluster', clusterName: 'c2' },
  { kind: 'cluster', clusterName: 'none' },
  { kind: 'unit' },
  { kind: 'unit-sub' },
  { kind: 'unit-sub-ununit' },
];

function oneGo(t: RouteTables, list: SteppedTopicList): string[] {
  if (list.kind === 'cluster') return t.getTopicsByCluster(list.clusterName);
  if (list.kind === 'unit') return t.getUnitTopics();
  if (list.kind === 'unit-sub') return t.getHasUnitSubTopicList();
  return t.getHasUnitSubUnUnitTopicList();
}

describe('topic lists walked in steps', () => {
  it('yield every 2,048 topics', () => {
    const t = tables(10_000);
    const walk = t.topicListInSteps({ kind: 'cluster', clusterName: 'c1' });
    let steps = 0;
    while (walk.next().done !== true) steps++;
    expect(steps).toBe(Math.floor(10_000 / 2048));
  });

  it('a write between two steps starts the walk again: the list is the tables at one moment', () => {
    for (const list of LISTS) {
      const t = tables(10_000);
      const walk = t.topicListInSteps(list);
      expect(walk.next().done).toBe(false);
      // Visited already (t-0 .. t-2047, in table order or not): moved; and a new one added.
      t.putQueueData('t-1', 'broker-b', 8, 8, 6, TopicSysFlag.FLAG_UNIT_SUB);
      t.putQueueData('late', 'broker-a', 8, 8, 6, TopicSysFlag.FLAG_UNIT);
      let step = walk.next();
      while (step.done !== true) step = walk.next();
      expect(step.value, JSON.stringify(list)).toEqual(oneGo(t, list));
    }
  });

  it('after three torn walks the fourth runs in one go, so a table written without pause gets a list', () => {
    const t = tables(10_000);
    const walk = t.topicListInSteps({ kind: 'unit' });
    let step = walk.next();
    let writes = 0;
    while (step.done !== true) {
      t.putQueueData(`w-${writes++}`, 'broker-a', 8, 8, 6, TopicSysFlag.FLAG_UNIT);
      step = walk.next();
    }
    expect(writes).toBe(3);
    expect(step.value).toEqual(t.getUnitTopics());
  });
});
