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
import {
  checkConsistency,
  parseDigestTopics,
  parseNodeList,
  parseRouteDigest,
  REFUSAL_BODY_BYTES,
  refusalReason,
} from '@ns/protocol';
import type { ConsistencyCheckResult, DigestNode, DigestTopics, RouteDigest } from '@ns/protocol';
import { InvalidOptionError } from '../errors.js';
import { checkTimerLimit } from '../timer-limit.js';

export const DEFAULT_DIGEST_TIMEOUT_MS = 5_000;
/** A 50,000-topic broker name's topic list is a few MiB; anything far larger is not a node. */
const MAX_BODY_BYTES = 64 << 20;

export interface RouteDigestClientOptions {
  /** Per-request timeout (ms). */
  readonly timeoutMs?: number;
}

/** The per-request timeout of `options`: it feeds AbortSignal.timeout, a Node timer. */
function timeoutOf(options: RouteDigestClientOptions): number {
  const ms = options.timeoutMs ?? DEFAULT_DIGEST_TIMEOUT_MS;
  if (!Number.isInteger(ms) || ms < 1) {
    throw new InvalidOptionError(
      'timeoutMs',
      `timeoutMs: expected a positive integer (ms), got ${ms}`,
    );
  }
  return checkTimerLimit('timeoutMs', ms);
}

/**
 * GET a node's admin URL and parse JSON; errors say which URL and why. The body is read with a
 * running count and the request aborted past `maxBytes`, whether or not it came with a
 * Content-Length (a chunked body has none).
 */
export async function fetchAdminJson(
  url: string,
  timeoutMs: number,
  maxBytes: number = MAX_BODY_BYTES,
): Promise<unknown> {
  const what = `GET ${url}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    throw new Error(`${what}: ${describeFetchError(err, timeoutMs)}`, { cause: err });
  }
  if (res.status !== 200) {
    // Our nodes say why in a JSON `error` (a 403 names httpAllowedHosts or the ACL key to use).
    const why = await errorOfAnswer(res);
    throw new Error(
      `${what}: HTTP ${res.status}${why === null ? '' : `: ${why}`}${res.status === 404 && new URL(url).pathname === '/digest' ? ' (not a nameserver-ts admin port, or an older version without /digest?)' : ''}`,
    );
  }
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`${what}: body of ${length} bytes is over the cap of ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooLarge = false;
  try {
    if (res.body !== null) {
      // Node types the web stream loosely; its chunks are bytes. Leaving the loop early cancels
      // the stream, which aborts the request: the rest is never read.
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          tooLarge = true;
          break;
        }
        chunks.push(chunk);
      }
    }
  } catch (err) {
    throw new Error(`${what}: ${describeFetchError(err, timeoutMs)}`, { cause: err });
  }
  if (tooLarge) {
    throw new Error(
      `${what}: body is over the cap of ${maxBytes} bytes (stopped reading at ${size} bytes)`,
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new Error(`${what}: the body is not JSON (not a nameserver-ts admin port?)`);
  }
}

/** Why a fetch failed, for people: the timeout, else undici's socket error (in `cause`). */
function describeFetchError(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return err.cause instanceof Error ? err.cause.message : err.message;
}

/** The digest of one node, by its admin URL (`http://host:port`). */
export async function fetchRouteDigest(
  adminUrl: string,
  options: RouteDigestClientOptions = {},
): Promise<RouteDigest> {
  const url = `${adminUrl}/digest`;
  return parseRouteDigest(await fetchAdminJson(url, timeoutOf(options)), adminUrl);
}

/** One broker name's topics with their queue settings (HTTP 404 when the node lacks the name). */
export async function fetchDigestTopics(
  adminUrl: string,
  brokerName: string,
  options: RouteDigestClientOptions = {},
): Promise<DigestTopics> {
  const url = `${adminUrl}/digest/topics?brokerName=${encodeURIComponent(brokerName)}`;
  return parseDigestTopics(await fetchAdminJson(url, timeoutOf(options)), adminUrl);
}

export interface CheckNodesOptions extends RouteDigestClientOptions {
  /** Admin port of every `host:port` entry instead of its port + 1. */
  readonly httpPort?: number;
  /** Topics named per differing broker name (default 100). */
  readonly topicLimit?: number;
  /**
   * Topic lists are asked for only during this long after the check began (default 3 × the
   * request timeout): a node answering each one just in time must not hold the check for
   * minutes. Differences not explained by then say so.
   */
  readonly deadlineMs?: number;
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
  const timeoutMs = timeoutOf(options);
  const result = await checkConsistency(nodes, (url) => fetchAdminJson(url, timeoutMs), {
    ...(options.topicLimit === undefined ? {} : { topicLimit: options.topicLimit }),
    deadlineMs: options.deadlineMs ?? 3 * timeoutMs,
  });
  return { nodes, ...result };
}

/** The reason in a refusal's body (its first REFUSAL_BODY_BYTES), or null; the rest is not read. */
async function errorOfAnswer(res: Response): Promise<string | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (res.body !== null) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        chunks.push(chunk);
        size += chunk.byteLength;
        if (size >= REFUSAL_BODY_BYTES) break;
      }
    }
    return refusalReason(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  } finally {
    await res.body?.cancel().catch(() => undefined);
  }
}
