import { describe, expect, it } from 'vitest';
import { RequestCode } from '@ns/protocol';
import { REQUEST_CLASS_OF_CODE, requestClassOf } from '../../src/security/request-classes.js';
import { startSecureNode } from './secure-node.js';

/** The codes a real serving node answers (the defaults: every optional handler on). */
async function servedCodes(): Promise<number[]> {
  const n = await startSecureNode();
  try {
    return n.server.servingNode!.dispatcher.supportedCodes;
  } finally {
    await n.close();
  }
}

describe('request classes', () => {
  it('classifies every code a serving node serves deliberately (none falls to the unknown default)', async () => {
    const served = await servedCodes();
    expect(served.length).toBeGreaterThan(20);
    expect(served).toContain(RequestCode.WATCH_TOPIC_ROUTE);
    const unclassified = served.filter((code) => !REQUEST_CLASS_OF_CODE.has(code));
    expect(unclassified).toEqual([]);
    // …and classifies nothing the server does not serve (a stale entry would hide a rename).
    const notServed = [...REQUEST_CLASS_OF_CODE.keys()].filter((code) => !served.includes(code));
    expect(notServed).toEqual([]);
  });

  it('follows the issue: routes read, broker control, admin read, admin write', () => {
    expect(requestClassOf(RequestCode.GET_ROUTEINFO_BY_TOPIC)).toBe('route-read');
    expect(requestClassOf(RequestCode.GET_BROKER_CLUSTER_INFO)).toBe('route-read');
    expect(requestClassOf(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).toBe('route-read');
    // The route watch is GET_ROUTEINFO_BY_TOPIC held open: the same class.
    expect(requestClassOf(RequestCode.WATCH_TOPIC_ROUTE)).toBe(
      requestClassOf(RequestCode.GET_ROUTEINFO_BY_TOPIC),
    );
    expect(requestClassOf(RequestCode.REGISTER_BROKER)).toBe('broker-control');
    expect(requestClassOf(RequestCode.UNREGISTER_BROKER)).toBe('broker-control');
    expect(requestClassOf(RequestCode.BROKER_HEARTBEAT)).toBe('broker-control');
    expect(requestClassOf(RequestCode.QUERY_DATA_VERSION)).toBe('broker-control');
    expect(requestClassOf(RequestCode.GET_BROKER_MEMBER_GROUP)).toBe('broker-control');
    expect(requestClassOf(RequestCode.GET_KV_CONFIG)).toBe('admin-read');
    expect(requestClassOf(RequestCode.GET_KVLIST_BY_NAMESPACE)).toBe('admin-read');
    expect(requestClassOf(RequestCode.GET_NAMESRV_CONFIG)).toBe('admin-read');
    for (const code of [
      RequestCode.PUT_KV_CONFIG,
      RequestCode.DELETE_KV_CONFIG,
      RequestCode.WIPE_WRITE_PERM_OF_BROKER,
      RequestCode.ADD_WRITE_PERM_OF_BROKER,
      RequestCode.DELETE_TOPIC_IN_NAMESRV,
      RequestCode.REGISTER_TOPIC_IN_NAMESRV,
      RequestCode.UPDATE_NAMESRV_CONFIG,
    ]) {
      expect(requestClassOf(code)).toBe('admin-write');
    }
  });

  it('treats unknown codes (and broker/client codes a NameServer never serves) as admin-write', () => {
    expect(requestClassOf(9999)).toBe('admin-write');
    expect(requestClassOf(-1)).toBe('admin-write');
    expect(requestClassOf(RequestCode.SEND_MESSAGE)).toBe('admin-write');
    expect(requestClassOf(RequestCode.NOTIFY_MIN_BROKER_ID_CHANGE)).toBe('admin-write');
  });
});
