import { describe, it, expect } from 'vitest';
import { HeaderFieldError } from '../errors.js';
import {
  decodeRegisterBrokerRequestHeader,
  encodeRegisterBrokerRequestHeader,
  decodeBrokerHeartbeatRequestHeader,
  encodeBrokerHeartbeatRequestHeader,
  decodeQueryDataVersionResponseHeader,
} from './broker-headers.js';
import {
  decodeGetRouteInfoRequestHeader,
  encodeGetRouteInfoRequestHeader,
  decodeWipeWritePermOfBrokerResponseHeader,
  encodeRegisterTopicRequestHeader,
  decodeRegisterTopicRequestHeader,
  encodeGetBrokerMemberGroupRequestHeader,
  decodeGetBrokerMemberGroupRequestHeader,
} from './route-headers.js';
import { decodePutKVConfigRequestHeader } from './kv-config-headers.js';

function ext(o: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null), o);
}

const REGISTER = {
  brokerName: 'b',
  brokerAddr: '1.1.1.1:1',
  clusterName: 'c',
  haServerAddr: '1.1.1.1:2',
  brokerId: '0',
};

function catchErr(fn: () => unknown): HeaderFieldError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HeaderFieldError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('header codec: Java conversions', () => {
  it('long and int parse like Long.parseLong / Integer.parseInt', () => {
    const h = decodeRegisterBrokerRequestHeader(
      ext({ ...REGISTER, brokerId: '+12', bodyCrc32: '-5' }),
    );
    expect(h.brokerId).toBe(12);
    expect(h.bodyCrc32).toBe(-5);
  });

  it('boolean is equalsIgnoreCase("true"), anything else false', () => {
    expect(
      decodeRegisterBrokerRequestHeader(ext({ ...REGISTER, compressed: 'TRUE' })).compressed,
    ).toBe(true);
    expect(
      decodeRegisterBrokerRequestHeader(ext({ ...REGISTER, compressed: 'yes' })).compressed,
    ).toBe(false);
    expect(decodeRegisterBrokerRequestHeader(ext(REGISTER)).compressed).toBe(false);
    expect(decodeGetRouteInfoRequestHeader(ext({ topic: 't' }))).toEqual({ topic: 't' });
  });

  it('primitive defaults apply when absent or unparsable (optional fields)', () => {
    const h = decodeRegisterBrokerRequestHeader(ext({ ...REGISTER, bodyCrc32: 'x' }));
    expect(h.bodyCrc32).toBe(0);
    expect(h.heartbeatTimeoutMillis).toBeUndefined();
    const hb = decodeBrokerHeartbeatRequestHeader(
      ext({ clusterName: 'c', brokerAddr: 'a', brokerName: 'b', epoch: '99999999999' }),
    );
    expect(hb.epoch).toBeUndefined();
  });

  it('non-string ext values (ali-ons) are converted', () => {
    expect(decodeRegisterBrokerRequestHeader(ext({ ...REGISTER, brokerId: 3 })).brokerId).toBe(3);
  });

  it('5.x fields and the zone ext fields', () => {
    const h = decodeRegisterBrokerRequestHeader(
      ext({
        ...REGISTER,
        heartbeatTimeoutMillis: '10000',
        enableActingMaster: 'true',
        __ZONE_NAME: 'z1',
      }),
    );
    expect(h).toMatchObject({
      heartbeatTimeoutMillis: 10000,
      enableActingMaster: true,
      zoneName: 'z1',
    });
    const enc = encodeRegisterBrokerRequestHeader(h);
    expect(enc['__ZONE_NAME']).toBe('z1');
    expect(enc['heartbeatTimeoutMillis']).toBe('10000');
    const r = decodeGetRouteInfoRequestHeader(
      ext({ topic: 't', __ZONE_MODE: 'true', __ZONE_NAME: 'z' }),
    );
    expect(r).toEqual({ topic: 't', zoneMode: true, zoneName: 'z' });
    expect(Object.keys(encodeGetRouteInfoRequestHeader(r)).sort()).toEqual([
      '__ZONE_MODE',
      '__ZONE_NAME',
      'topic',
    ]);
  });
});

