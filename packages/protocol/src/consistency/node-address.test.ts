import { describe, expect, it } from 'vitest';
import { NodeListError, parseNodeList } from './node-address.js';

describe('parseNodeList', () => {
  it('maps remoting addresses to the admin port next to them, keeps http:// entries', () => {
    expect(parseNodeList(' a:9876 ; http://b:19877/ ;[::1]:9000;')).toEqual([
      { node: 'a:9876', adminUrl: 'http://a:9877' },
      { node: 'http://b:19877/', adminUrl: 'http://b:19877' },
      { node: '[::1]:9000', adminUrl: 'http://[::1]:9001' },
    ]);
  });

  it('httpPort replaces port + 1 for host:port entries only', () => {
    expect(parseNodeList('a:9876;http://b:1', { httpPort: 8080 })).toEqual([
      { node: 'a:9876', adminUrl: 'http://a:8080' },
      { node: 'http://b:1', adminUrl: 'http://b:1' },
    ]);
  });

  it.each([
    ['', 'the node list is empty'],
    ['a:9876,b:9876', "separate nodes with ';'"],
    ['a', "'a': expected host:port"],
    ['a:0', 'port 0 is not in 1..65535'],
    ['a:65535', 'port + 1 is not a port'],
    ['https://a:1', 'only http:// admin addresses'],
    ['http://a:1/x', 'expected http://host:port (no path)'],
    ['a:1;a:1', "'a:1' is listed twice"],
    [`http://127.${'0'.repeat(300)}.0.1:1`, '317 characters, at most 270'],
  ])('%j is refused: %s', (list, message) => {
    expect(() => parseNodeList(list)).toThrow(NodeListError);
    expect(() => parseNodeList(list)).toThrow(message);
  });

  it('maxNodes bounds the list', () => {
    expect(() => parseNodeList('a:1;b:1;c:1', { maxNodes: 2 })).toThrow(
      '3 nodes given, at most 2 are compared',
    );
  });
});

describe('parseNodeList, IPv6 without brackets (as NAMESRV_ADDR takes it)', () => {
  it('reads the port after the last colon', () => {
    expect(parseNodeList('::1:9876;0:0:0:0:0:0:0:2:9000').map((n) => n.adminUrl)).toEqual([
      'http://[::1]:9877',
      'http://[0:0:0:0:0:0:0:2]:9001',
    ]);
  });
  it('still refuses what is not an address', () => {
    expect(() => parseNodeList('::1')).toThrow(NodeListError);
    expect(() => parseNodeList('a:b:9876')).toThrow(NodeListError);
  });
});

describe('parseNodeList, IPv6 spellings and zones', () => {
  it('counts one node once however its IPv6 address is spelled', () => {
    expect(() => parseNodeList('[::1]:9876;[0:0:0:0:0:0:0:1]:9876')).toThrow('listed twice');
    expect(() => parseNodeList('[FD00::2]:9876;fd00::2:9876')).toThrow('listed twice');
  });
  it('says why a zone (%eth0) cannot be used instead of "expected host:port"', () => {
    expect(() => parseNodeList('[fe80::1%eth0]:9876')).toThrow('IPv6 zone');
    expect(() => parseNodeList('fe80::1%eth0:9876')).toThrow('IPv6 zone');
    expect(() => parseNodeList('http://[fe80::1%eth0]:9877')).toThrow('IPv6 zone');
  });
});

describe('parseNodeList, hosts no URL can hold', () => {
  it('refuses them as a list error, not a TypeError', () => {
    for (const entry of [
      '[1.2.3.4]:9876',
      '[:::]:9876',
      'http://[1.2.3.4]:9877',
      '999.1.1.1:9876',
    ]) {
      expect(() => parseNodeList(entry)).toThrow(NodeListError);
    }
  });
});
