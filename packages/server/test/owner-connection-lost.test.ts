/**
 * RegistryOwner.connectionLost, the path a serving worker's death takes: the brokers registered
 * over its connections are detached and kept, and the UNREGISTER_BROKERs held for them (sent over
 * another connection before the loss was known) are applied, on the owner and on every replica.
 */
import { createRequest, encodeDataVersion, RequestCode, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { describe, expect, it } from 'vitest';
import { brokerIdentity, ownerWithReplica } from './hostile-helpers.js';

function register(i: number, opaque: number): RemotingCommand {
  return createRequest({
    code: RequestCode.REGISTER_BROKER,
    opaque,
    extFields: {
      ...brokerIdentity('x', i),
      haServerAddr: '',
      brokerId: '0',
      bodyCrc32: '0',
      compressed: 'false',
    },
  });
}

function unregister(i: number, opaque: number): RemotingCommand {
  return createRequest({
    code: RequestCode.UNREGISTER_BROKER,
    opaque,
    extFields: { ...brokerIdentity('x', i), brokerId: '0' },
  });
}

function on(connectionId: number, receivedAt: number) {
  return { connectionId, remoteAddress: '127.0.0.1:1', receivedAt };
}

describe('RegistryOwner.connectionLost', () => {
  it('keeps the lost connection’s brokers, applies the unregisters held for them, on owner and replica', async () => {
    const { owner, replica, clock } = await ownerWithReplica();
    clock.t = 1_000;
    for (let i = 0; i < 20; i++) await owner.execute(register(i, i + 1), on(1, 1_000));
    clock.t = 2_000;
    for (let i = 0; i < 10; i++) {
      const res = await owner.execute(unregister(i, 100 + i), on(2, 2_000));
      expect(res?.code).toBe(ResponseCode.SUCCESS);
    }
    // Held: the brokers are bound to connection 1, which has not closed.
    expect(owner.routes.getCounts()).toMatchObject({ brokers: 20 });
    await owner.connectionLost(1);
    expect(owner.routes.getCounts()).toMatchObject({ brokers: 10, brokerNames: 10 });
    expect(replica.getAllClusterInfo().brokerAddrTable.size).toBe(10);
    // The other ten are detached: a late close of connection 1 removes none of them.
    await owner.connectionClosed(1);
    expect(owner.routes.getCounts()).toMatchObject({ brokers: 10 });
    expect(replica.getAllClusterInfo().brokerAddrTable.size).toBe(10);
  });

  it('an admin tool’s QUERY_DATA_VERSION does not bind a detached broker to its short-lived connection', async () => {
    const { owner, replica, clock } = await ownerWithReplica();
    clock.t = 1_000;
    await owner.execute(register(1, 1), on(1, 1_000));
    await owner.connectionLost(1);
    clock.t = 2_000;
    const id = brokerIdentity('x', 1);
    const query = createRequest({
      code: RequestCode.QUERY_DATA_VERSION,
      opaque: 2,
      extFields: {
        clusterName: id.clusterName,
        brokerAddr: id.brokerAddr,
        brokerName: id.brokerName,
        brokerId: '0',
      },
      body: encodeDataVersion({ timestamp: 1, counter: 1 }),
    });
    const res = await owner.execute(query, on(9, 2_000));
    expect(res?.code).toBe(ResponseCode.SUCCESS);
    await owner.connectionClosed(9);
    expect(owner.routes.getCounts()).toMatchObject({ brokers: 1 });
    expect(replica.getAllClusterInfo().brokerAddrTable.size).toBe(1);
  });
});
