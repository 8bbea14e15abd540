/**
 * Which `Host` a request may name when it reads this node's data views: the defence against DNS
 * rebinding. A page on any web site can point its own name at the node's address once the
 * browser has loaded it; its script is then "same origin" with the node, and read `/kv`,
 * `/config`, or made the node probe internal addresses through `/consistency` (a review did all
 * three from Chromium with the defaults). What such a request cannot hide is the name it used:
 * the browser sends the attacker's name in `Host`.
 *
 * Every request is held to it, not only those that look like a browser's: over plain HTTP a
 * browser sends no `Sec-Fetch-*` (only to HTTPS or localhost origins) and no `Origin` on a
 * same-origin GET, so nothing tells its request from curl's (a first version checked only
 * requests with those headers, and a second review's rebinding page went through untouched).
 *
 * Names accepted without configuration: IP literals, `localhost`, names without a dot (Docker
 * and Kubernetes service names), names under suffixes no public DNS answers for (`.local`,
 * `.internal`, `.svc`, `.lan`, `.home.arpa`, `.localhost`, `.localdomain`), this machine's host
 * name, and the hosts of `consistencyNodes` (so the nodes of one cluster read each other).
 * `httpAllowedHosts` adds names (`ns.example.com`), whole domains (`.example.com`) or `*` (any
 * name: the check is off). A request without `Host` (HTTP/1.0; browsers always send one) is let
 * through.
 */
import { isIP } from 'node:net';

const PRIVATE_SUFFIXES = [
  '.local',
  '.localhost',
  '.localdomain',
  '.internal',
  '.svc',
  '.lan',
  '.home.arpa',
];

export interface BrowserHostPolicy {
  /** Whether a request with these headers may read a data view. */
  allows(headers: {
    readonly host?: string | undefined;
    readonly [name: string]: string | string[] | undefined;
  }): boolean;
}

export interface BrowserHostOptions {
  /** The `httpAllowedHosts` value: `;`-separated names, `.domain`s, or `*`. */
  readonly allowed: string;
  /** This machine's host name (os.hostname()). */
  readonly hostname: string;
  /** consistencyNodes, read at each check (the console opened by one of those names works). */
  readonly consistencyNodes: () => string;
}

/** `;`- or `,`-separated entries of httpAllowedHosts, lower-cased; throws on a malformed one. */
export function parseAllowedHosts(value: string): string[] {
  const entries = value
    .split(/[;,]/)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const entry of entries) {
    if (entry === '*') continue;
    const name = entry.startsWith('.') ? entry.slice(1) : entry;
    if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name)) {
      throw new Error(`'${entry}' is not a host name, a .domain or *`);
    }
  }
  return entries;
}

export const ALLOWED_HOSTS_EXPECTED =
  "';'-separated host names (ns.example.com), domains (.example.com) or * (any)";

export function createBrowserHostPolicy(options: BrowserHostOptions): BrowserHostPolicy {
  const entries = parseAllowedHosts(options.allowed);
  const anyName = entries.includes('*');
  const names = new Set(entries.filter((e) => !e.startsWith('.')));
  const domains = entries.filter((e) => e.startsWith('.'));
  const hostname = normalise(options.hostname);
  let nodesText: string | undefined;
  let nodeHosts = new Set<string>();
  const consistencyHosts = (): Set<string> => {
    const text = options.consistencyNodes();
    if (text !== nodesText) {
      nodesText = text;
      nodeHosts = new Set(hostsOfNodeList(text));
    }
    return nodeHosts;
  };
  return {
    allows(headers) {
      if (anyName) return true;
      const host = hostOf(headers.host);
      // HTTP/1.1 requires Host; a browser always sends one. Nothing to judge without it.
      if (host === null) return true;
      if (isIP(host) !== 0 || !host.includes('.')) return true;
      if (host === hostname || names.has(host)) return true;
      if (PRIVATE_SUFFIXES.some((s) => host.endsWith(s))) return true;
      if (domains.some((d) => host.endsWith(d) || host === d.slice(1))) return true;
      return consistencyHosts().has(host);
    },
  };
}

/** The name in a Host header, without port or brackets, lower-cased; null when absent. */
export function hostOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === '') return null;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? normalise(value) : normalise(value.slice(1, end));
  }
  const colon = value.lastIndexOf(':');
  return normalise(colon < 0 ? value : value.slice(0, colon));
}

function normalise(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The host names in a consistencyNodes value (`host:port` or `http://host:port`, `;`-separated). */
function hostsOfNodeList(text: string): string[] {
  const hosts: string[] = [];
  for (const entry of text.split(';')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const withoutScheme = trimmed.replace(/^https?:\/\//i, '');
    const authority = withoutScheme.split('/')[0] ?? '';
    const host = hostOf(authority);
    if (host !== null) hosts.push(host);
  }
  return hosts;
}
