/**
 * The text form of a per-class access policy, as the `acl*` config keys hold it:
 *
 * - `open`: anyone (Java's behaviour for every request);
 * - otherwise a comma list of the proofs that are each enough on their own:
 *   - `signed`: an ACL 1.0 signature (AccessKey/Signature) of any account in aclFile,
 *   - `admin`: the same, from an account with `admin: true`,
 *   - `address`: a remote address in globalWhiteRemoteAddresses or aclAllowedAddresses,
 *   - `cert`: a TLS client certificate verified against tlsServerTrustCertPath.
 *
 * E.g. `signed,address,cert` for broker-control. Dependency-free so the config schema can use it.
 */
export const PROOFS = ['signed', 'admin', 'address', 'cert'] as const;
export type Proof = (typeof PROOFS)[number];

export type ClassPolicy =
  { readonly kind: 'open' } | { readonly kind: 'restricted'; readonly accepts: ReadonlySet<Proof> };

export const POLICY_SPEC_EXPECTED =
  "'open' or a comma list of signed, admin, address, cert (e.g. 'signed,address,cert')";

/** Parses a policy text; null when it is not one. Case and spaces around items are ignored. */
export function parseClassPolicy(text: string): ClassPolicy | null {
  const items = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (items.length === 0) return null;
  if (items.length === 1 && items[0] === 'open') return { kind: 'open' };
  const accepts = new Set<Proof>();
  for (const item of items) {
    if (!(PROOFS as readonly string[]).includes(item)) return null;
    accepts.add(item as Proof);
  }
  return { kind: 'restricted', accepts };
}

export function formatClassPolicy(policy: ClassPolicy): string {
  return policy.kind === 'open' ? 'open' : PROOFS.filter((p) => policy.accepts.has(p)).join(',');
}
