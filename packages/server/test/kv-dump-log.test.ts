/**
 * The periodic KV log line (Java prints every entry every 10 minutes) carries the size per
 * namespace at info; the entries come only at debug, so a large table is not copied and
 * serialised on the serving loop at the default level.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { request } from './handlers-harness.js';
import { startSecureNode } from './security/secure-node.js';
import { RawClient, waitFor } from './transport-helpers.js';

describe('the periodic KV config log line', () => {
  it.each(['info', 'debug'] as const)('at %s', async (logLevel) => {
    const n = await startSecureNode({ kvConfigDumpIntervalMillis: 1000, logLevel });
    const c = await RawClient.connect(n.port);
    try {
      for (const [i, key] of ['a', 'b', 'c'].entries()) {
        const res = await c.request(
          request(RequestCode.PUT_KV_CONFIG, {
            opaque: i + 1,
            ext: { namespace: 'NS', key, value: `value-of-${key}` },
          }),
        );
        expect(res.code).toBe(ResponseCode.SUCCESS);
      }
      const withThree = () =>
        n.lines.find(
          (l) => l['msg'] === 'KV config table' && (l['entries'] as number | undefined) === 3,
        );
      await waitFor('a KV config table line with the 3 entries', () => withThree() !== undefined);
      const line = withThree();
      expect(line).toMatchObject({ level: 30, entries: 3, namespaces: { NS: 3 } });
      const infoText = JSON.stringify(n.lines.filter((l) => l['msg'] === 'KV config table'));
      expect(infoText).not.toContain('value-of-a');
      const entriesLine = () =>
        n.lines.find(
          (l) => l['msg'] === 'KV config table entries' && JSON.stringify(l).includes('value-of-c'),
        );
      if (logLevel === 'debug') {
        await waitFor('the entries at debug', () => entriesLine() !== undefined);
        const detailed = entriesLine();
        expect(detailed).toMatchObject({ level: 20, configTable: { NS: { a: 'value-of-a' } } });
      } else {
        expect(n.lines.some((l) => l['msg'] === 'KV config table entries')).toBe(false);
      }
    } finally {
      c.destroy();
      await n.close();
    }
  });

  it('a table of many namespaces: totals and the largest 20 at info, and the line says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-kv-dump-'));
    const configTable: Record<string, Record<string, string>> = {};
    for (let i = 0; i < 2000; i++) configTable[`namespace-${i}`] = { k: 'v' };
    configTable['namespace-77'] = { a: '1', b: '2', c: '3' };
    const kvConfigPath = join(dir, 'kvConfig.json');
    writeFileSync(kvConfigPath, JSON.stringify({ configTable }));
    const n = await startSecureNode({ kvConfigDumpIntervalMillis: 1000, kvConfigPath });
    try {
      const dumped = () => n.lines.find((l) => l['msg'] === 'KV config table');
      await waitFor('a KV config table line', () => dumped() !== undefined);
      const line = dumped()!;
      expect(line).toMatchObject({
        level: 30,
        entries: 2002,
        namespaceCount: 2000,
        namespacesListed: 'the 20 largest of 2000',
      });
      const namespaces = line['namespaces'] as Record<string, number>;
      expect(Object.keys(namespaces)).toHaveLength(20);
      expect(Object.entries(namespaces)[0]).toEqual(['namespace-77', 3]);
      expect(JSON.stringify(line).length).toBeLessThan(2000);
    } finally {
      await n.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
