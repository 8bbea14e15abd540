/**
 * The host a `bindAddress` / `httpBindAddress` value listens on, as Java's NameServer reads it.
 *
 * - `0.0.0.0` (the default): the JDK binds the IPv6 wildcard where the host has IPv6
 *   (NET_InetAddressToSockaddr: "we would always prefer IPv6 wildcard address"), so a Java
 *   NameServer with the default serves IPv4 and IPv6 clients on one dual-stack socket. Node does
 *   the same when no host is given; binding 0.0.0.0 itself would refuse every IPv6 client (an
 *   IPv6-only Kubernetes cluster's probes included).
 * - `[::1]`: InetAddress.getByName accepts an IPv6 literal in brackets; getaddrinfo does not.
 */
export function listenHostOf(bindAddress: string): string | undefined {
  const value = bindAddress.trim();
  if (value === '0.0.0.0') return undefined;
  const bracketed = /^\[(.+)\]$/.exec(value);
  return bracketed === null ? value : bracketed[1];
}
