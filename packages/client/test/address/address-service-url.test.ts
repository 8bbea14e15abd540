import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { buildAddressServiceUrl } from '../../src/address/address-service-url.js';

describe('buildAddressServiceUrl (Java MixAll#getWSAddr + TopAddressing)', () => {
  it('defaults to jmenv.tbsite.net:8080 and the nsaddr subgroup', () => {
    expect(buildAddressServiceUrl()).toBe('http://jmenv.tbsite.net:8080/rocketmq/nsaddr');
  });

  it('adds :8080 only when the domain has no port', () => {
    expect(buildAddressServiceUrl({ domain: 'addr.example.com' })).toBe(
      'http://addr.example.com:8080/rocketmq/nsaddr',
    );
    expect(buildAddressServiceUrl({ domain: '127.0.0.1:18080', subgroup: 'nsaddr-prod' })).toBe(
      'http://127.0.0.1:18080/rocketmq/nsaddr-prod',
    );
  });

  it('appends -<unit>?nofix=1 for a unit name and extra parameters after it', () => {
    expect(buildAddressServiceUrl({ domain: 'h:1', unitName: 'unitA' })).toBe(
      'http://h:1/rocketmq/nsaddr-unitA?nofix=1',
    );
    expect(buildAddressServiceUrl({ domain: 'h:1', unitName: 'u', params: { zone: 'z 1' } })).toBe(
      'http://h:1/rocketmq/nsaddr-u?nofix=1&zone=z%201',
    );
    expect(
      buildAddressServiceUrl({ domain: 'h:1', unitName: '  ', params: { a: '1', b: '2' } }),
    ).toBe('http://h:1/rocketmq/nsaddr?a=1&b=2');
  });

  it('rejects a domain or subgroup that cannot be part of the URL', () => {
    expect(() => buildAddressServiceUrl({ domain: 'http://h' })).toThrow(InvalidOptionError);
    expect(() => buildAddressServiceUrl({ domain: '' })).toThrow(/expected 'host' or 'host:port'/);
    expect(() => buildAddressServiceUrl({ subgroup: 'a/b' })).toThrow(/path segment/);
  });
});
