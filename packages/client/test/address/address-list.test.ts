import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidAddressListError } from '../../src/errors.js';
import {
  formatAddressList,
  parseAddressList,
  parseHostPort,
  parseNameServerAddressOption,
  sameMembers,
} from '../../src/address/address-list.js';

function errorOf(fn: () => unknown): InvalidAddressListError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidAddressListError);
    return err as InvalidAddressListError;
  }
  throw new Error('expected an InvalidAddressListError');
}

describe('parseAddressList', () => {
  it('parses a semicolon list of hosts, IPv4 and bracketed IPv6', () => {
    expect(parseAddressList('10.0.0.1:9876;ns-2.example.com:9877;[::1]:9876')).toEqual([
      '10.0.0.1:9876',
      'ns-2.example.com:9877',
      '[::1]:9876',
    ]);
    expect(parseAddressList('localhost:9876')).toEqual(['localhost:9876']);
  });

  it('tolerates surrounding whitespace and trailing ;s like Java String#split', () => {
    expect(parseAddressList('  a:1;b:2;\n')).toEqual(['a:1', 'b:2']);
    expect(parseAddressList('a:1;b:2;;;')).toEqual(['a:1', 'b:2']);
  });

  it('drops duplicates, keeping the first occurrence', () => {
    expect(parseAddressList('a:1;b:2;a:1')).toEqual(['a:1', 'b:2']);
  });

  it('explains that , is not the separator (apache/rocketmq#818)', () => {
    const err = errorOf(() => parseAddressList('a:9876,b:9876'));
    expect(err.code).toBe('NS_INVALID_ADDRESS_LIST');
    expect(err.message).toContain("uses ',' as a separator; use ';' instead");
    expect(err.input).toBe('a:9876,b:9876');
  });

  it('rejects whitespace inside the list and names the entry', () => {
    const err = errorOf(() => parseAddressList('a:9876; b:9876'));
    expect(err.message).toContain("' b:9876'");
    expect(err.message).toContain('whitespace');
    expect(err.entry).toBe(' b:9876');
  });

  it('rejects empty entries, missing and invalid ports, bad hosts', () => {
    expect(errorOf(() => parseAddressList('a:1;;b:2')).message).toContain(
      'empty entry at position 2',
    );
    expect(errorOf(() => parseAddressList(';a:1')).message).toContain('empty entry at position 1');
    expect(errorOf(() => parseAddressList('')).message).toContain('empty');
    expect(errorOf(() => parseAddressList('   ')).message).toContain('empty');
    expect(errorOf(() => parseAddressList('a')).message).toContain(
      "missing port, expected 'host:port'",
    );
    expect(errorOf(() => parseAddressList('a:')).message).toContain('missing port number');
    expect(errorOf(() => parseAddressList('a:x1')).message).toContain("port 'x1' is not a number");
    expect(errorOf(() => parseAddressList('a:0')).message).toContain('out of range');
    expect(errorOf(() => parseAddressList('a:65536')).message).toContain('out of range');
    expect(parseAddressList('a:1;b:65535')).toEqual(['a:1', 'b:65535']);
    // Only trailing empty entries are dropped: a list of nothing but ';' is still empty entries.
    expect(errorOf(() => parseAddressList(';')).message).toContain('empty entry at position 1');
    expect(errorOf(() => parseAddressList(';;')).message).toContain('empty entry at position 1');
    expect(errorOf(() => parseAddressList(':9876')).message).toContain('missing host');
    expect(errorOf(() => parseAddressList('300.1.1.1:9876')).message).toContain('not a valid host');
    expect(errorOf(() => parseAddressList('bad_host!:1')).message).toContain('not a valid host');
    expect(errorOf(() => parseAddressList('tcp://a:1')).message).toContain('scheme');
  });

  it('reads IPv6 without brackets as Java does (port after the last colon), and needs a real IPv6', () => {
    // Java: RemotingHelper#string2SocketAddress splits at the last ':'. Written back bracketed.
    expect(parseAddressList('10.0.0.1:9876;fe80::1:9876')).toEqual([
      '10.0.0.1:9876',
      '[fe80::1]:9876',
    ]);
    expect(parseAddressList('[fe80::1]:9876;fe80::1:9876')).toEqual(['[fe80::1]:9876']);
    expect(errorOf(() => parseAddressList('a:b:9876')).message).toContain('not an IPv6');
    expect(errorOf(() => parseAddressList('[::1]')).message).toContain('missing port');
    expect(errorOf(() => parseAddressList('[::1:9876')).message).toContain('unterminated');
    expect(errorOf(() => parseAddressList('[nope]:1')).message).toContain('not an IPv6');
  });

  it('names an IPv6 address whose port is missing, and keeps one spelling per IPv6 node', () => {
    expect(errorOf(() => parseAddressList('::1')).message).toContain(
      "without a port; expected '[::1]:port'",
    );
    expect(errorOf(() => parseAddressList('fd00::2')).message).toContain(
      "expected '[fd00::2]:port'",
    );
    expect(parseAddressList('[::1]:9876;[0:0:0:0:0:0:0:1]:9876;[0::1]:9876;::1:9876')).toEqual([
      '[::1]:9876',
    ]);
    expect(parseAddressList('[FE80:0:0:0:0:0:0:1%eth0]:9876')).toEqual(['[fe80::1%eth0]:9876']);
  });

  it('round-trips any valid list through format and parse (property)', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.domain(),
      fc.ipV6().map((ip) => `[${ip}]`),
    );
    const addr = fc.tuple(host, fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`);
    fc.assert(
      fc.property(fc.uniqueArray(addr, { minLength: 1, maxLength: 6 }), (list) => {
        // IPv6 literals come back in one canonical spelling; that form is a fixed point.
        const once = parseAddressList(formatAddressList(list));
        expect(parseAddressList(formatAddressList(once))).toEqual(once);
        expect(once.length).toBeLessThanOrEqual(list.length);
      }),
      { seed: 818, numRuns: 200 },
    );
  });
});

describe('parseHostPort', () => {
  it('returns the host without brackets for net.connect', () => {
    expect(parseHostPort('[fe80::1]:9876')).toEqual({ host: 'fe80::1', port: 9876 });
    expect(parseHostPort('127.0.0.1:1')).toEqual({ host: '127.0.0.1', port: 1 });
  });
});

describe('parseNameServerAddressOption', () => {
  it('takes everything after the last / of an http:// endpoint ([5.x])', () => {
    expect(parseNameServerAddressOption('http://ns.example.com/ns/a:9876;b:9876')).toEqual([
      'a:9876',
      'b:9876',
    ]);
    expect(errorOf(() => parseNameServerAddressOption('http://x/y')).message).toContain(
      'missing port',
    );
  });

  it('accepts an array and rejects other schemes and empty endpoints', () => {
    expect(parseNameServerAddressOption(['a:1', 'b:2'])).toEqual(['a:1', 'b:2']);
    expect(errorOf(() => parseNameServerAddressOption([])).message).toContain('empty');
    expect(errorOf(() => parseNameServerAddressOption('https://x/a:1')).message).toContain(
      'unsupported scheme',
    );
    expect(errorOf(() => parseNameServerAddressOption('http://x/')).message).toContain(
      "after the last '/'",
    );
  });
});

describe('sameMembers', () => {
  it('ignores order but not membership or size', () => {
    expect(sameMembers(['a:1', 'b:2'], ['b:2', 'a:1'])).toBe(true);
    expect(sameMembers(['a:1', 'b:2'], ['a:1', 'c:3'])).toBe(false);
    expect(sameMembers(['a:1'], ['a:1', 'b:2'])).toBe(false);
    expect(sameMembers(['a:1', 'b:2'], ['a:1'])).toBe(false);
  });
});