describe('header codec: strict required fields', () => {
  it('missing required field names the field and the type', () => {
    const e = catchErr(() =>
      decodeRegisterBrokerRequestHeader(ext({ ...REGISTER, brokerId: undefined })),
    );
    expect(e.code).toBe('NS_MISSING_HEADER_FIELD');
    expect(e.field).toBe('brokerId');
    expect(e.message).toContain('RegisterBrokerRequestHeader');
    expect(e.message).toContain('decimal long');
  });

  it('null ext fields means every required field is missing', () => {
    const e = catchErr(() => decodeRegisterBrokerRequestHeader(null));
    expect(e.field).toBe('brokerName');
  });

  it('fields Java marks required but answers without (it reads them as null) may be missing', () => {
    expect(decodeGetRouteInfoRequestHeader(null)).toEqual({});
    expect(decodeGetRouteInfoRequestHeader(ext({}))).toEqual({});
    const { haServerAddr, ...rest } = REGISTER;
    expect(haServerAddr).toBeDefined();
    expect(decodeRegisterBrokerRequestHeader(ext(rest)).haServerAddr).toBeUndefined();
  });

  it('unparsable required field', () => {
    const e = catchErr(() =>
      decodeRegisterBrokerRequestHeader(ext({ ...REGISTER, brokerId: 'abc' })),
    );
    expect(e.code).toBe('NS_BAD_HEADER_FIELD');
    expect(e.message).toContain('"abc"');
    expect(
      catchErr(() => decodeRegisterBrokerRequestHeader(ext({ ...REGISTER, brokerId: '1.5' })))
        .field,
    ).toBe('brokerId');
    expect(
      catchErr(() =>
        decodeRegisterBrokerRequestHeader(ext({ ...REGISTER, brokerId: '99999999999999999999' })),
      ).code,
    ).toBe('NS_BAD_HEADER_FIELD');
    expect(
      catchErr(() =>
        decodeWipeWritePermOfBrokerResponseHeader(ext({ wipeTopicCount: '2147483648' })),
      ).code,
    ).toBe('NS_BAD_HEADER_FIELD');
  });

  it('response fields that Java marks required', () => {
    expect(catchErr(() => decodeQueryDataVersionResponseHeader(ext({}))).field).toBe('changed');
  });

  it('PUT_KV_CONFIG requires value (stricter than Java, which stores null)', () => {
    expect(
      catchErr(() => decodePutKVConfigRequestHeader(ext({ namespace: 'n', key: 'k' }))).field,
    ).toBe('value');
  });

  it('does not read inherited properties', () => {
    const proto = { namespace: 'n', key: 'k', value: 'inherited' };
    const o = Object.create(proto) as Record<string, unknown>;
    expect(() => decodePutKVConfigRequestHeader(o)).toThrow(HeaderFieldError);
  });
});

describe('header codec: encode', () => {
  it('null-prototype objects of strings', () => {
    const e = encodeBrokerHeartbeatRequestHeader({
      clusterName: 'c',
      brokerAddr: 'a',
      brokerName: 'b',
      brokerId: 2,
    });
    expect(Object.getPrototypeOf(e)).toBe(null);
    expect(e['brokerId']).toBe('2');
    expect(e['epoch']).toBeUndefined();
  });

  it('round trips', () => {
    expect(
      decodeRegisterTopicRequestHeader(encodeRegisterTopicRequestHeader({ topic: 'x' })),
    ).toEqual({ topic: 'x' });
    const g = { clusterName: 'c', brokerName: 'b' };
    expect(
      decodeGetBrokerMemberGroupRequestHeader(encodeGetBrokerMemberGroupRequestHeader(g)),
    ).toEqual(g);
  });

  it('extra fields join the HashMap but never override header fields', () => {
    const e = encodeRegisterTopicRequestHeader({ topic: 'x' }, { topic: 'evil', AccessKey: 'ak' });
    expect(e['topic']).toBe('x');
    expect(e['AccessKey']).toBe('ak');
  });
});
