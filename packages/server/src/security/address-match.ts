/**
 * Remote address patterns: standard CIDRs (`10.0.0.0/8`, `2001:db8::/32`) plus every form of
 * RocketMQ's `whiteRemoteAddress` / `globalWhiteRemoteAddresses` (Java
 * `RemoteAddressStrategyFactory`):
 *
 * | form | example | matches |
 * | --- | --- | --- |
 * | blank | `''` | nothing (Java BlankRemoteAddressStrategy) |
 * | any | `*`, `*.*.*.*`, `*:*:*:*:*:*:*:*` | every address |
 * | one address | `192.168.0.1`, `::1` | that address |
 * | comma list | `192.168.0.1,192.168.0.2` | those addresses |
 * | brace list | `192.168.1.{1,2,3}`, `2001:db8::{1,2}` | the prefix + each item |
 * | range | `192.168.1.1-100`, `192.168.*.*`, `10.*.*.*`, `2001:db8::1-ff`, `2001:db8::*` | one position in a range or `*` |
 * | CIDR (ours) | `10.0.0.0/8`, `::ffff:10.0.0.0/104`, `2001:db8::/32` | the prefix |
 *
 * Where we are stricter than Java: a range or `*` must be followed only by `*` positions
 * (`192.168.*.5`); Java silently ignores every position after the range, so that pattern matched
 * 192.168.x.anything there. We reject it with a message instead of widening access quietly.
 * Patterns Java would crash on (a wildcard in the first position, a range whose end is 0) are
 * rejected too.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, what a dual-stack socket reports for an IPv4
 * peer) are matched as the IPv4 address, on both sides.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A parsed address: 4 octets or 8 16-bit groups. */
export type IpAddress =
  | { readonly family: 4; readonly parts: readonly number[] }
  | { readonly family: 6; readonly parts: readonly number[] };

export class AddressPatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`address pattern "${pattern}": ${reason}`);
    this.name = 'AddressPatternError';
  }
}

export interface AddressMatcher {
  /** The pattern as written. */
  readonly source: string;
  matches(ip: IpAddress): boolean;
}

/** Parses `text` as an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4); null if invalid. */
export function parseIp(text: string): IpAddress | null {
  const s = text.trim();
  if (isIPv4(s)) return { family: 4, parts: s.split('.').map(Number) };
  if (!isIPv6(s)) return null;
  const groups = expandIpv6(s);
  if (groups === null) return null;
  const parts = groups.map((g) => parseInt(g, 16));
  return unmapIpv4(parts) ?? { family: 6, parts };
}

/** `::ffff:a.b.c.d` (or its hex form) → the IPv4 address; null for any other IPv6 address. */
function unmapIpv4(groups: readonly number[]): IpAddress | null {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return null;
  if (groups[5] !== 0xffff) return null;
  const hi = groups[6]!;
  const lo = groups[7]!;
  return { family: 4, parts: [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff] };
}

/**
 * Splits an IPv6 text into its 8 group tokens, expanding `::` and an embedded dotted IPv4 tail.
 * Tokens are returned as written (they may be `*` or `a-b` when a pattern is expanded).
 */
