/**
 * One consistency check over several nodes: read every node's digest, compare, and for each
 * broker name whose topics differ read that broker name's topic list from the nodes involved to
 * name the topics. The HTTP reads are injected (`fetchJson`), so this stays I/O-free and both the
 * CLI (`nsadmin checkNodes`) and the node's console run the same steps.
 */
import type { ConsistencyReport, NodeDigest, RouteDifference } from './compare-route-digests.js';
import { compareRouteDigests, explainTopicDifference } from './compare-route-digests.js';
import type { DigestNode } from './node-address.js';
import type { DigestTopics } from './route-digest.js';
import { parseDigestTopics, parseRouteDigest } from './route-digest.js';

/** GETs a URL and returns its parsed JSON body; rejects (with a message naming why) otherwise. */
export type FetchJson = (url: string) => Promise<unknown>;

export interface NodeFailure {
  readonly node: string;
  readonly adminUrl: string;
  /** What failed, e.g. `GET http://a:9877/digest: connect ECONNREFUSED`. */
  readonly error: string;
}

export interface ConsistencyCheckResult {
  /** The digest of each node that answered, in list order (for side-by-side views). */
  readonly digests: readonly NodeDigest[];
  /** The comparison of the nodes that answered; null when none did. */
  readonly report: ConsistencyReport | null;
  /** Nodes that could not be read (the report then covers the others only). */
  readonly failures: readonly NodeFailure[];
}

export interface ConsistencyCheckOptions {
  /** Topics listed per differing broker name (default 100). */
  readonly topicLimit?: number;
  /**
   * Broker names whose differing topics are looked up and named (default
   * DEFAULT_EXPLAIN_LIMIT); the others are reported by their hashes only. The nodes are whoever
   * answers: without a bound, nodes claiming thousands of differing broker names would make one
   * check send a topic-list request per name to every node.
   */
  readonly explainLimit?: number;
  /**
   * No topic list is asked for once this many ms have passed since the check began (default:
   * none): one slow node answering each topic list just in time would otherwise hold the check
   * for `explainLimit` + 1 fetch timeouts. The differences not explained by then say `deadline`.
   */
  readonly deadlineMs?: number;
  /** The clock the deadline is read from (default Date.now). */
  readonly now?: () => number;
}

/** Differing broker names explained per check unless told otherwise. */
export const DEFAULT_EXPLAIN_LIMIT = 16;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function checkConsistency(
  nodes: readonly DigestNode[],
  fetchJson: FetchJson,
  options: ConsistencyCheckOptions = {},
): Promise<ConsistencyCheckResult> {
  const now = options.now ?? Date.now;
  const deadline = options.deadlineMs === undefined ? Infinity : now() + options.deadlineMs;
  const failures: NodeFailure[] = [];
  const read = await Promise.all(
    nodes.map(async (n): Promise<NodeDigest | null> => {
      try {
        const body = await fetchJson(`${n.adminUrl}/digest`);
        return { node: n.node, digest: parseRouteDigest(body, n.node) };
      } catch (err) {
        failures.push({ node: n.node, adminUrl: n.adminUrl, error: message(err) });
        return null;
      }
    }),
  );
  const digests = read.filter((d): d is NodeDigest => d !== null);
  // Reads finish in any order; report failures in list order.
  const order = new Map(nodes.map((n, i) => [n.node, i]));
  const sorted = (): NodeFailure[] =>
    failures.sort((a, b) => order.get(a.node)! - order.get(b.node)!);
  if (digests.length === 0) return { digests, report: null, failures: sorted() };
  const report = compareRouteDigests(digests);
  if (report.agree) return { digests, report, failures: sorted() };

  const urlOf = new Map(nodes.map((n) => [n.node, n.adminUrl]));
  let explainLeft = options.explainLimit ?? DEFAULT_EXPLAIN_LIMIT;
  // One broker name at a time (its nodes read in parallel): at most one topic-list request per
  // node in flight, and at most `explainLimit` rounds of them.
  const differences: RouteDifference[] = [];
  for (const d of report.differences) differences.push(await explain(d));
  return { digests, report: { ...report, differences }, failures: sorted() };

  async function explain(d: RouteDifference): Promise<RouteDifference> {
    if (d.kind !== 'topics-differ') return d;
    if (explainLeft <= 0) return { ...d, unexplained: 'limit' };
    if (now() >= deadline) return { ...d, unexplained: 'deadline' };
    explainLeft--;
    const details = new Map<string, DigestTopics>();
    await Promise.all(
      d.values.map(async ({ node }) => {
        const adminUrl = urlOf.get(node)!;
        try {
          const url = `${adminUrl}/digest/topics?brokerName=${encodeURIComponent(d.brokerName)}`;
          details.set(node, parseDigestTopics(await fetchJson(url), node));
        } catch (err) {
          failures.push({ node, adminUrl, error: message(err) });
        }
      }),
    );
    // Without every side's list the topics cannot be named; the hashes still say they differ.
    return details.size === d.values.length
      ? explainTopicDifference(d, details, options.topicLimit)
      : { ...d, unexplained: 'unreadable' };
  }
}
