import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KVConfigCorruptError, KVConfigError } from './kv-config-errors.js';
import { KVConfigManager } from './kv-config-manager.js';
import { KVConfigFileStore, writeFileAtomicSync } from './kv-config-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kv-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(path: string): { store: KVConfigFileStore; manager: KVConfigManager } {
  const store = new KVConfigFileStore(path);
  const manager = new KVConfigManager({ initial: store.load(), persist: (t) => store.persist(t) });
  return { store, manager };
}

describe('KVConfigFileStore', () => {
  it('a missing file loads empty; writes create parent directories; state survives a restart', () => {
    const path = join(tempDir(), 'a', 'b', 'kvConfig.json');
    const first = open(path);
    expect(first.manager.getKVListByNamespace('ns')).toBeNull();
    first.manager.putKVConfig('ns', 'k1', 'v1');
    first.manager.putKVConfig('ns', 'k2', 'v2');
    first.manager.deleteKVConfig('ns', 'k1');
    first.manager.putKVConfig('empty', 'x', 'y');
    first.manager.deleteKVConfig('empty', 'x');
    expect(readFileSync(path, 'utf8')).toBe('{"configTable":{"ns":{"k2":"v2"},"empty":{}}}');

    const second = open(path);
    expect(second.manager.getKVConfig('ns', 'k2')).toBe('v2');
    expect(second.manager.getKVConfig('ns', 'k1')).toBeNull();
    expect(second.manager.getKVListByNamespace('empty')).toEqual({ table: new Map() });
    // No temp file is left behind.
    expect(readdirSync(join(path, '..'))).toEqual(['kvConfig.json']);
  });

  it('a rewrite keeps the permission bits of the file it replaces; a new file gets the given mode', () => {
    const dir = tempDir();
    const path = join(dir, 'namesrv.properties');
    const modeOf = (p: string): number => statSync(p).mode & 0o777;
    writeFileAtomicSync(path, 'a=1\n', 0o600);
    expect(modeOf(path) & 0o077).toBe(0); // 0600 less the umask: nobody else reads it
    // An operator's 0640 (group bits the umask would have cleared on open) survives an update.
    chmodSync(path, 0o640);
    writeFileAtomicSync(path, 'a=2\n', 0o600);
    expect(readFileSync(path, 'utf8')).toBe('a=2\n');
    expect(modeOf(path)).toBe(0o640);
    // And 0666: write bits any usual umask (022, 002, 027) clears when the new file is opened.
    chmodSync(path, 0o666);
    writeFileAtomicSync(path, 'a=3\n', 0o600);
    expect(modeOf(path)).toBe(0o666);
    // A KV file that an operator locked down stays so too.
    const kv = join(dir, 'kvConfig.json');
    writeFileAtomicSync(kv, '{}');
    chmodSync(kv, 0o600);
    writeFileAtomicSync(kv, '{"configTable":{}}');
    expect(modeOf(kv)).toBe(0o600);
  });

  it('refuses to overwrite a file it could not read (not just one it could not parse)', () => {
    // A directory where the file should be: the read fails with EISDIR, not ENOENT.
    const path = join(tempDir(), 'kvConfig.json');
    mkdirSync(path);
    const store = new KVConfigFileStore(path);
    expect(() => store.load()).toThrow(KVConfigCorruptError);
    expect(() => store.persist(new Map([['ns', new Map([['k', 'v']])]]))).toThrow(
      /refusing to overwrite/,
    );
  });

  it('loads a Java-written file', () => {
    const path = join(tempDir(), 'kvConfig.json');
    writeFileSync(path, '{"configTable":{"ORDER_TOPIC_CONFIG":{"T":"broker-a:8"}}}');
    expect(open(path).manager.getKVConfig('ORDER_TOPIC_CONFIG', 'T')).toBe('broker-a:8');
  });

  it('refuses a corrupt file, names it, and never overwrites or renames it', () => {
    const dir = tempDir();
    const path = join(dir, 'kvConfig.json');
    writeFileSync(path, '{"configTable":{"ns":');
    const store = new KVConfigFileStore(path);
    expect(() => store.load()).toThrow(KVConfigCorruptError);
    expect(() => store.load()).toThrow(path);
    expect(() => store.persist(new Map())).toThrow(KVConfigError);
    expect(readFileSync(path, 'utf8')).toBe('{"configTable":{"ns":');
    expect(readdirSync(dir)).toEqual(['kvConfig.json']);
  });

  it('reports a path it cannot read (a directory) as a load error', () => {
    const dir = tempDir();
    expect(() => new KVConfigFileStore(dir).load()).toThrow(KVConfigCorruptError);
    expect(() => new KVConfigFileStore(dir).load()).toThrow(/cannot read it/);
  });

  it('wraps write failures in a typed error, rolls back, keeps the previous file and no temp file', () => {
    const dir = tempDir();
    // A name the file system takes, but not with the temp file's suffix: ENAMETOOLONG, even as
    // root, every time.
    const path = join(dir, 'k'.repeat(245));
    writeFileSync(path, '{"configTable":{"ns":{"k":"v"}}}');
    const { manager } = open(path);
    expect(() => manager.putKVConfig('ns', 'k2', 'v2')).toThrow(
      expect.objectContaining({ code: 'NS_KV_CONFIG_PERSIST_FAILED' }),
    );
    expect(manager.getKVConfig('ns', 'k2')).toBeNull();
    expect(readFileSync(path, 'utf8')).toBe('{"configTable":{"ns":{"k":"v"}}}');
    expect(readdirSync(dir)).toEqual([basename(path)]);
  });

  it('removes its temp file when the rename fails', () => {
    const dir = tempDir();
    // A non-empty directory where the file should be: the temp file is written, the rename fails.
    const path = join(dir, 'kvConfig.json');
    mkdirSync(join(path, 'inside'), { recursive: true });
    expect(() => writeFileAtomicSync(path, '{}')).toThrow(KVConfigError);
    expect(readdirSync(dir)).toEqual(['kvConfig.json']);
  });
});
