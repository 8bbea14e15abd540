/**
 * The header fields Java marks @CFNotNull but reads as null when missing, where the NameServer
 * answers normally: the decoders leave them absent; they stay strict where Java fails too.
 */
import { describe, expect, it } from 'vitest';
import { HeaderFieldError } from '../src/errors.js';
import {
  decodeQueryDataVersionRequestHeader,
  decodeUnRegisterBrokerRequestHeader,
} from '../src/headers/broker-headers.js';
import {
  decodeGetBrokerMemberGroupRequestHeader,
  decodeRegisterTopicRequestHeader,
} from '../src/headers/route-headers.js';

const UNREGISTER = {
  brokerName: 'broker-a',
  brokerAddr: '10.0.0.1:10911',
  clusterName: 'DefaultCluster',
  brokerId: '0',
};

describe('headers read as Java reads them', () => {
  it('GET_BROKER_MEMBER_GROUP and REGISTER_TOPIC_IN_NAMESRV: every field may be missing', () => {
    expect(decodeGetBrokerMemberGroupRequestHeader({ clusterName: 'c' })).toEqual({
      clusterName: 'c',
    });
    expect(decodeGetBrokerMemberGroupRequestHeader({ brokerName: 'b' })).toEqual({
      brokerName: 'b',
    });
    expect(decodeGetBrokerMemberGroupRequestHeader(null)).toEqual({});
    expect(decodeRegisterTopicRequestHeader({})).toEqual({});
    expect(decodeRegisterTopicRequestHeader({ topic: 'T' })).toEqual({ topic: 'T' });
  });

  it('UNREGISTER_BROKER: strict by default; as 5.x nothing is required; as 4.9 only brokerId', () => {
    expect(() =>
      decodeUnRegisterBrokerRequestHeader({ ...UNREGISTER, brokerAddr: undefined }),
    ).toThrow(HeaderFieldError);
    const noAddr = { ...UNREGISTER, brokerAddr: undefined };
    for (const line of ['4.9', '5.x'] as const) {
      expect(decodeUnRegisterBrokerRequestHeader(noAddr, line)).toEqual({
        brokerName: 'broker-a',
        clusterName: 'DefaultCluster',
        brokerId: 0,
      });
    }
    for (const brokerId of [undefined, 'abc']) {
      const ext = { ...UNREGISTER, brokerId };
      expect(decodeUnRegisterBrokerRequestHeader(ext, '5.x')).toEqual({
        brokerName: 'broker-a',
        brokerAddr: '10.0.0.1:10911',
        clusterName: 'DefaultCluster',
      });
      expect(() => decodeUnRegisterBrokerRequestHeader(ext, '4.9')).toThrow(/"brokerId"/);
    }
    expect(decodeUnRegisterBrokerRequestHeader(null, '5.x')).toEqual({});
  });

  it('QUERY_DATA_VERSION: clusterName and brokerAddr required (5.x) unless read as 4.9', () => {
    expect(() => decodeQueryDataVersionRequestHeader({ brokerAddr: 'a' })).toThrow(
      /missing required field "clusterName"/,
    );
    expect(() => decodeQueryDataVersionRequestHeader({ clusterName: 'c' })).toThrow(
      /missing required field "brokerAddr"/,
    );
    expect(decodeQueryDataVersionRequestHeader({ brokerAddr: 'a' }, '4.9')).toEqual({
      brokerAddr: 'a',
    });
    expect(decodeQueryDataVersionRequestHeader({ brokerId: 'x' }, '4.9')).toEqual({});
  });
});
