import { describe, expect, it } from 'vitest';
import { aclSignatureContent, newExtFields, SerializeType } from '@ns/protocol';
import type { ExtFields } from '@ns/protocol';
import {
  constantTimeEqual,
  expectedSignature,
  readAclFields,
  verifySignature,
} from '../../src/security/acl-signature.js';
import {
  readFixtureCommand,
  SIGNED_497,
  STOCK_ACCESS_KEY,
  STOCK_SECRET_KEY,
} from './fixture-frames.js';

function ext(fields: Record<string, string>): ExtFields {
  return Object.assign(newExtFields(), fields);
}

describe('RocketMQ ACL 1.0 signatures against real mqadmin frames', () => {
  it.each(SIGNED_497)("4.9.7 %s: our signature equals Java's byte for byte", (name) => {
    const cmd = readFixtureCommand('4.9.7', name);
    const acl = readAclFields(cmd.extFields);
    expect(acl.accessKey).toBe(STOCK_ACCESS_KEY);
    expect(acl.signature).not.toBeNull();
    expect(expectedSignature(cmd.extFields, cmd.body, STOCK_SECRET_KEY)).toBe(acl.signature);
    expect(verifySignature(cmd.extFields, cmd.body, STOCK_SECRET_KEY)).toBe(true);
  });

  it('covers both header encodings and requests with a body', () => {
    const kinds = SIGNED_497.map((n) => readFixtureCommand('4.9.7', n));
    expect(kinds.some((c) => c.serializeType === SerializeType.ROCKETMQ)).toBe(true);
    expect(kinds.some((c) => c.body !== null && c.body.length > 0)).toBe(true);
  });

  it('5.3.3 get-route-signed verifies too (same scheme, other field order)', () => {
    const cmd = readFixtureCommand('5.3.3', 'get-route-signed.request');
    expect(verifySignature(cmd.extFields, cmd.body, STOCK_SECRET_KEY)).toBe(true);
  });

  it('signs the values of every field but Signature, sorted by key, then the body', () => {
    const content = aclSignatureContent(
      ext({ topic: 'T', AccessKey: 'ak', Signature: 'x', SecurityToken: 'tok', B: 'b' }),
      Buffer.from('BODY'),
    );
    // Sorted keys: AccessKey, B, SecurityToken, topic (uppercase before lowercase, as Java's TreeMap).
    expect(content.toString('utf8')).toBe('akbtokTBODY');
  });
});

describe('signature verification rejects tampering', () => {
  const cmd = readFixtureCommand('4.9.7', 'put-kv-config.request');
  const update = readFixtureCommand('4.9.7', 'update-namesrv-config.request');

  it('a changed field value', () => {
    const changed = ext({ ...cmd.extFields!, value: 'broker-a:8' });
    expect(verifySignature(changed, cmd.body, STOCK_SECRET_KEY)).toBe(false);
  });

  it('an added field', () => {
    const added = ext({ ...cmd.extFields!, extra: 'x' });
    expect(verifySignature(added, cmd.body, STOCK_SECRET_KEY)).toBe(false);
  });

  it('a changed body', () => {
    expect(update.body).not.toBeNull();
    expect(verifySignature(update.extFields, update.body, STOCK_SECRET_KEY)).toBe(true);
    const body = Buffer.from('kvConfigPath=/tmp/evil\n');
    expect(verifySignature(update.extFields, body, STOCK_SECRET_KEY)).toBe(false);
    expect(verifySignature(update.extFields, null, STOCK_SECRET_KEY)).toBe(false);
  });

  it('a wrong secret key', () => {
    expect(verifySignature(cmd.extFields, cmd.body, '12345679')).toBe(false);
  });

  it("another request's signature replayed onto different fields", () => {
    // get-kv-config and delete-kv-config carry the same fields (namespace, key) and so the same
    // signature: a signature binds the field values, not the request code (Java's scheme).
    const getKv = readFixtureCommand('4.9.7', 'get-kv-config.request');
    const route = readFixtureCommand('4.9.7', 'get-route.request');
    const forged = ext({ ...route.extFields!, Signature: getKv.extFields!['Signature']! });
    expect(verifySignature(forged, route.body, STOCK_SECRET_KEY)).toBe(false);
    // The captured wipeWritePerm signature on another broker's name:
    const wipe = readFixtureCommand('4.9.7', 'wipe-write-perm.request');
    const otherBroker = ext({ ...wipe.extFields!, brokerName: 'broker-b' });
    expect(verifySignature(otherBroker, wipe.body, STOCK_SECRET_KEY)).toBe(false);
  });

  it('a missing or malformed Signature', () => {
    const rest = ext(cmd.extFields!);
    delete rest['Signature'];
    expect(verifySignature(rest, cmd.body, STOCK_SECRET_KEY)).toBe(false);
    expect(
      verifySignature(ext({ ...cmd.extFields!, Signature: '' }), cmd.body, STOCK_SECRET_KEY),
    ).toBe(false);
    expect(verifySignature(null, null, STOCK_SECRET_KEY)).toBe(false);
  });

  it('compares in constant time only when lengths are equal, and handles unequal lengths', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('é', 'e')).toBe(false);
  });
});
