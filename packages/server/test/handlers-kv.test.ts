import { describe, expect, it } from 'vitest';
import { encodeKVTable, LEGACY_JSON, ResponseCode, SerializeType } from '@ns/protocol';
import { KVConfigManager } from '../src/kvconfig/index.js';
import { bodyText, createHarness, register } from './handlers-harness.js';

describe('KV config handlers (100, 101, 102, 219)', () => {
  it('PUT then GET returns the value in extFields.value', () => {
    const h = createHarness();
    const put = h.send(100, { ext: { namespace: 'NS', key: 'k', value: 'v1' } });
    expect(put.code).toBe(ResponseCode.SUCCESS);
    expect(put.extFields).toBeNull();
    const get = h.send(101, { ext: { namespace: 'NS', key: 'k' } });
    expect(get.code).toBe(ResponseCode.SUCCESS);
    expect(get.extFields).toEqual({ value: 'v1' });
    expect(get.body).toBeNull();
  });

  it('GET of a missing key is QUERY_NOT_FOUND with the Java remark and "extFields":{}', () => {
    const h = createHarness();
    const res = h.send(101, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'FixtureTopic' } });
    expect(res.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect(res.remark).toBe('No config item, Namespace: ORDER_TOPIC_CONFIG Key: FixtureTopic');
    expect(res.extFields).toEqual({});
  });

  it('PUT without value stores null, which then reads as not found', () => {
    const h = createHarness();
    expect(h.send(100, { ext: { namespace: 'NS', key: 'k' } }).code).toBe(ResponseCode.SUCCESS);
    expect(h.send(101, { ext: { namespace: 'NS', key: 'k' } }).code).toBe(
      ResponseCode.QUERY_NOT_FOUND,
    );
    expect(bodyText(h.send(219, { ext: { namespace: 'NS' } }))).toBe('{"table":{}}');
  });

  it('PUT without namespace or key is SYSTEM_ERROR "namespace or key is null"', () => {
    const h = createHarness();
    for (const ext of [
      { key: 'k', value: 'v' },
      { namespace: 'NS', value: 'v' },
    ]) {
      const res = h.send(100, { ext });
      expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(res.remark).toBe('namespace or key is null');
    }
    expect(h.kv.getKVListByNamespace('NS')).toBeNull();
  });

  it('DELETE is always SUCCESS and never removes the emptied namespace', () => {
    const h = createHarness();
    h.send(100, { ext: { namespace: 'NS', key: 'k', value: 'v' } });
    expect(h.send(102, { ext: { namespace: 'NS', key: 'k' } }).code).toBe(ResponseCode.SUCCESS);
    expect(h.send(102, { ext: { namespace: 'NOPE', key: 'k' } }).code).toBe(ResponseCode.SUCCESS);
    const list = h.send(219, { ext: { namespace: 'NS' } });
    expect(list.code).toBe(ResponseCode.SUCCESS);
    expect(bodyText(list)).toBe('{"table":{}}');
  });

  it('GET_KVLIST_BY_NAMESPACE lists the namespace; missing is QUERY_NOT_FOUND without extFields', () => {
    const h = createHarness();
    h.send(100, {
      ext: {
        namespace: 'ORDER_TOPIC_CONFIG',
        key: 'OrderFixtureTopic',
        value: 'broker-b:8;broker-a:8',
      },
    });
    h.send(100, {
      ext: {
        namespace: 'ORDER_TOPIC_CONFIG',
        key: 'OrderProbeTopic',
        value: 'broker-a:8;broker-b:8',
      },
    });
    expect(bodyText(h.send(219, { ext: { namespace: 'ORDER_TOPIC_CONFIG' } }))).toBe(
      '{"table":{"OrderFixtureTopic":"broker-b:8;broker-a:8","OrderProbeTopic":"broker-a:8;broker-b:8"}}',
    );
    const miss = h.send(219, { ext: { namespace: 'NO_SUCH_NAMESPACE' } });
    expect(miss.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect(miss.remark).toBe('No config item, Namespace: NO_SUCH_NAMESPACE');
    expect(miss.extFields).toBeNull();
  });

  it("lists a namespace that once held more keys in its grown HashMap's order (Java never shrinks it)", () => {
    // 13 keys (32 buckets), 10 deleted. java.util.HashMap (OpenJDK 17) then iterates
    // Ship, Refund, Pay; a fresh map of those three (16 buckets) would give Refund, Ship, Pay.
    const ALL = ['Pay', 'Ship', 'Refund', 'Audit', 'Stock', 'Cart', 'User', 'Mail', 'Bill']
      .concat(['Tax', 'Fx', 'Risk', 'Log'])
      .map((t) => `OrderTopic${t}`);
    const JAVA =
      '{"table":{"OrderTopicShip":"b:8","OrderTopicRefund":"b:8","OrderTopicPay":"b:8"}}';
    const h = createHarness();
    for (const key of ALL)
      h.send(100, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key, value: 'b:8' } });
    for (const key of ALL.slice(3)) h.send(102, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key } });
    expect(bodyText(h.send(219, { ext: { namespace: 'ORDER_TOPIC_CONFIG' } }))).toBe(JAVA);
    // A registration gets the same ORDER_TOPIC_CONFIG body.
    expect(bodyText(register(h))).toBe(JAVA);
    // A replica started from a snapshot keeps the grown table.
    const replica = new KVConfigManager();
    const owner = new KVConfigManager();
    for (const key of ALL) owner.putKVConfig('ORDER_TOPIC_CONFIG', key, 'b:8');
    for (const key of ALL.slice(3)) owner.deleteKVConfig('ORDER_TOPIC_CONFIG', key);
    replica.importTable(owner.exportTable());
    expect(replica.namespaceTableCapacity('ORDER_TOPIC_CONFIG')).toBe(32);
    expect(owner.namespaceTableCapacity('ORDER_TOPIC_CONFIG')).toBe(32);
  });

  it('GET, DELETE and GET_KVLIST without namespace or key: Java reads them as null, found nowhere', () => {
    const h = createHarness();
    h.send(100, { ext: { namespace: 'NS', key: 'k', value: 'v' } });
    // An empty key is a key like any other: a missing one is not it.
    h.send(100, { ext: { namespace: 'NS', key: '', value: 'empty' } });
    const get = h.send(101, { ext: { namespace: 'NS' } });
    expect([get.code, get.remark]).toEqual([
      ResponseCode.QUERY_NOT_FOUND,
      'No config item, Namespace: NS Key: null',
    ]);
    expect(h.send(102, { ext: { key: 'k' } }).code).toBe(ResponseCode.SUCCESS);
    expect(h.send(102, { ext: {} }).code).toBe(ResponseCode.SUCCESS);
    expect(h.send(102, { ext: { namespace: 'NS' } }).code).toBe(ResponseCode.SUCCESS);
    expect(h.send(101, { ext: { namespace: 'NS', key: 'k' } }).extFields).toEqual({ value: 'v' });
    expect(h.send(101, { ext: { namespace: 'NS', key: '' } }).extFields).toEqual({
      value: 'empty',
    });
    const list = h.send(219, {});
    expect([list.code, list.remark]).toEqual([
      ResponseCode.QUERY_NOT_FOUND,
      'No config item, Namespace: null',
    ]);
  });

  it('answers in the request serialize type (ROCKETMQ in, ROCKETMQ out)', () => {
    const h = createHarness();
    const res = h.send(100, {
      ext: { namespace: 'NS', key: 'k', value: 'v' },
      serializeType: SerializeType.ROCKETMQ,
    });
    expect(res.serializeType).toBe(SerializeType.ROCKETMQ);
  });

  it('a failing KV persist answers SYSTEM_ERROR and leaves the old value', () => {
    let failing = false;
    const h = createHarness({
      kvPersist: () => {
        if (failing) throw new Error('disk full');
      },
    });
    h.send(100, { ext: { namespace: 'NS', key: 'k', value: 'old' } });
    failing = true;
    const res = h.send(100, { ext: { namespace: 'NS', key: 'k', value: 'new' } });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('disk full');
    expect(h.send(101, { ext: { namespace: 'NS', key: 'k' } }).extFields).toEqual({ value: 'old' });
  });

  it('219 keeps the encoded namespace until that namespace changes, byte for byte', () => {
    const h = createHarness();
    for (let i = 0; i < 20; i++)
      h.send(100, { ext: { namespace: 'NS', key: `k${i}`, value: 'v' } });
    h.send(100, { ext: { namespace: 'OTHER', key: 'k', value: 'v' } });
    // Deletes leave the Java table as large as it was: the key order must follow that.
    for (let i = 0; i < 15; i++) h.send(102, { ext: { namespace: 'NS', key: `k${i}` } });
    const first = h.send(219, { ext: { namespace: 'NS' } });
    const fresh = bodyText(first);
    expect(fresh).toBe(
      encodeKVTable(
        h.kv.getKVListByNamespace('NS')!,
        LEGACY_JSON,
        h.kv.namespaceTableCapacity('NS'),
      ).toString(),
    );
    // Encoded once for three answers (the very same Buffer), another namespace's change
    // notwithstanding.
    expect(h.send(219, { ext: { namespace: 'NS' } }).body).toBe(first.body);
    h.send(100, { ext: { namespace: 'OTHER', key: 'k2', value: 'v' } });
    expect(h.send(219, { ext: { namespace: 'NS' } }).body).toBe(first.body);
    h.send(100, { ext: { namespace: 'NS', key: 'k19', value: 'w' } });
    const again = h.send(219, { ext: { namespace: 'NS' } });
    expect(again.body).not.toBe(first.body);
    expect(bodyText(again)).toBe(fresh!.replace('"k19":"v"', '"k19":"w"'));
  });
});