function expandIpv6(text: string): string[] | null {
  let s = text;
  // Embedded IPv4 tail (::ffff:1.2.3.4) → two hex groups.
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return null;
    const o = tail.split('.').map(Number);
    s = `${s.slice(0, lastColon + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const split = (h: string): string[] => (h === '' ? [] : h.split(':'));
  if (halves.length === 1) {
    const groups = split(s);
    return groups.length === 8 ? groups : null;
  }
  const head = split(halves[0]!);
  const rest = split(halves[1]!);
  const missing = 8 - head.length - rest.length;
  if (missing < 1) return null;
  return [...head, ...Array<string>(missing).fill('0'), ...rest];
}

function sameFamilyPrefix(a: IpAddress, b: IpAddress, bits: number): boolean {
  if (a.family !== b.family) return false;
  const width = a.family === 4 ? 8 : 16;
  let remaining = bits;
  for (let i = 0; i < a.parts.length && remaining > 0; i++) {
    const take = Math.min(width, remaining);
    const mask = ((1 << take) - 1) << (width - take);
    if ((a.parts[i]! & mask) !== (b.parts[i]! & mask)) return false;
    remaining -= take;
  }
  return true;
}

const ANY_FORMS = new Set(['*', '*.*.*.*', '*:*:*:*:*:*:*:*']);

/** Compiles one pattern; throws AddressPatternError naming the pattern and what is wrong. */
export function parseAddressPattern(pattern: string): AddressMatcher {
  const source = pattern;
  const p = pattern.trim();
  if (p === '') return { source, matches: () => false };
  if (ANY_FORMS.has(p)) return { source, matches: () => true };
  if (p.includes('/')) return cidr(source, p);
  if (p.endsWith('}')) return braceList(source, p);
  if (p.includes(',')) return exactSet(source, p.split(','));
  if (p.includes('*') || p.includes('-')) {
    return p.includes(':') ? ipv6Range(source, p) : ipv4Range(source, p);
  }
  return exactSet(source, [p]);
}

function cidr(source: string, p: string): AddressMatcher {
  const slash = p.indexOf('/');
  const addrText = p.slice(0, slash);
  const bitsText = p.slice(slash + 1);
  const base = parseIp(addrText);
  if (base === null) throw new AddressPatternError(source, `"${addrText}" is not an IP address`);
  const mappedFromV6 = base.family === 4 && addrText.includes(':');
  const maxBits = base.family === 4 && !mappedFromV6 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > maxBits) {
    throw new AddressPatternError(source, `prefix length must be 0..${maxBits}, got "${bitsText}"`);
  }
  let bits = Number(bitsText);
  if (mappedFromV6) {
    // ::ffff:10.0.0.0/104 is the IPv4 block 10.0.0.0/8; shorter prefixes reach outside ::ffff:0:0/96.
    if (bits < 96) {
      throw new AddressPatternError(
        source,
        'an IPv4-mapped prefix must be at least 96 bits (write an IPv6 CIDR without ::ffff: for wider blocks)',
      );
    }
    bits -= 96;
  }
  return { source, matches: (ip) => sameFamilyPrefix(ip, base, bits) };
}

function exactSet(source: string, items: readonly string[]): AddressMatcher {
  const addresses = items.map((item) => {
    const ip = parseIp(item);
    if (ip === null) throw new AddressPatternError(source, `"${item.trim()}" is not an IP address`);
    return ip;
  });
  return {
    source,
    matches: (ip) =>
      addresses.some((a) => a.family === ip.family && a.parts.every((v, i) => v === ip.parts[i])),
  };
}

function braceList(source: string, p: string): AddressMatcher {
  const open = p.lastIndexOf('{');
  const prefix = p.slice(0, open);
  const last = p.includes(':') ? p.slice(p.lastIndexOf(':') + 1) : p.slice(p.lastIndexOf('.') + 1);
  if (open < 0 || !last.startsWith('{') || !(prefix.endsWith('.') || prefix.endsWith(':'))) {
    throw new AddressPatternError(
      source,
      'a {a,b,c} list must be the last position, e.g. 192.168.1.{1,2}',
    );
  }
  const items = p
    .slice(open + 1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new AddressPatternError(source, 'the {…} list is empty');
  return exactSet(
    source,
    items.map((item) => prefix + item),
  );
}

interface PositionRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** Parses a `*` or `a-b` token; null when the token is a plain number. */
function rangeToken(
  source: string,
  token: string,
  max: number,
  radix: number,
): [number, number] | null {
  const t = token.trim();
  if (t === '*') return [0, max];
  if (!t.includes('-')) return null;
  const [a, b, ...more] = t.split('-');
  const digits = radix === 10 ? /^\d{1,3}$/ : /^[0-9a-fA-F]{1,4}$/;
  if (more.length > 0 || a === undefined || b === undefined || !digits.test(a) || !digits.test(b)) {
    throw new AddressPatternError(source, `"${t}" is not a range like 1-100`);
  }
  const start = parseInt(a, radix);
  const end = parseInt(b, radix);
  if (start > end || end > max) {
    throw new AddressPatternError(
      source,
      `range ${t} must be ascending within 0..${radix === 10 ? max : max.toString(16)}`,
    );
  }
  if (end === 0)
    throw new AddressPatternError(source, `range ${t} ends at 0 (Java cannot match it)`);
  return [start, end];
}

function rangeMatcher(
  source: string,
  family: 4 | 6,
  fixed: readonly number[],
  range: PositionRange,
): AddressMatcher {
  return {
    source,
    matches: (ip) =>
      ip.family === family &&
      fixed.every((v, i) => ip.parts[i] === v) &&
      ip.parts[range.index]! >= range.start &&
      ip.parts[range.index]! <= range.end,
  };
}

function findRange(
  source: string,
  tokens: readonly string[],
  max: number,
  radix: number,
  numeric: RegExp,
): { fixed: number[]; range: PositionRange } {
  const fixed: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!.trim();
    const r = rangeToken(source, token, max, radix);
    if (r === null) {
      if (!numeric.test(token) || parseInt(token, radix) > max) {
        throw new AddressPatternError(source, `"${token}" is not a valid address position`);
      }
      fixed.push(parseInt(token, radix));
      continue;
    }
    if (i === 0) {
      throw new AddressPatternError(source, 'the first position cannot be a range or *');
    }
    for (const after of tokens.slice(i + 1)) {
      if (after.trim() !== '*') {
        throw new AddressPatternError(
          source,
          `only * may follow a range or * (RocketMQ would ignore "${after.trim()}" and match any value there)`,
        );
      }
    }
    return { fixed, range: { index: i, start: r[0], end: r[1] } };
  }
  throw new AddressPatternError(source, 'no range or * found');
}

function ipv4Range(source: string, p: string): AddressMatcher {
  const tokens = p.split('.');
  if (tokens.length !== 4) {
    throw new AddressPatternError(
      source,
      'an IPv4 range needs 4 positions, e.g. 192.168.1.1-100 or 10.*.*.*',
    );
  }
  const { fixed, range } = findRange(source, tokens, 255, 10, /^\d{1,3}$/);
  return rangeMatcher(source, 4, fixed, range);
}

function ipv6Range(source: string, p: string): AddressMatcher {
  const tokens = expandIpv6(p);
  if (tokens === null) {
    throw new AddressPatternError(source, 'not an IPv6 range like 2001:db8::1-ff or 2001:db8::*');
  }
  const { fixed, range } = findRange(source, tokens, 0xffff, 16, /^[0-9a-fA-F]{1,4}$/);
  return rangeMatcher(source, 6, fixed, range);
}

/**
 * The host part of `ip:port` as the transport reports it (`10.0.0.1:5000`, `::1:5000`, or
 * `[::1]:5000`): everything up to the last ':' (Java `PlainAccessResource.parse`). A bare IPv4
 * address without a port is returned as is.
 */
export function hostOfRemoteAddress(remote: string): string {
  if (remote.startsWith('[')) {
    const close = remote.indexOf(']');
    if (close > 0) return remote.slice(1, close);
  }
  const lastColon = remote.lastIndexOf(':');
  return lastColon < 0 ? remote : remote.slice(0, lastColon);
}

/** An ordered list of patterns; matches when any pattern does. */
export class AddressList {
  readonly matchers: readonly AddressMatcher[];

  constructor(patterns: readonly string[]) {
    this.matchers = patterns.map(parseAddressPattern);
  }

  get isEmpty(): boolean {
    return this.matchers.length === 0;
  }

  /** `address` is a bare IP; false for anything that does not parse. */
  matchesIp(address: string): boolean {
    const ip = parseIp(address);
    if (ip === null) return false;
    return this.matchers.some((m) => m.matches(ip));
  }

  /** The first pattern matching `address`, for logs; null when none does. */
  firstMatch(address: string): string | null {
    const ip = parseIp(address);
    if (ip === null) return null;
    return this.matchers.find((m) => m.matches(ip))?.source ?? null;
  }
}
