/**
 * namesrv_kv_config_writes_total counts KV changes that were persisted (review finding L5): with
 * the write-behind persistence of a running node, a PUT or DELETE that failed to reach the disk
 * is not counted, nor are the edits that undo it.
 */
import { mkdirSync, rmdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '@ns/protocol';
import { tempPathOf } from '../src/kvconfig/index.js';
import { request } from './handlers-harness.js';
import { startSecureNode } from './security/secure-node.js';
import { RawClient } from './transport-helpers.js';

describe('namesrv_kv_config_writes_total', () => {
  it('counts persisted puts and deletes, not failed ones nor their undos', async () => {
    const n = await startSecureNode();
    const kvPath = n.server.config.kvConfigPath;
    const c = await RawClient.connect(n.port);
    let opaque = 1;
    const send = async (code: number, ext: Record<string, string>) =>
      (await c.request(request(code, { opaque: opaque++, ext }))).code;
    try {
      for (let i = 0; i < 5; i++) {
        expect(
          await send(RequestCode.PUT_KV_CONFIG, { namespace: 'ns', key: `k${i}`, value: 'v' }),
        ).toBe(ResponseCode.SUCCESS);
      }
      for (let i = 0; i < 3; i++) {
        expect(await send(RequestCode.DELETE_KV_CONFIG, { namespace: 'ns', key: `k${i}` })).toBe(
          ResponseCode.SUCCESS,
        );
      }
      // A directory where the temp file goes: the next writes fail, and are undone.
      mkdirSync(tempPathOf(kvPath));
      try {
        expect(
          await send(RequestCode.PUT_KV_CONFIG, { namespace: 'new', key: 'k', value: 'v' }),
        ).toBe(ResponseCode.SYSTEM_ERROR);
        expect(await send(RequestCode.DELETE_KV_CONFIG, { namespace: 'ns', key: 'k4' })).toBe(
          ResponseCode.SYSTEM_ERROR,
        );
      } finally {
        rmdirSync(tempPathOf(kvPath));
      }
      expect(await n.metric('namesrv_kv_config_writes_total', { op: 'put' })).toBe(5);
      expect(await n.metric('namesrv_kv_config_writes_total', { op: 'delete' })).toBe(3);
    } finally {
      c.destroy();
      await n.close();
    }
  });
});
