/**
 * The topic lists a /consistency check thread keeps between checks (see consistency-thread.ts):
 * by node admin URL and broker name, the list last read and the topicsHash it hashes to. A
 * console left open rechecks every 2 s; each check used to read and parse every differing broker
 * name's list from every node again (40,000 topics: 3.5 MB of JSON each) though nothing changed.
 *
 * Bounded by an estimate of the parsed lists' heap (the least recently used go first), since the
 * lists come from whoever the node list names.
 */
import type { ConsistencyCheckOptions, DigestTopics } from '@ns/protocol';
import { hex8, topicQueueHash, topicSeed } from '../digest/digest-hash.js';

type TopicListStore = NonNullable<ConsistencyCheckOptions['topicLists']>;

/** Heap of one parsed topic entry besides its name: the object, its slot in the array. */
const ENTRY_BYTES = 96;

/**
 * Heap of a kept list besides its entries: its Map entry and key, the Kept record, the parsed
 * list object and its array. Counted as 64 bytes, a hostile node list answering many one-topic
 * broker names could keep millions of lists (several times the estimate in real heap) in the
 * thread (review finding).
 */
const LIST_BYTES = 512;

/** Lists kept at most, whatever their size: 16 nodes of 256 broker names each. */
export const MAX_KEPT_LISTS = 4096;

/** A parsed list's heap, roughly (measured: 40,000 topics of 12 characters, 4.4 MB). */
export function topicListBytes(list: DigestTopics): number {
  let bytes = LIST_BYTES + 4 * list.brokerName.length;
  for (const t of list.topics) bytes += ENTRY_BYTES + 2 * t.topic.length;
  return bytes;
}

/**
 * The topicsHash a node's digest gives for this list (route-digest-tracker.ts: the XOR of its
 * entries' hashes). A list is kept under the hash it has, not the one the digest said before it
 * was read: the route may have changed in between, and the list must not answer for a hash it
 * does not have.
 */
export function topicListHash(list: DigestTopics): string {
  let h = 0;
  for (const t of list.topics) {
    h ^= topicQueueHash(topicSeed(t.topic), {
      brokerName: list.brokerName,
      readQueueNums: t.readQueueNums,
      writeQueueNums: t.writeQueueNums,
      perm: t.perm,
      topicSysFlag: t.topicSysFlag,
    });
  }
  return hex8(h);
}

export interface TopicListCacheOptions {
  /** Estimated heap (topicListBytes) the kept lists may take together. */
  readonly maxBytes: number;
}

interface Kept {
  readonly hash: string;
  readonly topics: DigestTopics;
  readonly bytes: number;
}

export class TopicListCache implements TopicListStore {
  private readonly maxBytes: number;
  /** In use order, least recent first. */
  private readonly lists = new Map<string, Kept>();
  private bytes = 0;

  constructor(options: TopicListCacheOptions) {
    this.maxBytes = options.maxBytes;
  }

  /** Lists kept now, and their estimated heap. */
  get size(): { readonly lists: number; readonly bytes: number } {
    return { lists: this.lists.size, bytes: this.bytes };
  }

  get(adminUrl: string, brokerName: string, topicsHash: string): DigestTopics | undefined {
    const key = keyOf(adminUrl, brokerName);
    const kept = this.lists.get(key);
    if (kept === undefined || kept.hash !== topicsHash) return undefined;
    this.lists.delete(key);
    this.lists.set(key, kept);
    return kept.topics;
  }

  put(adminUrl: string, brokerName: string, _topicsHash: string, topics: DigestTopics): void {
    const key = keyOf(adminUrl, brokerName);
    // One list per node and broker name: the one read last replaces any older one.
    this.drop(key);
    const bytes = topicListBytes(topics);
    if (bytes > this.maxBytes) return;
    this.lists.set(key, { hash: topicListHash(topics), topics, bytes });
    this.bytes += bytes;
    for (const oldest of this.lists.keys()) {
      if (this.bytes <= this.maxBytes && this.lists.size <= MAX_KEPT_LISTS) break;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const kept = this.lists.get(key);
    if (kept === undefined) return;
    this.lists.delete(key);
    this.bytes -= kept.bytes;
  }
}

function keyOf(adminUrl: string, brokerName: string): string {
  return JSON.stringify([adminUrl, brokerName]);
}
