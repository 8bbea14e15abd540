/** TopicConfig builders shared by the registration tests. */
import type { TopicConfig } from '@ns/protocol';

/**
 * `n` topics named `${prefix}${from + i}`, each with `queues` read and write queues, perm 6 (read
 * and write) and Java's defaults for the rest.
 */
export function topicConfigs(n: number, queues: number, prefix = 'T', from = 0): TopicConfig[] {
  return Array.from({ length: n }, (_, i) => ({
    topicName: `${prefix}${from + i}`,
    readQueueNums: queues,
    writeQueueNums: queues,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
  }));
}
