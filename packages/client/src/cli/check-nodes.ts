/**
 * `nsadmin checkNodes -n "a:9876;b:9876;c:9876"`: compares the route digests of every node and
 * says which brokers or topics differ and where. Exit 0 when all agree, 1 on divergence, 2 on a
 * usage error or a node that cannot be read (a partial comparison is still printed).
 */
import { NodeListError } from '@ns/protocol';
import { checkNodes } from '../admin/route-digest-client.js';
import { formatCheckNodes } from './consistency-text.js';
import { formatJson } from './format.js';
import { printable } from './verb.js';
import type { StandaloneVerb } from './verbs.js';

export const EXIT_AGREE = 0;
export const EXIT_DIVERGED = 1;
export const EXIT_UNREADABLE = 2;

/** Thrown for a bad option: main() reports it as a usage error (exit 2). */
export class CheckNodesUsageError extends Error {
  override name = 'CheckNodesUsageError';
}

export const checkNodesVerb: StandaloneVerb = {
  name: 'checkNodes',
  summary:
    'Compare the route tables of every name server (brokers, addresses, DataVersions, topics); exit 1 when they differ',
  options: {
    httpPort: {
      type: 'string',
      description: "admin port of every host:port node (default: the node's port + 1)",
    },
    topicLimit: {
      type: 'string',
      description: 'differing topics listed per broker (default 100)',
    },
  },
  required: [],
  standalone: true,
  async run(ctx) {
    const httpPort = optionalInt(ctx.values.httpPort, '--httpPort', 1, 65535);
    const topicLimit = optionalInt(ctx.values.topicLimit, '--topicLimit', 0, 1_000_000);
    let result;
    try {
      result = await checkNodes(ctx.namesrvAddr, {
        ...(httpPort === undefined ? {} : { httpPort }),
        ...(topicLimit === undefined ? {} : { topicLimit }),
        ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
      });
    } catch (err) {
      if (err instanceof NodeListError) {
        throw new CheckNodesUsageError(`${ctx.namesrvAddrSource}: ${err.message}`);
      }
      throw err;
    }
    // Names in the report come from the nodes: no control character reaches the terminal.
    const text = (): string =>
      formatCheckNodes(result)
        .split('\n')
        .map((line) => printable(line))
        .join('\n');
    ctx.out(ctx.json ? formatJson(result) : text());
    // Unreadable: no digest. A node whose digest was read but whose topic list (asked to name
    // the differing topics) was not still counts as read: exit 1 for a divergence, not 2.
    const read = new Set(result.digests.map((d) => d.node));
    const unreadable = [...new Set(result.failures.map((f) => f.node))].filter((n) => !read.has(n));
    if (unreadable.length > 0 || result.report === null) {
      ctx.fail(
        `cannot read ${unreadable.length} of ${result.nodes.length} node(s): ${unreadable.join(', ')}`,
      );
      return EXIT_UNREADABLE;
    }
    if (result.report.agree) return EXIT_AGREE;
    const n = result.report.differences.length + result.report.moreDifferences;
    ctx.fail(`the nodes differ (${n} difference${n === 1 ? '' : 's'})`);
    return EXIT_DIVERGED;
  },
};

function optionalInt(
  value: string | string[] | boolean | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CheckNodesUsageError(`${flag}: expected an integer ${min}..${max}, got '${value}'`);
  }
  return n;
}
