/**
 * The periodic KV log line (Java prints every entry every 10 minutes) carries the size per
 * namespace at info; the entries come only at debug, so a large table is not copied and
 * serialised on the serving loop at the default level.
 */
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
});
