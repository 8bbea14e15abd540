/**
 * A /consistency check, run in a thread of its own (see consistency-runner.ts): the digests come
 * from whoever answers, up to 16 bodies of 32 MiB, and parsing, comparing and encoding them took
 * seconds of the event loop that answers route lookups (80,000 made-up brokers: 1.7 s).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkConsistency } from '@ns/protocol';
import type { DigestNode } from '@ns/protocol';
import { fetchJson } from './fetch-json.js';
import type { FetchJsonOptions } from './fetch-json.js';
import { toJson } from './json.js';

export interface ConsistencyThreadData {
  readonly nodes: readonly DigestNode[];
  readonly limits: FetchJsonOptions;
  readonly deadlineMs: number;
}

/** The encoded answer body, or why there is none. */
export type ConsistencyThreadReport =
  { readonly ok: true; readonly body: Uint8Array } | { readonly ok: false; readonly error: string };

const { nodes, limits, deadlineMs } = workerData as ConsistencyThreadData;

async function run(): Promise<ConsistencyThreadReport> {
  try {
    const result = await checkConsistency(nodes, (url) => fetchJson(url, limits), { deadlineMs });
    // Encoded here too: a report of 1,000 differences over 16 nodes is megabytes of JSON.
    return { ok: true, body: Buffer.from(toJson({ nodes, ...result }), 'utf8') };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

void run().then((report) => {
  // Copied, not transferred: a small body is a slice of Node's shared Buffer pool, whose
  // ArrayBuffer Node 21+ refuses to transfer (DataCloneError: every small answer failed).
  parentPort!.postMessage(report);
});
