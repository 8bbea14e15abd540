import { describe, expect, it } from 'vitest';
import { InvalidAddressListError, NoNameServerError } from '../../src/errors.js';
import {
  NameServerSelector,
  INITIAL_INDEX_BOUND,
} from '../../src/selector/name-server-selector.js';
import { seededRandom } from '../../src/selector/random.js';
import { FunctionAddressProvider } from '../../src/address/function-address-provider.js';

const NODES = ['10.0.0.1:9876', '10.0.0.2:9876', '10.0.0.3:9876'] as const;
const healthy = (): boolean => true;
const broken = (): boolean => false;

/** Pearson chi-square statistic of observed counts against a uniform expectation. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

// Chi-square critical value for 2 degrees of freedom at p = 0.001. The seeds are fixed, so the
// statistic is a constant: the test is deterministic and can only fail if the algorithm changes.
const CHI2_DF2_P001 = 13.816;

describe('NameServerSelector', () => {
  it('starts at a random index in [0, 999) from the injected RNG', () => {
    for (let seed = 0; seed < 200; seed++) {
      const s = new NameServerSelector({ random: seededRandom(seed) });
      expect(s.index).toBeGreaterThanOrEqual(0);
      expect(s.index).toBeLessThan(INITIAL_INDEX_BOUND);
      expect(Number.isInteger(s.index)).toBe(true);
      expect(new NameServerSelector({ random: seededRandom(seed) }).index).toBe(s.index);
    }
    expect(new NameServerSelector({ random: () => 0.999999999 }).index).toBe(998);
  });

  it.each([
    { shuffleOnChange: false, label: 'index only' },
    { shuffleOnChange: true, label: 'index and shuffle' },
  ])('spreads 1,000 independent selectors over 3 nodes ($label)', ({ shuffleOnChange }) => {
    const counts = new Map<string, number>(NODES.map((n) => [n, 0]));
    for (let seed = 1; seed <= 1000; seed++) {
      const s = new NameServerSelector({
        addresses: NODES,
        random: seededRandom(seed),
        shuffleOnChange,
      });
      const addr = s.select(healthy);
      counts.set(addr, (counts.get(addr) ?? 0) + 1);
    }
    const observed = [...counts.values()];
    expect(observed).toHaveLength(3);
    expect(chiSquare(observed)).toBeLessThan(CHI2_DF2_P001);
    for (const c of observed) expect(c).toBeGreaterThan(250);
  });

  it('detects a non-random start (the chi-square check can fail)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      // The same RNG state for every selector: all pick the same node.
      const s = new NameServerSelector({
        addresses: NODES,
        random: () => 0.5,
        shuffleOnChange: false,
      });
      const addr = s.select(healthy);
      counts.set(addr, (counts.get(addr) ?? 0) + 1);
    }
    const observed = NODES.map((n) => counts.get(n) ?? 0);
    expect(chiSquare(observed)).toBeGreaterThan(CHI2_DF2_P001);
  });

  it('sticks to its node while the connection is healthy', () => {
    const s = new NameServerSelector({ addresses: NODES, random: seededRandom(7) });
    const first = s.select(healthy);
    const index = s.index;
    for (let i = 0; i < 100; i++) expect(s.select(healthy)).toBe(first);
    expect(s.index).toBe(index);
    expect(s.chosen).toBe(first);
  });

  it('moves to index+1 when the chosen connection is unhealthy, then sticks there', () => {
    const s = new NameServerSelector({
      addresses: NODES,
      random: seededRandom(3),
      shuffleOnChange: false,
    });
    const first = s.select(healthy);
    const i0 = s.index;
    const second = s.select((addr) => addr !== first);
    expect(second).toBe(NODES[(i0 + 1) % 3]);
    expect(s.select(healthy)).toBe(second);
  });

  it('fails over in the order index+1, index+2, … modulo n, at most n attempts', () => {
    const list = ['a:1', 'b:2', 'c:3', 'd:4'];
    for (let seed = 0; seed < 20; seed++) {
      const s = new NameServerSelector({
        addresses: list,
        random: seededRandom(seed),
        shuffleOnChange: false,
      });
      const i0 = s.index;
      const tried = [...s.attempts(broken)];
      expect(tried).toEqual([1, 2, 3, 4].map((k) => list[(i0 + k) % 4]));
      expect(s.chosen).toBe(tried[3]);
    }
  });

  it('follows the shuffled list order when shuffling', () => {
    const list = ['a:1', 'b:2', 'c:3', 'd:4', 'e:5'];
    const s = new NameServerSelector({ addresses: list, random: seededRandom(11) });
    expect([...s.addresses].sort()).toEqual(list);
    const order = s.addresses;
    const i0 = s.index;
    expect([...s.attempts(broken)]).toEqual([1, 2, 3, 4, 5].map((k) => order[(i0 + k) % 5]));
  });

  it('starts the failover plan with the healthy chosen node and stops when the caller succeeds', () => {
    const s = new NameServerSelector({
      addresses: NODES,
      random: seededRandom(5),
      shuffleOnChange: false,
    });
    const chosen = s.select(healthy);
    const i0 = s.index;
    const tried: string[] = [];
    for (const addr of s.attempts(healthy)) {
      tried.push(addr);
      if (tried.length === 2) break; // the second one "connects"
    }
    expect(tried).toEqual([chosen, NODES[(i0 + 1) % 3]]);
    expect(s.chosen).toBe(tried[1]);
    expect(s.select(healthy)).toBe(tried[1]);
    expect([...s.attempts(broken, 2)]).toHaveLength(2);
  });

  it('drops the chosen node at once when a list change removes it (apache/rocketmq#2042)', () => {
    const s = new NameServerSelector({ addresses: NODES, random: seededRandom(9) });
    const chosen = s.select(healthy);
    const next = ['10.0.0.7:9876', '10.0.0.8:9876', ...NODES.filter((n) => n !== chosen)];
    expect(s.update(next)).toBe(true);
    expect(s.chosen).toBeUndefined();
    // Even though the old node's connection is still "healthy", it is not used any more.
    const picked = s.select(healthy);
    expect(picked).not.toBe(chosen);
    expect(next).toContain(picked);
  });

  it('keeps the chosen node across a change that retains it, and ignores same-membership and empty updates', () => {
    const s = new NameServerSelector({ addresses: NODES, random: seededRandom(4) });
    const chosen = s.select(healthy);
    const before = s.addresses;
    expect(s.update([...NODES].reverse())).toBe(false);
    expect(s.update([])).toBe(false);
    expect(s.addresses).toBe(before);
    expect(s.update([...NODES, '10.0.0.4:9876'])).toBe(true);
    expect(s.chosen).toBe(chosen);
    expect(s.select(healthy)).toBe(chosen);
  });

  it('forgets a node the caller reports as failed', () => {
    const s = new NameServerSelector({
      addresses: NODES,
      random: seededRandom(2),
      shuffleOnChange: false,
    });
    const chosen = s.select(healthy);
    s.reportFailure('not-chosen:1');
    expect(s.chosen).toBe(chosen);
    s.reportFailure(chosen);
    expect(s.chosen).toBeUndefined();
    expect(s.select(healthy)).not.toBe(chosen);
  });

  it('lets calls failing over side by side all reach the healthy node', () => {
    // [dead, up]; initial index 1, so the next index (2 mod 2 = 0) is the dead node.
    for (const calls of [2, 3, 10]) {
      const s = new NameServerSelector({
        addresses: ['dead:1', 'up:2'],
        shuffleOnChange: false,
        initialIndex: 1,
      });
      // The dead node's connection counts as healthy while it is still being opened.
      let deadConnecting = true;
      const isHealthy = (addr: string): boolean => addr === 'up:2' || deadConnecting;
      const plans = Array.from({ length: calls }, () => s.attempts(isHealthy));
      const first = plans.map((p) => p.next().value);
      expect(first).toEqual(Array.from({ length: calls }, () => 'dead:1'));
      deadConnecting = false; // the connect fails under every call
      const second = plans.map((p) => {
        s.reportFailure('dead:1');
        return p.next().value;
      });
      expect(second).toEqual(Array.from({ length: calls }, () => 'up:2'));
    }
  });

  it('never tries an address twice within one call', () => {
    for (const list of [
      ['a:1', 'b:2'],
      ['a:1', 'b:2', 'c:3'],
    ]) {
      const s = new NameServerSelector({
        addresses: list,
        shuffleOnChange: false,
        initialIndex: 0,
      });
      const one = s.attempts(broken);
      const other = s.attempts(broken);
      const tried: string[] = [];
      // The other call moves the shared index on between this call's attempts.
      for (let r = one.next(); r.done !== true; r = one.next()) {
        tried.push(r.value);
        other.next();
      }
      expect([...tried].sort()).toEqual(list);
    }
  });

  it('shuffles the list on a change by default, as Java does, and keeps it as given when told not to', () => {
    const list = ['a:1', 'b:2', 'c:3', 'd:4', 'e:5'];
    const orders = (shuffleOnChange?: boolean): string[] =>
      Array.from({ length: 20 }, (_, seed) =>
        new NameServerSelector({
          addresses: list,
          random: seededRandom(seed),
          ...(shuffleOnChange === undefined ? {} : { shuffleOnChange }),
        }).addresses.join(';'),
      );
    const shuffled = orders();
    // 20 seeded shuffles of 5 addresses: the given order cannot be all of them.
    expect(shuffled.filter((o) => o !== list.join(';')).length).toBeGreaterThan(10);
    for (const o of shuffled) expect(o.split(';').sort()).toEqual(list);
    expect(new Set(orders(false))).toEqual(new Set([list.join(';')]));
  });

  it('applies a list that lost members (same members means same size too)', () => {
    const s = new NameServerSelector({ addresses: NODES, shuffleOnChange: false, initialIndex: 0 });
    expect(s.update([NODES[0]])).toBe(true);
    expect(s.addresses).toEqual([NODES[0]]);
    expect(s.update([NODES[0], NODES[1]])).toBe(true);
    expect(s.addresses).toEqual([NODES[0], NODES[1]]);
  });

  it('refuses a list with duplicates, keeping the list it had', () => {
    const s = new NameServerSelector({ addresses: NODES, shuffleOnChange: false });
    expect(() => s.update(['a:1', 'b:2', 'a:1'])).toThrow(InvalidAddressListError);
    expect(s.addresses).toEqual(NODES);
  });

  it('stops a plan at the list size even when more attempts are allowed, and yields nothing for 0', () => {
    const s = new NameServerSelector({ addresses: NODES, shuffleOnChange: false, initialIndex: 0 });
    const tried = [...s.attempts(broken, 5)];
    expect([...tried].sort()).toEqual([...NODES].sort());
    const index = s.index;
    const chosen = s.chosen;
    expect([...s.attempts(broken, 0)]).toEqual([]);
    expect(s.index).toBe(index);
    expect(s.chosen).toBe(chosen);
  });

  it('throws NoNameServerError with an empty list', () => {
    const s = new NameServerSelector({ random: seededRandom(1) });
    expect(() => s.select(healthy)).toThrow(NoNameServerError);
    expect(() => [...s.attempts(healthy)]).toThrow(NoNameServerError);
  });

  it('wraps the index like a Java int at 2^31 and stays in range', () => {
    const s = new NameServerSelector({
      addresses: NODES,
      shuffleOnChange: false,
      initialIndex: 2147483646,
    });
    // 2147483647 % 3 = 1, then -2147483648 → abs 2147483648 % 3 = 2, then -2147483647 % 3 → 1.
    expect([s.advance(), s.advance(), s.advance()]).toEqual([NODES[1], NODES[2], NODES[1]]);
    expect(s.index).toBe(-2147483647);
    expect(() => new NameServerSelector({ initialIndex: 1.5 })).toThrow(/initialIndex/);
  });

  it('follows a provider: current list at once, changes later, until unsubscribed', async () => {
    let answer = 'a:1;b:2';
    const provider = new FunctionAddressProvider(() => answer);
    await provider.refresh();
    const s = new NameServerSelector({ random: seededRandom(12) });
    const stop = s.follow(provider);
    expect([...s.addresses].sort()).toEqual(['a:1', 'b:2']);
    const chosen = s.select(healthy);
    answer = chosen === 'a:1' ? 'b:2;c:3' : 'a:1;c:3';
    await provider.refresh();
    expect(s.chosen).toBeUndefined();
    expect(s.addresses).not.toContain(chosen);
    stop();
    answer = 'z:9';
    await provider.refresh();
    expect(s.addresses).not.toContain('z:9');
    await provider.close();
  });
});
