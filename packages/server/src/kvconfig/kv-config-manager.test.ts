import { describe, expect, it } from 'vitest';
import { KVConfigError } from './kv-config-errors.js';
import { serializeKVConfigFile } from './kv-config-file-format.js';
import type { KVConfigTable } from './kv-config-file-format.js';
import { KVConfigManager } from './kv-config-manager.js';

function recording() {
  const files: string[] = [];
  const manager = new KVConfigManager({
    persist: (t: KVConfigTable) => files.push(serializeKVConfigFile(t)),
  });
  return { files, manager };
}

describe('KVConfigManager', () => {
  it('PUT creates the namespace, GET reads it, a miss is null', () => {
    const { manager, files } = recording();
    manager.putKVConfig('ORDER_TOPIC_CONFIG', 'TopicA', 'broker-a:4');
    expect(manager.getKVConfig('ORDER_TOPIC_CONFIG', 'TopicA')).toBe('broker-a:4');
    expect(manager.getKVConfig('ORDER_TOPIC_CONFIG', 'TopicB')).toBeNull();
    expect(manager.getKVConfig('nope', 'TopicA')).toBeNull();
    expect(files).toEqual(['{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4"}}}']);
  });

  it('DELETE keeps the emptied namespace and persists even when nothing changed', () => {
    const { manager, files } = recording();
    manager.putKVConfig('ns', 'k', 'v');
    manager.deleteKVConfig('ns', 'k');
    manager.deleteKVConfig('ns', 'missing');
    manager.deleteKVConfig('missing-ns', 'k');
    expect(files).toEqual([
      '{"configTable":{"ns":{"k":"v"}}}',
      '{"configTable":{"ns":{}}}',
      '{"configTable":{"ns":{}}}',
      '{"configTable":{"ns":{}}}',
    ]);
    expect(manager.getKVListByNamespace('ns')).toEqual({ table: new Map() });
    expect(manager.getKVListByNamespace('missing-ns')).toBeNull();
  });

  it('stores a null value: reads as not found, left out of lists and of the file', () => {
    const { manager, files } = recording();
    manager.putKVConfig('ns', 'a', '1');
    manager.putKVConfig('ns', 'n', null);
    expect(manager.getKVConfig('ns', 'n')).toBeNull();
    expect(manager.getKVListByNamespace('ns')).toEqual({ table: new Map([['a', '1']]) });
    expect(files.at(-1)).toBe('{"configTable":{"ns":{"a":"1"}}}');
  });

  it('getKVListByNamespace returns a copy', () => {
    const manager = new KVConfigManager();
    manager.putKVConfig('ns', 'a', '1');
    manager.getKVListByNamespace('ns')!.table.set('b', '2');
    expect(manager.getKVConfig('ns', 'b')).toBeNull();
  });

  it('a namespace loaded from the file keeps its grown Java table after deletes, as a replica does', () => {
    const keys = Array.from({ length: 13 }, (_, i) => `key${i}`);
    const initial = new Map([['ns', new Map(keys.map((k): [string, string] => [k, 'v']))]]);
    const owner = new KVConfigManager({ initial });
    const replica = new KVConfigManager();
    replica.importTable(new KVConfigManager({ initial }).exportTable());
    for (const manager of [owner, replica]) {
      manager.deleteKVConfig('ns', 'key0');
      manager.deleteKVConfig('ns', 'key1');
    }
    // 13 entries grew Java's HashMap to 32 buckets; 11 would fit in 16, but it never shrinks.
    expect(owner.namespaceTableCapacity('ns')).toBe(32);
    expect(replica.namespaceTableCapacity('ns')).toBe(32);
  });

  it('starts from initial content (copied) and keeps __proto__ as an ordinary key', () => {
    const initial = new Map([['ns', new Map([['__proto__', 'x']])]]);
    const manager = new KVConfigManager({ initial });
    initial.get('ns')!.set('later', 'y');
    expect(manager.getKVConfig('ns', '__proto__')).toBe('x');
    expect(manager.getKVConfig('ns', 'later')).toBeNull();
  });

  it('rolls a change back and throws a typed error when persisting fails', () => {
    let fail = false;
    const manager = new KVConfigManager({
      persist: () => {
        if (fail) throw new Error('disk full');
      },
    });
    manager.putKVConfig('ns', 'k', 'v1');
    fail = true;
    const err = (() => {
      try {
        manager.putKVConfig('ns', 'k', 'v2');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(KVConfigError);
    expect((err as KVConfigError).code).toBe('NS_KV_CONFIG_PERSIST_FAILED');
    expect(manager.getKVConfig('ns', 'k')).toBe('v1');
    expect(() => manager.putKVConfig('new-ns', 'k', 'v')).toThrow(KVConfigError);
    expect(manager.getKVListByNamespace('new-ns')).toBeNull();
    expect(() => manager.putKVConfig('ns', 'other', 'v')).toThrow(KVConfigError);
    expect(manager.getKVListByNamespace('ns')).toEqual({ table: new Map([['k', 'v1']]) });
    expect(() => manager.deleteKVConfig('ns', 'k')).toThrow(KVConfigError);
    expect(manager.getKVConfig('ns', 'k')).toBe('v1');
  });

  it("a namespace's stamp moves on with every import, so a body kept for the old stamp is not served", () => {
    const m = new KVConfigManager();
    expect(m.namespaceStamp('ns')).toBeNull();
    m.putKVConfig('ns', 'k', 'v1');
    const written = m.namespaceStamp('ns');
    m.importTable([['ns', [['k', 'v2']]]]);
    const imported = m.namespaceStamp('ns');
    expect(imported).not.toBeNull();
    expect(imported).not.toBe(written);
    m.importTable([['ns', [['k', 'v3']]]]);
    expect(m.namespaceStamp('ns')).not.toBe(imported);
    expect(m.namespaceStamp('ns')).not.toBe(written);
    expect(m.getKVConfig('ns', 'k')).toBe('v3');
  });

  it('rejects a null namespace or key with a typed error', () => {
    const manager = new KVConfigManager();
    const bad = null as unknown as string;
    expect(() => manager.putKVConfig(bad, 'k', 'v')).toThrow(
      expect.objectContaining({
        code: 'NS_KV_CONFIG_BAD_ARGUMENT',
        message: 'namespace or key is null',
      }),
    );
    expect(() => manager.deleteKVConfig('ns', bad)).toThrow(KVConfigError);
  });
});
