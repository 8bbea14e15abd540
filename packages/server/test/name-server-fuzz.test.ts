/**
 * Socket-level fuzz against the real composition root: mutated captures of every request the
 * 4.9.7 NameServer was sent, plus random bytes, on throw-away connections, while one steady
 * connection keeps reading a KV entry nobody else can touch and must always get it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestCode, ResponseCode, createRequest, newExtFields } from '@ns/protocol';
import { listFixtures, loadFixture } from '../../protocol/test/fixtures.js';
import { loadConfig } from '../src/config/index.js';
import { NameServer } from '../src/name-server.js';
import { RawClient, waitFor } from './transport-helpers.js';

let dir = '';
let server: NameServer | null = null;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('NameServer under fuzzed input', () => {
  it('mutated real requests on other connections never disturb a steady one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-fuzz-'));
    const config = loadConfig({
      argv: [
        '--bindAddress=127.0.0.1',
        '--listenPort=0',
        '--httpPort=-1',
        '--maxFrameLength=65536',
      ],
      env: {},
      readFile: (p) => readFileSync(p, 'utf8'),
      homeDir: dir,
    }).config;
    server = new NameServer({ config, defaultMetrics: false });
    const { port } = await server.start();

    const steady = await RawClient.connect(port);
    clients.push(steady);
    const ns = `fuzz-guard-${process.pid}-${Date.now()}`;
    const put = newExtFields();
    put.namespace = ns;
    put.key = 'k';
    put.value = 'expected';
    const putRes = await steady.request(
      createRequest({ code: RequestCode.PUT_KV_CONFIG, opaque: 1, extFields: put }),
    );
    expect(putRes.code).toBe(ResponseCode.SUCCESS);

    const seeds = listFixtures().map((name) => loadFixture(name).request);
    let seed = 0x9e3779b9;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const mutate = (): Buffer => {
      const base = seeds[rand(seeds.length)]!;
      const b = Buffer.from(base);
      switch (rand(5)) {
        case 0:
          return Buffer.from(Array.from({ length: 1 + rand(48) }, () => rand(256)));
        case 1:
          for (let k = 0; k < 1 + rand(8); k++) b[rand(b.length)] = rand(256);
          return b;
        case 2:
          return b.subarray(0, rand(b.length)); // truncated
        case 3: {
          // Flip bytes in the header only: keeps the framing, breaks JSON / binary fields.
          if (b.length < 9) return b;
          const headerEnd = Math.min(b.length, 8 + (b.readUInt32BE(4) & 0xffffff));
          for (let k = 0; k < 1 + rand(3); k++) b[8 + rand(Math.max(1, headerEnd - 8))] = rand(256);
          return b;
        }
        default:
          return b; // unmodified: real requests interleaved with garbage
      }
    };

    let opaque = 100;
    for (let round = 0; round < 200; round++) {
      const fuzz = await RawClient.connect(port);
      clients.push(fuzz);
      for (let k = 0; k < 1 + rand(4); k++) fuzz.send(mutate());
      const get = newExtFields();
      get.namespace = ns;
      get.key = 'k';
      const res = await steady.request(
        createRequest({ code: RequestCode.GET_KV_CONFIG, opaque: opaque++, extFields: get }),
      );
      expect(res.code).toBe(ResponseCode.SUCCESS);
      expect(res.extFields?.value).toBe('expected');
      fuzz.destroy();
    }
    expect(steady.isClosed).toBe(false);
    await waitFor('fuzz connections closed', () => server!.connectionCount === 1);
  });
});
