/**
 * /consistency checks, run in a thread of their own (see consistency-runner.ts): the digests come
 * from whoever answers, up to 16 bodies of 32 MiB, and parsing, comparing and encoding them took
 * seconds of the event loop that answers route lookups (80,000 made-up brokers: 1.7 s).
 *
 * The thread stays between checks and keeps the topic lists it read (consistency-topic-lists.ts):
 * an open console rechecks every 2 s, and reads a broker name's list again only when that name's
 * topicsHash changed on the node.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkConsistency } from '@ns/protocol';
import type { DigestNode } from '@ns/protocol';
import { TopicListCache } from './consistency-topic-lists.js';
import { fetchJson } from './fetch-json.js';
import type { FetchJsonOptions } from './fetch-json.js';
import { toJson } from './json.js';

export interface ConsistencyThreadData {
  /** Estimated heap the kept topic lists may take (TopicListCache). */
  readonly topicListBytes: number;
}

/** One check, sent to the thread; answered by a ConsistencyThreadReport with the same `id`. */
export interface ConsistencyThreadRequest {
  readonly id: number;
  readonly nodes: readonly DigestNode[];
  readonly limits: FetchJsonOptions;
  readonly deadlineMs: number;
}

/** The encoded answer body, or why there is none. */
export type ConsistencyThreadReport = { readonly id: number } & (
  { readonly ok: true; readonly body: Uint8Array } | { readonly ok: false; readonly error: string }
);

const { topicListBytes } = workerData as ConsistencyThreadData;
const topicLists = new TopicListCache({ maxBytes: topicListBytes });

async function run(request: ConsistencyThreadRequest): Promise<ConsistencyThreadReport> {
  const { id, nodes, limits, deadlineMs } = request;
  try {
    const result = await checkConsistency(nodes, (url) => fetchJson(url, limits), {
      deadlineMs,
      topicLists,
    });
    // Encoded here too: a report of 1,000 differences over 16 nodes is megabytes of JSON.
    return { id, ok: true, body: Buffer.from(toJson({ nodes, ...result }), 'utf8') };
  } catch (err) {
    return {
      id,
      ok: false,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    };
  }
}

parentPort!.on('message', (request: ConsistencyThreadRequest) => {
  void run(request).then((report) => {
    // Copied, not transferred: a small body is a slice of Node's shared Buffer pool, whose
    // ArrayBuffer Node 21+ refuses to transfer (DataCloneError: every small answer failed).
    parentPort!.postMessage(report);
  });
});
