/**
 * The KV file store against what operators' disks hold (review findings M1, L1, L2): a file that
 * is not UTF-8 (Java with a GBK or ISO-8859-1 default charset) is refused, not decoded with
 * U+FFFD and then overwritten; temp files of this host's dead processes (kill -9 mid-write) are
 * removed at startup, nobody else's; a kvConfigPath that is a symbolic link is written through.
 */
import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KVConfigCorruptError,
  KVConfigError,
  KVConfigFileStore,
  KVConfigManager,
  tempPathOf,
  writeFileAtomicSync,
} from '../../src/kvconfig/index.js';
import { invalidUtf8Offset } from '../../src/kvconfig/kv-config-store.js';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { request } from '../handlers-harness.js';
import { startSecureNode } from '../security/secure-node.js';
import { RawClient } from '../transport-helpers.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kv-store-files-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a kvConfig.json that is not UTF-8', () => {
  // {"configTable":{"ORDER_TOPIC_CONFIG":{"café":"broker-a:4"}}} in ISO-8859-1: é is one byte.
  const head = '{"configTable":{"ORDER_TOPIC_CONFIG":{"caf';
  const latin1 = Buffer.concat([Buffer.from(head), Buffer.from([0xe9]), Buffer.from('":"b:4"}}}')]);

  it('is refused with the file and the byte offset named, and never overwritten', () => {
    const dir = tempDir();
    const path = join(dir, 'kvConfig.json');
    writeFileSync(path, latin1);
    const store = new KVConfigFileStore(path);
    let err: unknown;
    try {
      store.load();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KVConfigCorruptError);
    expect((err as KVConfigCorruptError).code).toBe('NS_KV_CONFIG_CORRUPT');
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain(`byte 0xE9 at byte offset ${head.length}`);
    expect(() => store.persist(new Map())).toThrow(KVConfigError);
    expect(store.removeStaleTempFiles()).toEqual([]);
    expect(readFileSync(path).equals(latin1)).toBe(true);
    expect(readdirSync(dir)).toEqual(['kvConfig.json']);
  });

  it('UTF-8 with non-ASCII keys and a byte order mark still loads', () => {
    const path = join(tempDir(), 'kvConfig.json');
    writeFileSync(path, '\uFEFF{"configTable":{"ORDER_TOPIC_CONFIG":{"café😀":"b:4"}}}');
    const kv = new KVConfigManager({ initial: new KVConfigFileStore(path).load() });
    expect(kv.getKVConfig('ORDER_TOPIC_CONFIG', 'café😀')).toBe('b:4');
  });

  it('the offset is that of the first ill-formed sequence', () => {
    const at = (...bytes: number[]) => invalidUtf8Offset(Uint8Array.from(bytes));
    expect(at(0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80)).toBe(-1);
    expect(at(0x61, 0xe9, 0x61)).toBe(1); // Latin-1 é
    expect(at(0x61, 0xc0, 0x80)).toBe(1); // overlong
    expect(at(0x61, 0xed, 0xa0, 0x80)).toBe(1); // a surrogate (CESU-8)
    expect(at(0x61, 0xf4, 0x90, 0x80, 0x80)).toBe(1); // above U+10FFFF
    expect(at(0x61, 0x62, 0xe2, 0x82)).toBe(2); // cut off by the end
    expect(at(0xc4, 0xe3)).toBe(0); // GBK
  });
});

describe('temp files of dead processes', () => {
  const deadPid = (): number => {
    const pid = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(pid).toBeGreaterThan(0);
    return pid;
  };

  it("are removed at startup: this host's dead pids only", () => {
    const dir = tempDir();
    const path = join(dir, 'kvConfig.json');
    writeFileSync(path, '{"configTable":{}}');
    const host = hostname();
    const dead = join(dir, `kvConfig.json.${host}-${deadPid()}.tmp`);
    const dead2 = join(dir, `kvConfig.json.${host}-${deadPid()}.tmp`);
    const live = join(dir, `kvConfig.json.${host}-${process.ppid}.tmp`);
    const own = tempPathOf(path);
    const otherHost = join(dir, `kvConfig.json.${host}x-${deadPid()}.tmp`);
    const otherFile = join(dir, `namesrv.properties.${host}-${deadPid()}.tmp`);
    const notPid = join(dir, `kvConfig.json.${host}-12ab.tmp`);
    // Named like a temp file of a dead process but for its ending: an operator's copy, kept.
    const notTmp = join(dir, `kvConfig.json.${host}-${deadPid()}.bak`);
    for (const f of [dead, dead2, live, own, otherHost, otherFile, notPid, notTmp]) {
      writeFileSync(f, 'x');
    }
    const store = new KVConfigFileStore(path);
    store.load();
    expect(store.removeStaleTempFiles().sort()).toEqual([dead, dead2].sort());
    expect(readdirSync(dir).sort()).toEqual(
      ['kvConfig.json', live, own, otherHost, otherFile, notPid, notTmp]
        .map((f) => f.replace(`${dir}/`, ''))
        .sort(),
    );
  });

  it("next to a linked file, by its target's name", () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'volume'));
    const target = join(dir, 'volume', 'kv.json');
    writeFileSync(target, '{"configTable":{}}');
    const link = join(dir, 'kvConfig.json');
    symlinkSync(target, link);
    const stale = join(dir, 'volume', `kv.json.${hostname()}-${deadPid()}.tmp`);
    const staleOld = join(dir, `kvConfig.json.${hostname()}-${deadPid()}.tmp`);
    writeFileSync(stale, 'x');
    writeFileSync(staleOld, 'x');
    const store = new KVConfigFileStore(link);
    store.load();
    expect(store.removeStaleTempFiles().sort()).toEqual([stale, staleOld].sort());
    expect(readdirSync(join(dir, 'volume'))).toEqual(['kv.json']);
  });
});

