/**
 * REGISTER_BROKER's body checks and its unchanged-body fast path, through the registry owner as
 * the node runs them (issue 16, item 7: each of these could be broken without any test noticing):
 *  - the CRC check applies to compressed bodies too (Java checks the bytes received, before
 *    inflating);
 *  - the fingerprint that lets a re-registration skip decoding includes the body's CRC32: two
 *    bodies of the same length, same head and same tail, differing in the middle, are different;
 *  - the fast path is off after a live flip of deleteTopicWithBrokerRegistration
 *    (UPDATE_NAMESRV_CONFIG): the same body must then drop the topics it no longer reports.
 */
import { describe, expect, it } from 'vitest';
import { bodyCrc32, createRequest, RequestCode, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { registerBody, registerRequest } from './handlers-harness.js';
import type { RegisterInit } from './handlers-harness.js';
import { ownerWithReplica } from './hostile-helpers.js';
import type { OwnerWithReplica } from './hostile-helpers.js';

const CTX = { connectionId: 1, remoteAddress: '127.0.0.1:1' };

async function run(o: OwnerWithReplica, cmd: RemotingCommand): Promise<RemotingCommand> {
  const res = await o.owner.execute(cmd, { ...CTX, receivedAt: o.clock.now() });
  if (res === null) throw new Error(`no response to request code ${cmd.code}`);
  return res;
}

function hasRoute(o: OwnerWithReplica, topic: string): boolean {
  // Owner and replica alike (the replica is what serving workers answer from).
  const owner = o.owner.routes.pickupTopicRouteData(topic) !== null;
  expect(o.replica.pickupTopicRouteData(topic) !== null).toBe(owner);
  return owner;
}

describe('REGISTER_BROKER CRC check', () => {
  it('refuses a compressed body whose CRC does not match, before inflating it', async () => {
    const o = await ownerWithReplica();
    const init: RegisterInit = { compressed: true, topics: [{ name: 'Zipped' }, { name: 'Z2' }] };
    const good = bodyCrc32(registerBody(init));
    const res = await run(
      o,
      registerRequest({ ...init, bodyCrc32: String((good + 1) & 0x7fffffff) }),
    );
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBe('crc32 not match');
    expect(o.owner.routes.getCounts().brokers).toBe(0);
    expect(hasRoute(o, 'Zipped')).toBe(false);
    // The same body with its CRC is accepted.
    expect((await run(o, registerRequest(init))).code).toBe(ResponseCode.SUCCESS);
    expect(hasRoute(o, 'Zipped')).toBe(true);
  });
});

/**
 * Two plain bodies of the same length with the same first 160 and last 64 bytes (what the
 * fingerprint looks at besides the CRC) and the same DataVersion, differing in one topic name in
 * the middle. Found by trying renames; the test checks the premise itself.
 */
function twinBodies(): { first: RegisterInit; second: RegisterInit; renamed: string } {
  const names = Array.from({ length: 24 }, (_, i) => `Topic-${String(i).padStart(2, '0')}`);
  const first: RegisterInit = { topics: names.map((name) => ({ name })) };
  const a = registerBody(first);
  for (let i = 0; i < names.length; i++) {
    for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
      const renamed = `${letter}${names[i]!.slice(1)}`;
      const second: RegisterInit = {
        topics: names.map((name, k) => ({ name: k === i ? renamed : name })),
      };
      const b = registerBody(second);
      if (
        b.length === a.length &&
        a.subarray(0, 160).equals(b.subarray(0, 160)) &&
        a.subarray(-64).equals(b.subarray(-64)) &&
        bodyCrc32(a) !== bodyCrc32(b)
      ) {
        return { first, second, renamed };
      }
    }
  }
  throw new Error('no twin body found: change the topic names');
}

describe('REGISTER_BROKER unchanged-body fingerprint', () => {
  for (const withHeaderCrc of [true, false]) {
    it(`a body differing only in the middle is decoded (${withHeaderCrc ? 'CRC in the header' : 'bodyCrc32 = 0'})`, async () => {
      const o = await ownerWithReplica();
      const { first, second, renamed } = twinBodies();
      const crc = (init: RegisterInit): RegisterInit =>
        withHeaderCrc ? init : { ...init, bodyCrc32: '0' };
      expect((await run(o, registerRequest(crc(first)))).code).toBe(ResponseCode.SUCCESS);
      // The same body again: the fast path (nothing to apply).
      expect((await run(o, registerRequest(crc(first)))).code).toBe(ResponseCode.SUCCESS);
      expect(hasRoute(o, renamed)).toBe(false);
      // Same DataVersion, one topic renamed: 5.x rule f adds the new topic (and keeps the old).
      expect((await run(o, registerRequest(crc(second)))).code).toBe(ResponseCode.SUCCESS);
      expect(hasRoute(o, renamed)).toBe(true);
    });
  }
});

describe('REGISTER_BROKER unchanged-body fast path and a live deleteTopicWithBrokerRegistration', () => {
  it('after UPDATE_NAMESRV_CONFIG turns it on, the same body drops the topics it does not report', async () => {
    const o = await ownerWithReplica();
    // With the flag off, a body that stops reporting "Gone" leaves it in the routes.
    expect(
      (await run(o, registerRequest({ counter: 1, topics: [{ name: 'Kept' }, { name: 'Gone' }] })))
        .code,
    ).toBe(ResponseCode.SUCCESS);
    const body: RegisterInit = { counter: 2, topics: [{ name: 'Kept' }, { name: 'Also' }] };
    expect((await run(o, registerRequest(body))).code).toBe(ResponseCode.SUCCESS);
    expect((await run(o, registerRequest(body))).code).toBe(ResponseCode.SUCCESS);
    expect(hasRoute(o, 'Gone')).toBe(true);

    const update = createRequest({
      code: RequestCode.UPDATE_NAMESRV_CONFIG,
      opaque: 9,
      body: Buffer.from('deleteTopicWithBrokerRegistration=true\n'),
    });
    expect((await run(o, update)).code).toBe(ResponseCode.SUCCESS);
    expect(o.owner.config.get().deleteTopicWithBrokerRegistration).toBe(true);

    // The very same bytes as the last registration: no fast path any more, rule g applies.
    expect((await run(o, registerRequest(body))).code).toBe(ResponseCode.SUCCESS);
    expect(hasRoute(o, 'Gone')).toBe(false);
    expect(hasRoute(o, 'Kept')).toBe(true);
    expect(hasRoute(o, 'Also')).toBe(true);
  });
});
