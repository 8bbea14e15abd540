/**
 * Our signed requests against real mqadmin frames (stock conf/tools.yml: rocketmq2 / 12345678):
 * the same fields signed by us must give the same frame, byte for byte, and the server-side
 * verifier must accept them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createResponse,
  encodeCommand,
  newExtFields,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { verifySignature } from '@ns/server';
import {
  readFixtureCommand,
  readFixtureFrame,
  SIGNED_497,
  STOCK_ACCESS_KEY,
  STOCK_SECRET_KEY,
} from '../../../server/test/security/fixture-frames.js';
import { NameServerAdmin } from '../../src/admin/name-server-admin.js';
import { signExtFields } from '../../src/remoting/acl-signer.js';
import { RemotingClient } from '../../src/remoting/remoting-client.js';
import { startScriptedServer } from '../helpers/scripted-server.js';

const STOCK = { accessKey: STOCK_ACCESS_KEY, secretKey: STOCK_SECRET_KEY };

function withoutAcl(cmd: RemotingCommand): RemotingCommand['extFields'] {
  if (cmd.extFields === null) return null;
  const ext = newExtFields();
  for (const [k, v] of Object.entries(cmd.extFields)) {
    if (k !== 'AccessKey' && k !== 'Signature') ext[k] = v;
  }
  return Object.keys(ext).length === 0 ? null : ext;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('signing like Java AclClientRPCHook', () => {
  it.each(SIGNED_497)("4.9.7 %s: our signed frame is byte-equal to mqadmin's", (name) => {
    const captured = readFixtureCommand('4.9.7', name);
    const ext = signExtFields(withoutAcl(captured), captured.body, STOCK);
    expect(ext).toEqual(captured.extFields);
    expect(Object.keys(ext)).toEqual(Object.keys(captured.extFields!)); // Java HashMap order
    const ours = encodeCommand({ ...captured, extFields: ext });
    expect(ours.toString('hex')).toBe(readFixtureFrame('4.9.7', name).toString('hex'));
    expect(verifySignature(ext, captured.body, STOCK_SECRET_KEY)).toBe(true);
  });

  it('adds SecurityToken, signs it, and the server verifier accepts it', () => {
    const ext = signExtFields(null, Buffer.from('body'), { ...STOCK, securityToken: 'tok-1' });
    expect(Object.keys(ext).sort()).toEqual(['AccessKey', 'SecurityToken', 'Signature']);
    expect(verifySignature(ext, Buffer.from('body'), STOCK_SECRET_KEY)).toBe(true);
    expect(
      verifySignature({ ...ext, SecurityToken: 'tok-2' }, Buffer.from('body'), STOCK_SECRET_KEY),
    ).toBe(false);
  });

  it('re-signing replaces a stale Signature rather than signing it', () => {
    const first = signExtFields(null, null, STOCK);
    const again = signExtFields(first, null, STOCK);
    expect(again).toEqual(first);
  });

  it("NameServerAdmin with credentials sends exactly mqadmin's wipeWritePerm and updateKvConfig frames", async () => {
    const server = await startScriptedServer((req, ctx) => {
      const ext = newExtFields();
      if (req.code === RequestCode.WIPE_WRITE_PERM_OF_BROKER) ext['wipeTopicCount'] = '0';
      ctx.socket.write(
        encodeCommand(createResponse(req, { code: ResponseCode.SUCCESS, extFields: ext })),
      );
    });
    cleanups.push(() => server.close());
    const admin = new NameServerAdmin({ namesrvAddr: server.addr, env: {}, credentials: STOCK });
    cleanups.push(() => admin.close());
    await admin.wipeWritePermOfBroker('broker-a');
    await admin.putKVConfig('ORDER_TOPIC_CONFIG', 'FixtureTopic', 'broker-a:4');
    const expected = ['wipe-write-perm.request', 'put-kv-config.request'].map((name, i) =>
      encodeCommand({
        ...readFixtureCommand('4.9.7', name),
        opaque: server.requests[i]!.opaque,
      }).toString('hex'),
    );
    expect(server.rawFrames.map((f) => f.toString('hex'))).toEqual(expected);
  });

  it('rejects unusable credentials with a message that never shows the secret', () => {
    expect(
      () => new RemotingClient({ credentials: { accessKey: '', secretKey: 'sekrit-value' } }),
    ).toThrow(/credentials.accessKey: expected a non-empty string/);
    try {
      new RemotingClient({ credentials: { accessKey: 'ak', secretKey: '' } });
    } catch (err) {
      expect((err as Error).message).toBe('credentials.secretKey: expected a non-empty string');
    }
  });
});
