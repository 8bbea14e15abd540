/**
 * Server side of RocketMQ ACL 1.0 signatures (Java `PlainAccessResource.parse` + the signature
 * check of `PlainPermissionManager.validate`): recompute the HmacSHA1 over the request's ext
 * fields (all but `Signature`, sorted, values only) and body, and compare it with the
 * `Signature` field in constant time.
 *
 * `SecurityToken` is handled as Java does: it is signed like any other ext field and not checked
 * otherwise (Java's validator never looks at it).
 */
import { timingSafeEqual } from 'node:crypto';
import {
  ACL_ACCESS_KEY,
  ACL_SECURITY_TOKEN,
  ACL_SIGNATURE,
  aclSign,
  aclSignatureContent,
} from '@ns/protocol';
import type { ExtFields } from '@ns/protocol';

/** The ACL fields a request carries; null when absent. */
export interface AclRequestFields {
  readonly accessKey: string | null;
  readonly signature: string | null;
  readonly securityToken: string | null;
}

export function readAclFields(extFields: ExtFields | null): AclRequestFields {
  const get = (key: string): string | null =>
    extFields !== null && Object.hasOwn(extFields, key) ? extFields[key]! : null;
  return {
    accessKey: get(ACL_ACCESS_KEY),
    signature: get(ACL_SIGNATURE),
    securityToken: get(ACL_SECURITY_TOKEN),
  };
}

/** The signature Java would compute for these fields and body with `secretKey`. */
export function expectedSignature(
  extFields: ExtFields | null,
  body: Buffer | null,
  secretKey: string,
): string {
  return aclSign(aclSignatureContent(extFields, body), secretKey);
}

/**
 * True when `extFields.Signature` is the signature of the rest of the request under `secretKey`.
 * The comparison takes the same time wherever the first difference is (Java: MessageDigest.isEqual).
 */
export function verifySignature(
  extFields: ExtFields | null,
  body: Buffer | null,
  secretKey: string,
): boolean {
  const given = readAclFields(extFields).signature;
  if (given === null) return false;
  return constantTimeEqual(expectedSignature(extFields, body, secretKey), given);
}

/**
 * Constant-time string equality. Lengths are not secret (every HmacSHA1 base64 is 28 characters),
 * but a length mismatch still runs one full comparison so that both paths cost the same.
 */
export function constantTimeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
