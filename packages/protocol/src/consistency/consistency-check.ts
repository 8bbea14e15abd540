/**
 * One consistency check over several nodes: read every node's digest, compare, and for each
 * broker name whose topics differ read that broker name's topic list from the nodes involved to
 * name the topics. The HTTP reads are injected (`fetchJson`), so this stays I/O-free and both the
 * CLI (`nsadmin checkNodes`) and the node's console run the same steps.
 */
import type {
  ConsistencyReport,
  NodeDigest,
  RouteDifference,
  TopicsDiffer,
} from './compare-route-digests.js';
import { compareRouteDigests, explainTopicDifference } from './compare-route-digests.js';
import type { DigestNode } from './node-address.js';
import type { DigestTopics } from './route-digest.js';
import { parseDigestTopics, parseRouteDigest } from './route-digest.js';

/** GETs a URL and returns its parsed JSON body; rejects (with a message naming why) otherwise. */
export type FetchJson = (url: string) => Promise<unknown>;

/**
 * Topic lists kept from one check to the next (ConsistencyCheckOptions.topicLists). A broker
 * name's list on a node is known by its digest's topicsHash, so a check reads it again only when
 * that hash changed: a console left open rechecks every few seconds, and without this each check
 * read and parsed every differing broker name's list (megabytes each) from every node.
 */
export interface TopicListStore {
  /** The list `adminUrl` serves for `brokerName` while that name's topicsHash is `topicsHash`. */
  get(adminUrl: string, brokerName: string, topicsHash: string): DigestTopics | undefined;
  /**
   * A list just read from `adminUrl`. `topicsHash` is what that node's digest said before the
   * read; the list may be newer (the route changed in between), so a store that can hash lists
   * keeps it under its own hash.
   */
  put(adminUrl: string, brokerName: string, topicsHash: string, topics: DigestTopics): void;
}

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
  /**
   * Where topic lists are kept between checks (default: none, every list is read). A list found
   * here for the hash a node's digest gives is not asked for again, and a difference whose lists
   * all come from here is explained even past the deadline (no request is made for it).
   */
  readonly topicLists?: TopicListStore;
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
    const store = options.topicLists;
    const details = new Map<string, DigestTopics>();
    const missing: (typeof d.values)[number][] = [];
    for (const v of d.values) {
      const kept = store?.get(urlOf.get(v.node)!, d.brokerName, v.topicsHash);
      if (kept === undefined) missing.push(v);
      else details.set(v.node, kept);
    }
    if (missing.length > 0 && now() >= deadline) return { ...d, unexplained: 'deadline' };
    explainLeft--;
    await Promise.all(
      missing.map(async ({ node, topicsHash }) => {
        const adminUrl = urlOf.get(node)!;
        try {
          const url = `${adminUrl}/digest/topics?brokerName=${encodeURIComponent(d.brokerName)}`;
          const topics = parseDigestTopics(await fetchJson(url), node);
          store?.put(adminUrl, d.brokerName, topicsHash, topics);
          details.set(node, topics);
        } catch (err) {
          failures.push({ node, adminUrl, error: message(err) });
        }
      }),
    );
    // Without every side's list the topics cannot be named; the hashes still say they differ.
    return details.size === d.values.length
      ? explainKept(d, details, options.topicLimit ?? DEFAULT_TOPIC_LIMIT)
      : { ...d, unexplained: 'unreadable' };
  }
}

/** Topics listed per differing broker name unless told otherwise. */
const DEFAULT_TOPIC_LIMIT = 100;
/** Explanations kept per first node's list (the other nodes' lists may change more often). */
const EXPLAINED_PER_LIST = 8;

/** A number per list object, naming it in `explained` keys. */
const listIds = new WeakMap<DigestTopics, number>();
let nextListId = 0;
/**
 * Explanations already worked out, by the first node's list (held weakly: they go when the list
 * does) and then by the limit, the nodes and every list. Lists are never changed once parsed, so
 * the same lists explain the same way: a kept list compared again (every recheck of an open
 * console) costs a lookup, not a walk of every topic (40,000 topics a side: about 50 ms).
 */
const explained = new WeakMap<
  DigestTopics,
  Map<string, Pick<TopicsDiffer, 'topics' | 'moreTopics'>>
>();

function listId(topics: DigestTopics): number {
  let id = listIds.get(topics);
  if (id === undefined) {
    id = nextListId++;
    listIds.set(topics, id);
  }
  return id;
}

function explainKept(
  d: TopicsDiffer,
  details: ReadonlyMap<string, DigestTopics>,
  limit: number,
): TopicsDiffer {
  const first = details.get(d.values[0]!.node)!;
  const key = JSON.stringify([limit, d.values.map((v) => [v.node, listId(details.get(v.node)!)])]);
  let byKey = explained.get(first);
  const known = byKey?.get(key);
  if (known !== undefined) return { ...d, topics: known.topics, moreTopics: known.moreTopics };
  const result = explainTopicDifference(d, details, limit);
  if (byKey === undefined) {
    byKey = new Map();
    explained.set(first, byKey);
  }
  if (byKey.size >= EXPLAINED_PER_LIST) byKey.delete(byKey.keys().next().value!);
  byKey.set(key, { topics: result.topics, moreTopics: result.moreTopics });
  return result;
}
