/**
 * `nsadmin checkNodes` output for people: one line per node (digest and sizes), then either
 * "all agree" or every difference, grouped by broker name, naming the nodes that lack something.
 */
import type { DataVersion, RouteDifference } from '@ns/protocol';
import type { CheckNodesResult } from '../admin/route-digest-client.js';
import { renderTable } from './format.js';

function dv(v: DataVersion): string {
  return `${v.counter}@${new Date(v.timestamp).toISOString()}`;
}

function addrs(a: Readonly<Record<string, string>>): string {
  return Object.entries(a)
    .sort((x, y) => Number(x[0]) - Number(y[0]))
    .map(([id, addr]) => `${id}=${addr}`)
    .join(',');
}

function perm(p: number): string {
  return `${p & 4 ? 'R' : '-'}${p & 2 ? 'W' : '-'}${p & 1 ? 'X' : '-'}`;
}

type TopicValues = Extract<RouteDifference, { kind: 'topics-differ' }>['topics'];

/**
 * One topic's settings on each node: queues and permission letters, and the raw perm and
 * topicSysFlag too where the letters alone would read the same (the priority bit, a unit flag).
 */
function topicLine(t: NonNullable<TopicValues>[number]): string {
  const short = t.values.map((v) =>
    v.queue === null
      ? 'missing'
      : `r${v.queue.readQueueNums}/w${v.queue.writeQueueNums} ${perm(v.queue.perm)}`,
  );
  const full = t.values.map((v, i) =>
    v.queue === null
      ? short[i]!
      : `${short[i]!} perm=${v.queue.perm} sysFlag=${v.queue.topicSysFlag}`,
  );
  const shown = new Set(short).size > 1 ? short : full;
  return `  topic ${t.topic}: ${t.values.map((v, i) => `${v.node}: ${shown[i]!}`).join('; ')}`;
}

const UNEXPLAINED: Readonly<Record<'unreadable' | 'limit' | 'deadline', string>> = {
  unreadable: '  (topic lists could not be read from every node)',
  limit: '  (topics not listed: more broker names differ than one check looks into)',
  deadline: '  (topics not listed: the check ran out of time; run it again)',
};

export function differenceLines(d: RouteDifference): string[] {
  switch (d.kind) {
    case 'brokerName-missing':
      return [
        `broker ${d.brokerName} (cluster ${d.cluster}, ${addrs(d.brokerAddrs)}) is missing on ${d.missingOn.join(', ')} (present on ${d.presentOn.join(', ')})`,
      ];
    case 'broker-missing':
      return [
        `broker ${d.brokerName} member ${d.brokerAddr} (id ${d.brokerId}, cluster ${d.clusterName}) is missing on ${d.missingOn.join(', ')} (present on ${d.presentOn.join(', ')})`,
      ];
    case 'cluster-differs':
      return [
        `broker ${d.brokerName} is in different clusters: ${d.values.map((v) => `${v.node}: ${v.cluster} [${v.memberOf.join(',')}]`).join('; ')}`,
      ];
    case 'addresses-differ':
      return [
        `broker ${d.brokerName} has different addresses: ${d.values.map((v) => `${v.node}: ${addrs(v.brokerAddrs)}`).join('; ')}`,
      ];
    case 'dataVersion-differs':
      return [
        `broker ${d.brokerName} member ${d.brokerAddr} (id ${d.brokerId}) has different DataVersions: ${d.values.map((v) => `${v.node}: ${dv(v.dataVersion)}`).join('; ')}`,
      ];
    case 'topics-differ': {
      const lines = [
        `broker ${d.brokerName} has different topics: ${d.values.map((v) => `${v.node}: ${v.topicCount} topics #${v.topicsHash}`).join('; ')}`,
      ];
      for (const t of d.topics ?? []) lines.push(topicLine(t));
      if (d.moreTopics > 0) lines.push(`  … and ${d.moreTopics} more topics`);
      if (d.topics === null && d.unexplained !== undefined) lines.push(UNEXPLAINED[d.unexplained]);
      return lines;
    }
  }
}

export function formatCheckNodes(result: CheckNodesResult): string {
  const byNode = new Map(result.report?.nodes.map((n) => [n.node, n]) ?? []);
  const failed = new Map(result.failures.map((f) => [f.node, f]));
  const rows = result.nodes.map((n) => {
    const s = byNode.get(n.node);
    // Unreachable, or answered with something other than a digest: the FAILED line says which.
    if (s === undefined) return [n.node, 'UNREADABLE', '-', '-', '-'];
    return [n.node, s.digest, String(s.topicCount), String(s.brokerNames), String(s.brokers)];
  });
  let out = renderTable(['Node', 'Digest', 'Topics', 'Broker Groups', 'Brokers'], rows);
  for (const f of result.failures) out += `FAILED ${f.node}: ${f.error}\n`;
  const report = result.report;
  if (report === null) return out + 'no node could be read\n';
  const read = result.nodes.length - [...failed.keys()].filter((n) => !byNode.has(n)).length;
  if (report.agree) {
    out += `OK: ${read === result.nodes.length ? `all ${read}` : `the ${read} readable`} nodes agree (digest ${report.nodes[0]?.digest ?? '-'})\n`;
    return out;
  }
  const n = report.differences.length + report.moreDifferences;
  out += `DIVERGENCE: ${n} difference${n === 1 ? '' : 's'}\n`;
  for (const d of report.differences) for (const line of differenceLines(d)) out += `${line}\n`;
  if (report.moreDifferences > 0) {
    out += `… and ${report.moreDifferences} more differences (not listed)\n`;
  }
  return out;
}
