import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/logger.js';
import { AddressListHolder } from '../../src/address/name-server-address-provider.js';

describe('AddressListHolder', () => {
  it('emits only on membership change and ignores empty updates (Java parity)', () => {
    const h = new AddressListHolder();
    const seen: [readonly string[], readonly string[]][] = [];
    h.onChange((list, prev) => seen.push([list, prev]));
    expect(h.set(['a:1', 'b:2'])).toBe(true);
    expect(h.set(['b:2', 'a:1'])).toBe(false);
    expect(h.set([])).toBe(false);
    expect(h.current()).toEqual(['a:1', 'b:2']);
    expect(h.set(['a:1', 'c:3'])).toBe(true);
    expect(seen).toEqual([
      [['a:1', 'b:2'], []],
      [
        ['a:1', 'c:3'],
        ['a:1', 'b:2'],
      ],
    ]);
    expect(Object.isFrozen(h.current())).toBe(true);
  });

  it('keeps notifying other listeners when one throws, and supports unsubscribe', () => {
    const logger = createMemoryLogger();
    const h = new AddressListHolder(logger);
    const off = h.onChange(() => {
      throw new Error('listener bug');
    });
    let calls = 0;
    h.onChange(() => calls++);
    h.set(['a:1']);
    expect(calls).toBe(1);
    expect(logger.records.some((r) => r.level === 'error' && r.fields.err instanceof Error)).toBe(
      true,
    );
    off();
    h.set(['b:1']);
    expect(calls).toBe(2);
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(1);
  });
});
