import { describe, expect, it } from 'vitest';
import { createBrowserHostPolicy, hostOf, parseAllowedHosts } from './browser-hosts.js';

const BROWSER = { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' };

function policy(allowed = '', consistencyNodes = '') {
  return createBrowserHostPolicy({
    allowed,
    hostname: 'ns-host-7.example.net',
    consistencyNodes: () => consistencyNodes,
  });
}

describe('host policy of the data views (DNS rebinding)', () => {
  it('lets requests use addresses, localhost, dotless and private names, the host name', () => {
    const p = policy();
    for (const host of [
      '127.0.0.1:9877',
      '10.1.2.3',
      '[::1]:9877',
      '[fe80::1]',
      'localhost:9877',
      'app.localhost',
      'namesrv1:9877',
      'namesrv-0.namesrv.rocketmq.svc:9877',
      'namesrv-0.namesrv.rocketmq.svc.cluster.local.',
      'ns.internal',
      'box.lan',
      'printer.home.arpa',
      'NS-HOST-7.example.NET:9877',
    ]) {
      expect(p.allows({ host, ...BROWSER }), host).toBe(true);
    }
  });

  it('refuses any other host name', () => {
    const p = policy();
    expect(p.allows({ host: 'attacker.test:9877', ...BROWSER })).toBe(false);
    expect(p.allows({ host: 'rebind.example.com', origin: 'http://rebind.example.com' })).toBe(
      false,
    );
    expect(p.allows({ host: 'rebind.example.com', 'sec-fetch-mode': 'navigate' })).toBe(false);
    // A look-alike of a private suffix is not one.
    expect(p.allows({ host: 'evil-local.com', ...BROWSER })).toBe(false);
    expect(p.allows({ host: 'notlocalhost.com', ...BROWSER })).toBe(false);
  });

  // A first version judged only requests with Sec-Fetch-* or Origin; over plain HTTP a
  // rebinding page's same-origin GET carries neither (a review's Chromium run).
  it('holds every request to the names, browser headers or not', () => {
    const p = policy();
    expect(p.allows({ host: 'attacker.test:9877' })).toBe(false);
    expect(p.allows({ host: 'attacker.test', 'user-agent': 'Mozilla/5.0' })).toBe(false);
    expect(p.allows({ host: '127.0.0.1:9877', 'user-agent': 'curl/8' })).toBe(true);
    // No Host at all (HTTP/1.0): nothing to judge; browsers always send one.
    expect(p.allows({})).toBe(true);
  });

  it('takes names, domains and * from httpAllowedHosts, and the hosts of consistencyNodes', () => {
    const p = policy(
      'ns.example.com; .corp.example.org',
      'http://a.example.io:9877;b.example.io:9876',
    );
    expect(p.allows({ host: 'ns.example.com:9877', ...BROWSER })).toBe(true);
    expect(p.allows({ host: 'other.example.com', ...BROWSER })).toBe(false);
    expect(p.allows({ host: 'console.corp.example.org', ...BROWSER })).toBe(true);
    expect(p.allows({ host: 'corp.example.org', ...BROWSER })).toBe(true);
    expect(p.allows({ host: 'xcorp.example.org', ...BROWSER })).toBe(false);
    expect(p.allows({ host: 'a.example.io:9877', ...BROWSER })).toBe(true);
    expect(p.allows({ host: 'b.example.io', ...BROWSER })).toBe(true);
    expect(policy('*').allows({ host: 'anything.example.com', ...BROWSER })).toBe(true);
  });

  it('reads consistencyNodes at each check (it may change while the node runs)', () => {
    let nodes = '';
    const p = createBrowserHostPolicy({
      allowed: '',
      hostname: 'h',
      consistencyNodes: () => nodes,
    });
    expect(p.allows({ host: 'a.example.io', ...BROWSER })).toBe(false);
    nodes = 'a.example.io:9876';
    expect(p.allows({ host: 'a.example.io', ...BROWSER })).toBe(true);
  });

  it('parses httpAllowedHosts strictly', () => {
    expect(parseAllowedHosts(' NS.example.com ;.example.org, * ')).toEqual([
      'ns.example.com',
      '.example.org',
      '*',
    ]);
    expect(parseAllowedHosts('')).toEqual([]);
    for (const bad of ['http://ns.example.com', 'ns.example.com:9877', 'a b', '*.example.com']) {
      expect(() => parseAllowedHosts(bad), bad).toThrow(/is not a host name, a \.domain or \*/);
    }
  });

  it('reads the name out of a Host header', () => {
    expect(hostOf('Example.COM.:80')).toBe('example.com');
    expect(hostOf('[::1]:9877')).toBe('::1');
    expect(hostOf('  ')).toBeNull();
    expect(hostOf(undefined)).toBeNull();
  });
});
