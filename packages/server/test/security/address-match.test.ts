import { describe, expect, it } from 'vitest';
import {
  AddressList,
  AddressPatternError,
  hostOfRemoteAddress,
  parseAddressPattern,
  parseIp,
} from '../../src/security/address-match.js';

function matches(pattern: string, ip: string): boolean {
  const parsed = parseIp(ip);
  if (parsed === null) throw new Error(`bad test ip ${ip}`);
  return parseAddressPattern(pattern).matches(parsed);
}

describe('address patterns', () => {
  it('blank matches nothing; *, *.*.*.* and *:*:*:*:*:*:*:* match everything', () => {
    expect(matches('', '10.0.0.1')).toBe(false);
    expect(matches('   ', '::1')).toBe(false);
    for (const any of ['*', '*.*.*.*', '*:*:*:*:*:*:*:*']) {
      expect(matches(any, '10.0.0.1')).toBe(true);
      expect(matches(any, '2001:db8::1')).toBe(true);
    }
  });

  it('only ::ffff:a.b.c.d is an IPv4 address: other IPv6 addresses ending in ffff:a.b.c.d are not', () => {
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ family: 4, parts: [10, 0, 0, 1] });
    expect(parseIp('::1:ffff:10.0.0.1')?.family).toBe(6);
    expect(new AddressList(['10.0.0.1']).matchesIp('::1:ffff:10.0.0.1')).toBe(false);
  });

  it('refuses an IPv6 range with eight positions and a ::', () => {
    expect(() => parseAddressPattern('1:2:3:4:5:6:7::*')).toThrow(AddressPatternError);
    expect(() => parseAddressPattern('1:2:3:4:5:6::*')).not.toThrow();
  });

  it('one address, IPv4 and IPv6 in any spelling', () => {
    expect(matches('192.168.0.1', '192.168.0.1')).toBe(true);
    expect(matches('192.168.0.1', '192.168.0.2')).toBe(false);
    expect(matches('2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(matches('2001:DB8::1', '2001:db8::2')).toBe(false);
  });

  it('IPv4-mapped IPv6 matches as IPv4, on either side', () => {
    expect(matches('10.0.0.1', '::ffff:10.0.0.1')).toBe(true);
    expect(matches('::ffff:10.0.0.1', '10.0.0.1')).toBe(true);
    expect(matches('10.0.0.0/8', '::ffff:10.1.2.3')).toBe(true);
    expect(matches('::ffff:10.0.0.0/104', '10.9.9.9')).toBe(true);
    expect(matches('::ffff:10.0.0.0/104', '11.0.0.1')).toBe(false);
  });

  it('CIDR for IPv4 and IPv6', () => {
    expect(matches('10.0.0.0/8', '10.255.1.1')).toBe(true);
    expect(matches('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(matches('192.168.1.128/25', '192.168.1.200')).toBe(true);
    expect(matches('192.168.1.128/25', '192.168.1.100')).toBe(false);
    expect(matches('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(matches('10.0.0.1/32', '10.0.0.1')).toBe(true);
    expect(matches('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(matches('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(matches('fe80::/10', 'febf::1')).toBe(true);
    expect(matches('fe80::/10', 'fec0::1')).toBe(false);
    // Families never cross (except IPv4-mapped, above).
    expect(matches('::/0', '10.0.0.1')).toBe(false);
    expect(matches('0.0.0.0/0', '::1')).toBe(false);
  });

  it('RocketMQ comma lists and brace lists', () => {
    expect(matches('192.168.1.1,192.168.1.2', '192.168.1.2')).toBe(true);
    expect(matches('192.168.1.1,192.168.1.2', '192.168.1.3')).toBe(false);
    expect(matches('192.168.1.{1,2,3}', '192.168.1.3')).toBe(true);
    expect(matches('192.168.1.{1,2,3}', '192.168.1.4')).toBe(false);
    expect(matches('2001:db8::{1,2}', '2001:db8::2')).toBe(true);
    expect(matches('2001:db8::{1,2}', '2001:db8::3')).toBe(false);
  });

  it('RocketMQ ranges: a-b and * in one position, * after it', () => {
    expect(matches('192.168.1.1-100', '192.168.1.100')).toBe(true);
    expect(matches('192.168.1.1-100', '192.168.1.101')).toBe(false);
    expect(matches('192.168.1.1-100', '192.168.2.50')).toBe(false);
    expect(matches('192.168.0.*', '192.168.0.7')).toBe(true);
    expect(matches('192.168.0.*', '192.168.1.7')).toBe(false);
    expect(matches('192.168.*.*', '192.168.200.7')).toBe(true);
    expect(matches('10.*.*.*', '10.1.2.3')).toBe(true);
    expect(matches('10.*.*.*', '11.1.2.3')).toBe(false);
    expect(matches('192.168.1-5.*', '192.168.5.9')).toBe(true);
    expect(matches('192.168.1-5.*', '192.168.6.9')).toBe(false);
    expect(matches('2001:db8::1-ff', '2001:db8::ff')).toBe(true);
    expect(matches('2001:db8::1-ff', '2001:db8::100')).toBe(false);
    expect(matches('2001:db8::*', '2001:db8::abcd')).toBe(true);
    expect(matches('2001:db8::*', '2001:db9::abcd')).toBe(false);
  });

  it.each([
    ['10.0.0.0/33', /prefix length must be 0..32/],
    ['2001:db8::/129', /prefix length must be 0..128/],
    ['::ffff:10.0.0.0/64', /at least 96 bits/],
    ['10.0.0/8', /is not an IP address/],
    ['300.1.1.1', /is not an IP address/],
    ['hello', /is not an IP address/],
    ['192.168.1.1,nope', /"nope" is not an IP address/],
    ['192.168.1.{}', /empty/],
    ['192.168.{1,2}.1', /must be the last position|not an IP address/],
    ['192.168.1.100-1', /ascending/],
    ['192.168.1.1-300', /ascending within 0..255/],
    ['192.168.*.5', /only \* may follow/],
    ['*.1.1.1', /first position/],
    ['192.168.1-5', /needs 4 positions/],
    ['192.168.1', /is not an IP address/],
    ['192.168.1.0-0', /ends at 0/],
    ['2001:db8::*:1', /only \* may follow/],
  ])('rejects %s with a clear reason', (pattern, reason) => {
    let caught: unknown;
    try {
      parseAddressPattern(pattern);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AddressPatternError);
    expect((caught as Error).message).toMatch(reason);
    expect((caught as Error).message).toContain(pattern);
  });
});

describe('AddressList and remote addresses', () => {
  it('matches when any pattern does and reports which', () => {
    const list = new AddressList(['10.0.0.0/8', '192.168.0.*']);
    expect(list.matchesIp('192.168.0.9')).toBe(true);
    expect(list.firstMatch('10.2.3.4')).toBe('10.0.0.0/8');
    expect(list.firstMatch('172.16.0.1')).toBeNull();
    expect(list.matchesIp('not-an-ip')).toBe(false);
    expect(new AddressList([]).isEmpty).toBe(true);
  });

  it('takes the host of ip:port the way Java does (up to the last colon)', () => {
    expect(hostOfRemoteAddress('10.0.0.1:5000')).toBe('10.0.0.1');
    expect(hostOfRemoteAddress('::1:5000')).toBe('::1');
    expect(hostOfRemoteAddress('2001:db8::7:40000')).toBe('2001:db8::7');
    expect(hostOfRemoteAddress('[::1]:5000')).toBe('::1');
    expect(hostOfRemoteAddress('10.0.0.1')).toBe('10.0.0.1');
  });
});
