/**
 * Who may send which request: per request class (request-classes.ts) a policy (policy-spec.ts),
 * evaluated per request from what the request and its connection prove.
 *
 * Defaults are Java's: everything open. `aclEnable=true` gives the secure profile
 * (SECURE_PROFILE): routes open, admin reads signed, admin writes signed by an admin account,
 * broker control signed, from an allowed address, or with a verified TLS client certificate
 * (Java 4.9 brokers do not sign their NameServer requests).
 *
 * Proofs, checked cheapest first:
 * - `cert`: the transport verified the client's TLS certificate against the trusted CAs;
 * - `address`: the remote IP matches globalWhiteRemoteAddresses (aclFile) or aclAllowedAddresses.
 *   Unlike Java, where a global white address lets *every* request through, it only counts for
 *   classes whose policy accepts `address` (not admin writes in the secure profile);
 * - `signed` / `admin`: the AccessKey names an account of aclFile and either the Signature
 *   matches (acl-signature.ts), or, as in Java, the request comes from that account's own
 *   whiteRemoteAddress (Java skips the signature check then; an operator who sets it trusts that
 *   network for the account). `admin` also needs `admin: true`.
 *
 * Pure: the caller passes the current credentials (reloaded elsewhere) and gets a decision whose
 * remark says what is missing; refusals answer NO_PERMISSION (16) with that remark.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ExtFields } from '@ns/protocol';
import type { AclConfig } from './acl-config.js';
import { readAclFields, verifySignature } from './acl-signature.js';
import { AddressList, hostOfRemoteAddress } from './address-match.js';
import type { ClassPolicy, Proof } from './policy-spec.js';
import { parseClassPolicy } from './policy-spec.js';
import { REQUEST_CLASSES, requestClassOf } from './request-classes.js';
import type { RequestClass } from './request-classes.js';

export type AccessPolicy = Readonly<Record<RequestClass, ClassPolicy>>;

const OPEN: ClassPolicy = { kind: 'open' };

/** Java-compatible: nothing is checked. */
export const OPEN_POLICY: AccessPolicy = {
  'route-read': OPEN,
  'broker-control': OPEN,
  'admin-read': OPEN,
  'admin-write': OPEN,
};

/** The policy texts `aclEnable=true` starts from (the acl* config keys' defaults). */
export const SECURE_PROFILE_TEXT: Readonly<Record<RequestClass, string>> = {
  'route-read': 'open',
  'broker-control': 'signed,address,cert',
  'admin-read': 'signed',
  'admin-write': 'admin',
};

export const SECURE_PROFILE: AccessPolicy = Object.fromEntries(
  REQUEST_CLASSES.map((c) => [c, parseClassPolicy(SECURE_PROFILE_TEXT[c])!]),
) as unknown as AccessPolicy;

/** A TLS client certificate the transport verified against the trusted CAs. */
export interface VerifiedClientCert {
  /** Subject, e.g. `CN=broker-a,O=example` (for logs and audit). */
  readonly subject: string;
  /** SHA-256 fingerprint, `AA:BB:…`. */
  readonly fingerprint256: string;
}

export interface AccessRequest {
  readonly code: number;
  readonly extFields: ExtFields | null;
  readonly body: Buffer | null;
  /** `ip:port` as the transport reports it (RequestContext.remoteAddress). */
  readonly remoteAddress: string;
  /** Present only when the connection is TLS and the client's certificate was verified. */
  readonly clientCert?: VerifiedClientCert | null;
}

export interface AccessControlState {
  readonly policy: AccessPolicy;
  /** The credentials file's current content; null when ACL is off (then policy must be open). */
  readonly acl: AclConfig | null;
  /** Addresses trusted for `address` besides the file's globalWhiteRemoteAddresses. */
  readonly allowedAddresses: AddressList;
}

/** Who a request was accepted as. */
export type Identity =
  | {
      readonly kind: 'accessKey';
      readonly accessKey: string;
      readonly admin: boolean;
      /** How it was proven: the signature, or the account's whiteRemoteAddress (Java rule). */
      readonly via: 'signature' | 'account-address';
    }
  | { readonly kind: 'address'; readonly address: string; readonly pattern: string }
  | { readonly kind: 'cert'; readonly subject: string; readonly fingerprint256: string }
  | { readonly kind: 'anonymous'; readonly address: string };

/** Why a request was refused; a bounded set, used as a metrics label. */
export type DenyReason =
  'unsigned' | 'unknown-access-key' | 'bad-signature' | 'not-admin' | 'not-allowed';

export type AccessDecision =
  | {
      readonly allowed: true;
      readonly requestClass: RequestClass;
      readonly identity: Identity;
      /** The remote IP (without port). */
      readonly address: string;
    }
  | {
      readonly allowed: false;
      readonly requestClass: RequestClass;
      readonly reason: DenyReason;
      /** For NO_PERMISSION's remark: what the class requires and what was wrong. */
      readonly remark: string;
      /**
       * The AccessKey the request claimed, if any (unverified; cut at MAX_SHOWN_ACCESS_KEY
       * characters), and its address, for the audit.
       */
      readonly claimedAccessKey: string | null;
      readonly address: string;
      /**
       * The remark sent back when it differs from `remark` (which the audit keeps): a SecretKey
       * sent as the AccessKey is repeated to its sender only, in the words any unknown key gets,
       * so that the answer does not tell a peer that its guess is some account's SecretKey.
       */
      readonly peerRemark?: string;
    };

