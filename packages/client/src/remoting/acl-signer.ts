/**
 * Signs requests the way Java's `AclClientRPCHook` does (RocketMQ ACL 1.0), so a NameServer with
 * ACL on (ours) or a broker with ACL 1.0 accepts them: the hook adds `AccessKey` (and
 * `SecurityToken` when given) to the ext fields, signs every field value but `Signature` in key
 * order plus the body with HmacSHA1 (see @ns/protocol acl-signature.ts), and adds `Signature`.
 *
 * Field order on the wire follows Java's HashMap, as every header we send does: with the ACL
 * fields added, a signed request is byte-equal to mqadmin's.
 */
import {
  ACL_ACCESS_KEY,
  ACL_SECURITY_TOKEN,
  ACL_SIGNATURE,
  aclSign,
  aclSignatureContent,
  javaStringHashOrder,
  newExtFields,
} from '@ns/protocol';
import type { ExtFields } from '@ns/protocol';
import { InvalidOptionError } from '../errors.js';

/** An ACL 1.0 account, as in mqadmin's conf/tools.yml (accessKey, secretKey). */
export interface AclCredentials {
  readonly accessKey: string;
  readonly secretKey: string;
  /** Optional session token (STS); signed and sent as the SecurityToken ext field. */
  readonly securityToken?: string;
}

/** Throws InvalidOptionError unless both keys are non-empty strings. Never echoes the secret. */
export function checkCredentials(
  credentials: AclCredentials,
  name = 'credentials',
): AclCredentials {
  if (typeof credentials.accessKey !== 'string' || credentials.accessKey.trim() === '') {
    throw new InvalidOptionError(name, `${name}.accessKey: expected a non-empty string`);
  }
  if (typeof credentials.secretKey !== 'string' || credentials.secretKey === '') {
    throw new InvalidOptionError(name, `${name}.secretKey: expected a non-empty string`);
  }
  if (credentials.securityToken !== undefined && typeof credentials.securityToken !== 'string') {
    throw new InvalidOptionError(name, `${name}.securityToken: expected a string`);
  }
  return credentials;
}

/**
 * The ext fields of a signed request: `extFields` (may be null: Java's hook creates the map)
 * plus AccessKey, SecurityToken (when given) and Signature, in Java HashMap order.
 */
export function signExtFields(
  extFields: ExtFields | null,
  body: Buffer | null,
  credentials: AclCredentials,
): ExtFields {
  const values = new Map<string, string>();
  // Java's insertion order: the hook's fields first, then makeCustomHeaderToNet's, then Signature.
  values.set(ACL_ACCESS_KEY, credentials.accessKey);
  if (credentials.securityToken !== undefined) {
    values.set(ACL_SECURITY_TOKEN, credentials.securityToken);
  }
  if (extFields !== null) {
    for (const [k, v] of Object.entries(extFields)) {
      if (k !== ACL_SIGNATURE && !values.has(k)) values.set(k, v);
    }
  }
  const unsigned = newExtFields();
  for (const [k, v] of values) unsigned[k] = v;
  values.set(ACL_SIGNATURE, aclSign(aclSignatureContent(unsigned, body), credentials.secretKey));

  const out = newExtFields();
  for (const key of javaStringHashOrder([...values.keys()])) out[key] = values.get(key)!;
  return out;
}
