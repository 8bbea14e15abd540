import { describe, expect, it } from 'vitest';
import { watchersPerProcess } from './create-route-watch.js';

describe('routeWatchMaxWatchers over serving processes', () => {
  it('gives each serving process its share, so the node holds no more than the limit (rounded up per process)', () => {
    expect(watchersPerProcess(50_000, 1)).toBe(50_000);
    expect(watchersPerProcess(50_000, 8)).toBe(6_250);
    expect(watchersPerProcess(10, 3)).toBe(4);
    expect(watchersPerProcess(1, 4)).toBe(1);
    expect(watchersPerProcess(5, 0)).toBe(5);
  });
});
