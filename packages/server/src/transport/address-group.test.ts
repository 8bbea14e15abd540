import { describe, expect, it } from 'vitest';
import { addressGroupOf } from './address-group.js';

describe('addressGroupOf', () => {
  it('counts IPv4 (also IPv4-mapped) by address and IPv6 by /64', () => {
    expect(addressGroupOf('10.0.0.1')).toBe('10.0.0.1');
    expect(addressGroupOf('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressGroupOf('fd00:64::1')).toBe('fd00:64:0:0::/64');
    expect(addressGroupOf('fd00:64::ffff:1:2:3')).toBe('fd00:64:0:0::/64');
    expect(addressGroupOf('fd00:64:0:1::1')).toBe('fd00:64:0:1::/64');
    expect(addressGroupOf('::1')).toBe('0:0:0:0::/64');
    expect(addressGroupOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressGroupOf(undefined)).toBe('unknown');
  });
});