const PROOF_WORDS: Readonly<Record<Proof, string>> = {
  signed: 'a signed request (AccessKey/Signature)',
  admin: 'a signed request (AccessKey/Signature) from an admin account',
  address: 'an allowed address (globalWhiteRemoteAddresses or aclAllowedAddresses)',
  cert: 'a verified TLS client certificate',
};

/** "X", "X or Y", "X, Y or Z": what a restricted class accepts. */
export function describeRequirement(accepts: ReadonlySet<Proof>): string {
  // `signed` makes `admin` redundant; say only the weaker requirement.
  const words = (['signed', 'admin', 'address', 'cert'] as const)
    .filter((p) => accepts.has(p) && !(p === 'admin' && accepts.has('signed')))
    .map((p) => PROOF_WORDS[p]);
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]!}`;
}

export function evaluateAccess(request: AccessRequest, state: AccessControlState): AccessDecision {
  const requestClass = requestClassOf(request.code);
  const policy = state.policy[requestClass];
  const address = hostOfRemoteAddress(request.remoteAddress);
  if (policy.kind === 'open') {
    return { allowed: true, requestClass, address, identity: { kind: 'anonymous', address } };
  }
  const accepts = policy.accepts;
  const claimed = readAclFields(request.extFields).accessKey;
  // What a refusal may repeat of it (remark, audit): an unauthenticated peer chooses its length.
  let shown = claimed === null ? null : shownAccessKey(claimed);
  const deny = (reason: DenyReason, problem: string): AccessDecision & { allowed: false } => ({
    allowed: false,
    requestClass,
    reason,
    remark: `${requestClass} requires ${describeRequirement(accepts)}; ${problem}`,
    claimedAccessKey: shown,
    address,
  });

  if (accepts.has('cert') && request.clientCert != null) {
    const { subject, fingerprint256 } = request.clientCert;
    return {
      allowed: true,
      requestClass,
      address,
      identity: { kind: 'cert', subject, fingerprint256 },
    };
  }
  if (accepts.has('address')) {
    const pattern =
      state.acl?.globalWhiteRemoteAddresses.firstMatch(address) ??
      state.allowedAddresses.firstMatch(address);
    if (pattern != null) {
      return {
        allowed: true,
        requestClass,
        address,
        identity: { kind: 'address', address, pattern },
      };
    }
  }
  const wantsSignature = accepts.has('signed') || accepts.has('admin');
  if (!wantsSignature) {
    return deny(
      'not-allowed',
      `${address} is not allowed${accepts.has('cert') ? ' and no verified client certificate was presented' : ''}`,
    );
  }
  if (claimed === null) {
    return deny('unsigned', 'the request carries no AccessKey; see aclFile');
  }
  const account = state.acl?.accounts.get(claimed);
  if (account === undefined) {
    // A client with its keys swapped sends its SecretKey as the AccessKey: never repeat it (the
    // audit log would keep it). The answer is the same whether or not the key is some account's
    // SecretKey (else it tells a peer that its guess is one); the audit keeps which.
    const peerRemark = `${requestClass} requires ${describeRequirement(accepts)}; no account in aclFile for the AccessKey given`;
    if (isSomeSecretKey(claimed, state)) {
      shown = "(an account's SecretKey: AccessKey and SecretKey swapped?)";
      return { ...deny('unknown-access-key', `the AccessKey given is ${shown}`), peerRemark };
    }
    return {
      ...deny('unknown-access-key', `no account for AccessKey "${shown}" in aclFile`),
      peerRemark,
    };
  }
  let via: 'signature' | 'account-address';
  if (account.whiteRemoteAddresses.matchesIp(address)) {
    via = 'account-address';
  } else if (verifySignature(request.extFields, request.body, account.secretKey)) {
    via = 'signature';
  } else {
    return deny(
      'bad-signature',
      readAclFields(request.extFields).signature === null
        ? `the request has AccessKey "${claimed}" but no Signature`
        : `the Signature does not match AccessKey "${claimed}"`,
    );
  }
  if (!accepts.has('signed') && !account.admin) {
    return deny('not-admin', `AccessKey "${claimed}" is not an admin account`);
  }
  return {
    allowed: true,
    requestClass,
    address,
    identity: { kind: 'accessKey', accessKey: claimed, admin: account.admin, via },
  };
}

/** "rocketmq2", "10.0.0.1", "cert CN=broker-a": who, for logs and the audit. */
export function describeIdentity(identity: Identity): string {
  switch (identity.kind) {
    case 'accessKey':
      return identity.accessKey;
    case 'address':
    case 'anonymous':
      return identity.address;
    case 'cert':
      return `cert ${identity.subject}`;
  }
}

/** Longest claimed AccessKey a refusal repeats (keys in aclFile are far shorter). */
export const MAX_SHOWN_ACCESS_KEY = 64;

/** A claimed AccessKey as a refusal may repeat it: cut at MAX_SHOWN_ACCESS_KEY characters. */
function shownAccessKey(key: string): string {
  return key.length > MAX_SHOWN_ACCESS_KEY ? `${key.slice(0, MAX_SHOWN_ACCESS_KEY)}…` : key;
}

/** Whether `key` is the SecretKey of an account of the ACL file (compared in constant time). */
function isSomeSecretKey(key: string, state: AccessControlState): boolean {
  const given = Buffer.from(key, 'utf8');
  let found = false;
  for (const account of state.acl?.accounts.values() ?? []) {
    const secret = Buffer.from(account.secretKey, 'utf8');
    if (secret.length === given.length && timingSafeEqual(secret, given)) found = true;
  }
  return found;
}
