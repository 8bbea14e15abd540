/**
 * Reading the route digest of NameServer nodes (nameserver-ts only; Java nodes have no digest)
 * from their HTTP admin port, and the cross-node consistency check built on it.
 *
 * Why HTTP and not a remoting request: the digest belongs to the process that owns the route
 * table and the admin port, it is plain JSON that curl, Prometheus and the console read too, and
 * a private remoting request code would have to be kept clear of every RocketMQ version's codes.
 * The admin port of `host:port` is taken to be port + 1 (the stock 9876/9877) unless `httpPort`
 * or an `http://host:port` entry says otherwise.
 */
import { checkConsistency, parseDigestTopics, parseNodeList, parseRouteDigest } from '@ns/protocol';
import type { ConsistencyCheckResult, DigestNode, DigestTopics, RouteDigest } from '@ns/protocol';

export const DEFAULT_DIGEST_TIMEOUT_MS = 5_000;
/** A 50,000-topic broker name's topic list is a few MiB; anything far larger is not a node. */
const MAX_BODY_BYTES = 64 << 20;

export interface RouteDigestClientOptions {
  /** Per-request timeout (ms). */
  readonly timeoutMs?: number;
}

/** GET a node's admin URL and parse JSON; errors say which URL and why. */
export async function fetchAdminJson(url: string, timeoutMs: number): Promise<unknown> {
  const what = `GET ${url}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : null;
    const why =
      err instanceof Error && err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause ?? (err instanceof Error ? err.message : String(err)));
    throw new Error(`${what}: ${why}`, { cause: err });
  }
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) {
    await res.body?.cancel();
    throw new Error(`${what}: body of ${length} bytes is too large`);
  }
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(
      `${what}: HTTP ${res.status}${res.status === 404 ? ' (not a nameserver-ts admin port, or an older version without /digest?)' : ''}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${what}: the body is not JSON (not a nameserver-ts admin port?)`);
  }
}

/** The digest of one node, by its admin URL (`http://host:port`). */
export async function fetchRouteDigest(
  adminUrl: string,
  options: RouteDigestClientOptions = {},
): Promise<RouteDigest> {
  const url = `${adminUrl}/digest`;
  return parseRouteDigest(
    await fetchAdminJson(url, options.timeoutMs ?? DEFAULT_DIGEST_TIMEOUT_MS),
    adminUrl,
  );
}

/** One broker name's topics with their queue settings (HTTP 404 when the node lacks the name). */
export async function fetchDigestTopics(
  adminUrl: string,
  brokerName: string,
  options: RouteDigestClientOptions = {},
): Promise<DigestTopics> {
  const url = `${adminUrl}/digest/topics?brokerName=${encodeURIComponent(brokerName)}`;
  return parseDigestTopics(
    await fetchAdminJson(url, options.timeoutMs ?? DEFAULT_DIGEST_TIMEOUT_MS),
    adminUrl,
  );
}

export interface CheckNodesOptions extends RouteDigestClientOptions {
  /** Admin port of every `host:port` entry instead of its port + 1. */
  readonly httpPort?: number;
  /** Topics named per differing broker name (default 100). */
  readonly topicLimit?: number;
}

export interface CheckNodesResult extends ConsistencyCheckResult {
  readonly nodes: readonly DigestNode[];
}

/**
 * Compares every node of `list` (`host:port;host:port` or `http://host:port` entries). Throws
 * NodeListError for a malformed list; unreachable nodes are reported in `failures`.
 */
export async function checkNodes(
  list: string,
  options: CheckNodesOptions = {},
): Promise<CheckNodesResult> {
  const nodes = parseNodeList(
    list,
    options.httpPort === undefined ? {} : { httpPort: options.httpPort },
  );
  const timeoutMs = options.timeoutMs ?? DEFAULT_DIGEST_TIMEOUT_MS;
  const result = await checkConsistency(nodes, (url) => fetchAdminJson(url, timeoutMs), {
    ...(options.topicLimit === undefined ? {} : { topicLimit: options.topicLimit }),
  });
  return { nodes, ...result };
}
