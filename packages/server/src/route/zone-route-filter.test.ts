import { describe, expect, it } from 'vitest';
import type { TopicRouteData } from '@ns/protocol';
import { filterRouteByZone, resolveZoneFilter } from './zone-route-filter.js';

describe('resolveZoneFilter', () => {
  it('needs __ZONE_MODE=true (any case) and a non-blank __ZONE_NAME', () => {
    expect(resolveZoneFilter('true', 'z1')).toBe('z1');
    expect(resolveZoneFilter('TRUE', 'z1')).toBe('z1');
    expect(resolveZoneFilter('false', 'z1')).toBeNull();
    expect(resolveZoneFilter('yes', 'z1')).toBeNull();
    expect(resolveZoneFilter(undefined, 'z1')).toBeNull();
    expect(resolveZoneFilter('true', '  ')).toBeNull();
    expect(resolveZoneFilter('true', null)).toBeNull();
  });
});

function route(): TopicRouteData {
  const qd = (brokerName: string) => ({
    brokerName,
    readQueueNums: 4,
    writeQueueNums: 4,
    perm: 6,
    topicSysFlag: 0,
  });
  return {
    queueDatas: [qd('a'), qd('b'), qd('c'), qd('d')],
    brokerDatas: [
      { cluster: 'C', brokerName: 'a', brokerAddrs: new Map([[0, 'a:0']]), zoneName: 'Zone-1' },
      {
        cluster: 'C',
        brokerName: 'b',
        brokerAddrs: new Map([
          [0, 'b:0'],
          [1, 'b:1'],
        ]),
        zoneName: 'zone-2',
      },
      // Master down: kept whatever its zone ("consume from slave").
      { cluster: 'C', brokerName: 'c', brokerAddrs: new Map([[1, 'c:1']]), zoneName: 'zone-2' },
      // No zone at all: removed.
      { cluster: 'C', brokerName: 'd', brokerAddrs: new Map([[0, 'd:0']]) },
    ],
    filterServerTable: new Map([
      ['a:0', ['fa']],
      ['b:1', ['fb']],
    ]),
  };
}

describe('filterRouteByZone', () => {
  it('keeps same-zone (ignoring case) and master-less brokers, drops the rest with their queues', () => {
    const input = route();
    const out = filterRouteByZone(input, 'zone-1');
    expect(out.brokerDatas.map((b) => b.brokerName)).toEqual(['a', 'c']);
    expect(out.queueDatas.map((q) => q.brokerName)).toEqual(['a', 'c']);
    expect(out.filterServerTable).toEqual(new Map([['a:0', ['fa']]]));
    // The input is untouched.
    expect(input.brokerDatas).toHaveLength(4);
    expect(input.queueDatas).toHaveLength(4);
    expect(input.filterServerTable.size).toBe(2);
  });

  it('returns the same content when every broker is kept', () => {
    const input = route();
    input.brokerDatas = input.brokerDatas.filter(
      (b) => b.brokerName !== 'd' && b.brokerName !== 'b',
    );
    const out = filterRouteByZone(input, 'ZONE-1');
    expect(out.brokerDatas.map((b) => b.brokerName)).toEqual(['a', 'c']);
    expect(out.queueDatas).toHaveLength(4);
  });
});
