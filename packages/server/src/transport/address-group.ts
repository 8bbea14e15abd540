/**
 * What a per-address connection limit counts one "address" as. IPv4: the address. IPv6: its /64,
 * the smallest block a network hands one host or LAN (RFC 6177, SLAAC); a host holding a /64 can
 * source connections from 2^64 addresses, so counting each /128 made `maxConnectionsPerAddress`
 * (and the HTTP port's per-address bound) no bound at all for it.
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`, a dual-stack socket's IPv4 peer) is the IPv4 address.
 */
import { isIPv6 } from 'node:net';

export function addressGroupOf(remoteAddress: string | undefined): string {
  let ip = remoteAddress ?? 'unknown';
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  if (!isIPv6(ip)) return ip;
  const halves = ip.split('::');
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length > 1 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
