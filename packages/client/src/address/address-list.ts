/**
 * Parsing and validation of name server address lists: `host:port;host:port`.
 *
 * Java takes the string as is and splits on `;` (MQClientAPIImpl#updateNameServerAddressList), so
 * a `,` separator or a stray space only shows up later as an unreachable "address" — users lose
 * hours to it (apache/rocketmq#818). We reject such lists up front and say what was expected.
 *
 * Accepted: `host:port`, `a.b.c.d:port`, `[ipv6]:port`, and `ipv6:port` without brackets as Java
 * reads it (the port after the last `:`, RemotingHelper#string2SocketAddress); port 1–65535. Leading/trailing whitespace
 * of the whole text and one trailing `;` are tolerated (Java's String#split drops trailing empty
 * entries, so `a:1;b:2;` works there too). Duplicates are dropped, keeping the first occurrence.
 */
import { isIP, SocketAddress } from 'node:net';
import { InvalidAddressListError } from '../errors.js';

/** A parsed `host:port`. `host` has no brackets (ready for net.connect). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

// RFC 1123 labels; also matches dotted IPv4 which isIP then checks properly.
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const DOTTED_NUMERIC = /^[0-9.]+$/;

const EXPECTED =
  "expected 'host:port' entries separated by ';', e.g. '10.0.0.1:9876;10.0.0.2:9876'";

/**
 * Splits one `host:port` (or `[v6]:port`) entry. Throws InvalidAddressListError naming the entry.
 * `input` is the whole list the entry came from, for the error.
 */
export function parseHostPort(entry: string, input: string = entry): HostPort {
  const fail = (why: string): never => {
    throw new InvalidAddressListError(
      input,
      `invalid name server address '${entry}': ${why}`,
      entry,
    );
  };
  if (entry.length === 0) fail('empty address');
  if (/\s/.test(entry)) fail('contains whitespace; ' + EXPECTED);
  if (entry.includes('://')) fail("a scheme is not allowed here, expected plain 'host:port'");

  let host: string;
  let portText: string;
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) fail("unterminated '[' in IPv6 address, expected '[ipv6]:port'");
    host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (!rest.startsWith(':')) fail("missing port, expected '[ipv6]:port'");
    portText = rest.slice(1);
    if (isIP(host) !== 6) fail(`'${host}' is not an IPv6 address`);
  } else {
    const colon = entry.lastIndexOf(':');
    if (colon < 0) fail("missing port, expected 'host:port'");
    host = entry.slice(0, colon);
    portText = entry.slice(colon + 1);
    if (host.includes(':') && isIP(host) !== 6) {
      // `fd00::2`, `::1`: the whole entry is an IPv6 address and its port is missing (the last
      // group was taken for one). Say so instead of naming the truncated host.
      if (isIP(entry) === 6) fail(`IPv6 address without a port; expected '[${entry}]:port'`);
      fail(`'${host}' is not an IPv6 address; expected '[ipv6]:port'`);
    }
    if (host.length === 0) fail("missing host, expected 'host:port'");
    if (host.includes(':')) {
      // An IPv6 address (checked above).
    } else if (DOTTED_NUMERIC.test(host) ? isIP(host) !== 4 : !HOSTNAME.test(host)) {
      fail(`'${host}' is not a valid host name or IPv4 address`);
    }
  }
  if (!/^[0-9]{1,5}$/.test(portText)) {
    fail(portText.length === 0 ? 'missing port number' : `port '${portText}' is not a number`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) fail(`port ${port} is out of range 1-65535`);
  return { host, port };
}

/** Formats a host and port back into the canonical address form (`[v6]:port` for IPv6). */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${canonicalIpv6(host)}]:${port}` : `${host}:${port}`;
}

/**
 * One spelling per IPv6 address (RFC 5952: lower case, longest zero run compressed), so that
 * `[::1]:9876`, `[0:0:0:0:0:0:0:1]:9876` (how Java prints it) and `[0::1]:9876` are one node,
 * not three. A zone (`%eth0`) is kept as written.
 */
function canonicalIpv6(host: string): string {
  const pct = host.indexOf('%');
  const ip = pct < 0 ? host : host.slice(0, pct);
  const zone = pct < 0 ? '' : host.slice(pct);
  try {
    return new SocketAddress({ address: ip, family: 'ipv6' }).address + zone;
  } catch {
    return host;
  }
}

/**
 * Parses `host:port;host:port` into a validated, de-duplicated list. An empty (or blank) text is an
 * error: callers that allow "no list" check for that before calling.
 */
export function parseAddressList(input: string): string[] {
  const text = input.trim();
  if (text.length === 0) {
    throw new InvalidAddressListError(input, `name server address list is empty; ${EXPECTED}`);
  }
  if (text.includes(',')) {
    throw new InvalidAddressListError(
      input,
      `name server address list '${text}' uses ',' as a separator; use ';' instead, ${EXPECTED}`,
    );
  }
  const entries = text.split(';');
  // Java String#split drops trailing empty strings, so trailing ';'s are accepted there.
  while (entries.length > 1 && entries[entries.length - 1] === '') entries.pop();
  const out: string[] = [];
  for (const [i, entry] of entries.entries()) {
    if (entry.length === 0) {
      throw new InvalidAddressListError(
        input,
        `name server address list '${text}' has an empty entry at position ${i + 1} (';;' or a leading ';'); ${EXPECTED}`,
        entry,
      );
    }
    const { host, port } = parseHostPort(entry, input);
    const normalised = formatHostPort(host, port);
    if (!out.includes(normalised)) out.push(normalised);
  }
  return out;
}

/**
 * Parses the value of the `namesrvAddr` option. Besides a plain list it accepts the [5.x] endpoint
 * form: when the text starts with `http://`, everything after the last `/` is the list
 * (Java: NameServerAddressUtils#getNameSrvAddrFromNamesrvEndpoint).
 */
export function parseNameServerAddressOption(input: string | readonly string[]): string[] {
  if (typeof input !== 'string') {
    if (input.length === 0) {
      throw new InvalidAddressListError('', `name server address list is empty; ${EXPECTED}`);
    }
    return parseAddressList(input.join(';'));
  }
  const text = input.trim();
  if (text.startsWith('http://')) {
    const list = text.slice(text.lastIndexOf('/') + 1);
    if (list.length === 0) {
      throw new InvalidAddressListError(
        input,
        `name server endpoint '${text}' has no address list after the last '/'; expected 'http://<anything>/host:port;host:port'`,
      );
    }
    return parseAddressList(list);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new InvalidAddressListError(
      input,
      `name server address '${text}' has an unsupported scheme; only the 'http://…/host:port;host:port' endpoint form or a plain list is accepted`,
    );
  }
  return parseAddressList(text);
}

/** Formats a list the way Java and the address service write it: `a;b`. */
export function formatAddressList(addresses: readonly string[]): string {
  return addresses.join(';');
}

/**
 * True when both lists hold the same members (order ignored). Java
 * (NettyRemotingClient#updateNameServerAddressList) updates only when the size differs or an
 * address is new; a mere reordering is not a change.
 */
export function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((addr) => set.has(addr));
}
