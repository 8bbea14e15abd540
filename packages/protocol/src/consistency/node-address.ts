/**
 * Where a node's HTTP admin port is, given how an operator names the node. The consistency check
 * takes the list brokers and clients already use (`host:port;host:port`, the remoting ports) and
 * reads each node's digest from its admin port, by default the remoting port + 1 (the stock ports
 * are 9876 and 9877, and nodes sharing a host are given port pairs that way). `httpPort` sets one
 * admin port for every node; an entry written as `http://host:port` names a node's admin port
 * itself, for nodes whose httpPort is set apart.
 */

export interface DigestNode {
  /** The entry as given, e.g. `10.0.0.1:9876` or `http://10.0.0.1:19877`: how reports name it. */
  readonly node: string;
  /** `http://host:port` of the node's admin port, without a trailing slash. */
  readonly adminUrl: string;
}

export class NodeListError extends Error {
  override name = 'NodeListError';
}

export interface ParseNodeListOptions {
  /** Admin port of every `host:port` entry, instead of its port + 1. */
  readonly httpPort?: number;
  /** At most this many entries (the console's server-side fan-out bounds it). */
  readonly maxNodes?: number;
}

/** `http://` + a 253-character host name + `:65535`, with room for an IPv6 literal's brackets. */
const MAX_ENTRY_LENGTH = 270;

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/**
 * `host:port` split like every other address list of the project (client address lists, Java's
 * RemotingHelper#string2SocketAddress): an IPv6 address may come without brackets, the port after
 * the last `:` (`::1:9876`, `0:0:0:0:0:0:0:1:9876`). Returns the host ready for a URL (bracketed).
 */
function hostPort(text: string): [string, string] | null {
  const m = HOST_PORT.exec(text);
  if (m !== null) return [m[1]!, m[2]!];
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (colon < 0 || !/^\d{1,5}$/.test(portText) || !/^[0-9a-fA-F:.]+$/.test(host)) return null;
  return isIPv6Literal(host) ? [`[${host}]`, portText] : null;
}

/** Whether `host` is an IPv6 address (WHATWG URL's parser decides: the codec does no I/O). */
function isIPv6Literal(host: string): boolean {
  if (!host.includes(':')) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}

function port(text: string, entry: string): number {
  const p = Number(text);
  if (!Number.isInteger(p) || p < 1 || p > 65535) {
    throw new NodeListError(`'${entry}': port ${text} is not in 1..65535`);
  }
  return p;
}

/**
 * Parses `a:9876;b:9876` (`;`-separated, blanks around entries ignored). Throws NodeListError
 * naming the bad entry: no port, a `,` separator, an https or path URL, a duplicate.
 */
export function parseNodeList(list: string, options: ParseNodeListOptions = {}): DigestNode[] {
  const entries = list
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new NodeListError('the node list is empty');
  const max = options.maxNodes;
  if (max !== undefined && entries.length > max) {
    throw new NodeListError(`${entries.length} nodes given, at most ${max} are compared`);
  }
  const seen = new Set<string>();
  return entries.map((entry) => {
    let adminUrl: string;
    // A host name has at most 253 characters; reports name every node in every difference.
    if (entry.length > MAX_ENTRY_LENGTH) {
      throw new NodeListError(
        `'${entry.slice(0, 40)}…': ${entry.length} characters, at most ${MAX_ENTRY_LENGTH}`,
      );
    }
    if (entry.includes(',')) {
      throw new NodeListError(`'${entry}': separate nodes with ';', not ','`);
    }
    if (entry.startsWith('http://')) {
      const rest = entry.slice('http://'.length).replace(/\/$/, '');
      const m = HOST_PORT.exec(rest);
      if (m === null && rest.includes('%')) {
        throw new NodeListError(
          `'${entry}': an IPv6 zone (%eth0) cannot be used in a URL; give the node's global or unique-local address, or a host name`,
        );
      }
      if (m === null) {
        throw new NodeListError(`'${entry}': expected http://host:port (no path)`);
      }
      adminUrl = `http://${m[1]!}:${port(m[2]!, entry)}`;
    } else {
      if (/^[a-z]+:\/\//i.test(entry)) {
        throw new NodeListError(`'${entry}': only http:// admin addresses are served`);
      }
      const m = hostPort(entry);
      if (m === null && entry.includes('%')) {
        throw new NodeListError(
          `'${entry}': an IPv6 zone (%eth0) cannot be used here (admin ports are read over HTTP, whose URLs have no zones); give the node's global or unique-local address, or a host name`,
        );
      }
      if (m === null) throw new NodeListError(`'${entry}': expected host:port`);
      const remoting = port(m[1], entry);
      const admin = options.httpPort ?? remoting + 1;
      if (admin > 65535) {
        throw new NodeListError(`'${entry}': port + 1 is not a port; give the admin port`);
      }
      adminUrl = `http://${m[0]}:${admin}`;
    }
    // One key per node however its IPv6 address is spelled ([::1], [0:0:0:0:0:0:0:1], [0::1]).
    let key: string;
    try {
      key = new URL(adminUrl).origin;
    } catch {
      // Matched the loose pattern but is no address ([1.2.3.4], [:::], 999.1.1.1): a list error,
      // not a TypeError (ns-server exited 70 on it; GET /consistency answered 500).
      throw new NodeListError(
        `'${entry}': not a valid host (IPv6 in brackets, IPv4, or a host name)`,
      );
    }
    if (seen.has(key)) throw new NodeListError(`'${entry}' is listed twice`);
    seen.add(key);
    return { node: entry, adminUrl };
  });
}
