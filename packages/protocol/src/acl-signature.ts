/**
 * RocketMQ ACL 1.0 request signatures (Java `AclClientRPCHook`, `AclUtils.combineRequestContent`,
 * `AclSigner`), shared by the signing clients and the verifying server.
 *
 * What Java signs: every ext field except `Signature` — `AccessKey` and `SecurityToken`
 * included, since the hook adds them before signing — sorted by key (`TreeMap`, i.e. UTF-16 code
 * unit order), their VALUES concatenated (keys are not part of the content), encoded as UTF-8,
 * followed by the raw body bytes. The signature is HmacSHA1 over that content with the secret key
 * (UTF-8), base64-encoded. Nothing in it is bound to time, to the connection or to the request
 * code, and keys and value boundaries are not signed: a captured signature stays valid for the
 * same request again, for any other request code with the same field values (a signed route
 * read of a topic is a valid DELETE_TOPIC_IN_NAMESRV of it), and for the same characters cut
 * into fields differently (see README "What signatures do not give"). Only changed characters
 * make it invalid.
 *
 * Pure: no I/O (HMAC is computation).
 */
import { createHmac } from 'node:crypto';
import type { ExtFields } from './remoting-command.js';

export const ACL_ACCESS_KEY = 'AccessKey';
export const ACL_SIGNATURE = 'Signature';
export const ACL_SECURITY_TOKEN = 'SecurityToken';

/** Java's `String.compareTo` order: UTF-16 code units, which is what `<` on JS strings compares. */
function compareJavaStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The bytes Java signs for a request with these ext fields and body. `Signature` itself is left
 * out; a null or empty body adds nothing (Java `combineBytes`).
 */
export function aclSignatureContent(extFields: ExtFields | null, body: Buffer | null): Buffer {
  let text = '';
  if (extFields !== null) {
    const keys = Object.keys(extFields).sort(compareJavaStrings);
    for (const key of keys) {
      if (key !== ACL_SIGNATURE) text += extFields[key];
    }
  }
  const head = Buffer.from(text, 'utf8');
  if (body === null || body.length === 0) return head;
  if (head.length === 0) return body;
  return Buffer.concat([head, body]);
}

/** base64(HmacSHA1(secretKey as UTF-8, content)): Java `AclSigner.calSignature`. */
export function aclSign(content: Buffer, secretKey: string): string {
  return createHmac('sha1', Buffer.from(secretKey, 'utf8')).update(content).digest('base64');
}