describe('a kvConfigPath that is a symbolic link', () => {
  it('is written through: the target gets the new content, the link stays', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'volume'));
    const target = join(dir, 'volume', 'kv.json');
    writeFileSync(target, '{"configTable":{"ns":{"old":"1"}}}');
    chmodSync(target, 0o600);
    const link = join(dir, 'kvConfig.json');
    symlinkSync('volume/kv.json', link); // relative, as `ln -s` makes it
    const store = new KVConfigFileStore(link);
    const kv = new KVConfigManager({ initial: store.load(), persist: (t) => store.persist(t) });
    kv.putKVConfig('ns', 'new', '2');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('volume/kv.json');
    expect(readFileSync(target, 'utf8')).toBe('{"configTable":{"ns":{"old":"1","new":"2"}}}');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'volume'))).toEqual(['kv.json']);
    expect(readdirSync(dir).sort()).toEqual(['kvConfig.json', 'volume']);
  });

  it('a chain of links and a dangling link are followed too; a loop fails the write', () => {
    const dir = tempDir();
    const target = join(dir, 'real.json');
    symlinkSync(target, join(dir, 'b.json')); // dangling: the write creates the target
    symlinkSync(join(dir, 'b.json'), join(dir, 'a.json'));
    writeFileAtomicSync(join(dir, 'a.json'), '{}');
    expect(readFileSync(target, 'utf8')).toBe('{}');
    expect(lstatSync(join(dir, 'a.json')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'b.json')).isSymbolicLink()).toBe(true);
    symlinkSync(join(dir, 'loop2'), join(dir, 'loop1'));
    symlinkSync(join(dir, 'loop1'), join(dir, 'loop2'));
    expect(() => writeFileAtomicSync(join(dir, 'loop1'), '{}')).toThrow(KVConfigError);
  });
});

describe('a node starting on such files', () => {
  it("removes a dead process's temp file before its first write, and says so", async () => {
    const dir = tempDir();
    const kvConfigPath = join(dir, 'kvConfig.json');
    writeFileSync(kvConfigPath, '{"configTable":{"ns":{"k":"v"}}}');
    const pid = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = join(dir, `kvConfig.json.${hostname()}-${pid}.tmp`);
    writeFileSync(stale, 'x'.repeat(1000));
    const n = await startSecureNode({ kvConfigPath });
    try {
      expect(readdirSync(dir)).toEqual(['kvConfig.json']);
      expect(n.lines).toContainEqual(
        expect.objectContaining({ level: 40, kvConfigPath, removed: [stale] }),
      );
    } finally {
      await n.close();
    }
  });

  it('does not start on a kvConfig.json that is not UTF-8, and leaves it as it is', async () => {
    const dir = tempDir();
    const kvConfigPath = join(dir, 'kvConfig.json');
    const bytes = Buffer.concat([
      Buffer.from('{"configTable":{"ns":{"cr'),
      Buffer.from([0xe8]),
      Buffer.from('me":"v"}}}'),
    ]);
    writeFileSync(kvConfigPath, bytes);
    await expect(startSecureNode({ kvConfigPath })).rejects.toMatchObject({
      code: 'NS_STARTUP_KV_CONFIG',
      message: expect.stringContaining('byte 0xE8 at byte offset 25') as unknown,
    });
    expect(readFileSync(kvConfigPath).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(['kvConfig.json']);
  });

  it('writes through a symbolic link kvConfigPath (the persistence thread: built dist/)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'volume'));
    const target = join(dir, 'volume', 'kv.json');
    writeFileSync(target, '{"configTable":{"ns":{"old":"1"}}}');
    const kvConfigPath = join(dir, 'kvConfig.json');
    symlinkSync(target, kvConfigPath);
    const n = await startSecureNode({ kvConfigPath });
    const c = await RawClient.connect(n.port);
    try {
      const res = await c.request(
        request(RequestCode.PUT_KV_CONFIG, {
          opaque: 1,
          ext: { namespace: 'ns', key: 'new', value: '2' },
        }),
      );
      expect(res.code).toBe(ResponseCode.SUCCESS);
      expect(lstatSync(kvConfigPath).isSymbolicLink()).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe('{"configTable":{"ns":{"old":"1","new":"2"}}}');
      expect(readdirSync(join(dir, 'volume'))).toEqual(['kv.json']);
    } finally {
      c.destroy();
      await n.close();
    }
  });
});
