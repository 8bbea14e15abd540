/**
 * How a topic table is cut into REGISTER_BROKER chunks, and which DataVersion each chunk carries.
 *
 * When to split (`splitRegistration`):
 * - 'never': one request, whatever its size (Java 4.9).
 * - 'always': chunks of `splitRegistrationSize` topics (Java 5.x `enableSplitRegistration`).
 * - 'auto' (default): one request while the table has at most `splitRegistrationSize` topics and
 *   its body stays under `maxUnsplitBodyBytes`; chunks otherwise, each of at most
 *   `splitRegistrationSize` topics and about `maxUnsplitBodyBytes` (topics with large attributes
 *   make smaller chunks: 801 topics of 25 KB each made one 19 MB frame, past the 16 MiB limit,
 *   refused by every node, for ever). Small brokers then send exactly
 *   what a 4.9 broker sends; big ones never build a frame near the 16 MiB limit, and a NameServer
 *   (ours runs on one event loop) decodes 800 topics at a time instead of blocking on 60 000.
 *
 * Which DataVersion: a NameServer applies a registration's topics when its DataVersion differs
 * from the one it stored for the broker (4.9 applies nothing otherwise; 5.x and ours still add
 * topics it does not host yet, but never update changed ones). Chunks carrying the same version
 * would therefore apply only the first chunk's updates. So every chunk but the last carries a
 * distinct *transitional* version (`counter` −1, −2, …; a real broker's counter never goes below
 * 0), and the last chunk carries the real one. Each chunk then differs from what the node stored
 * just before it and is applied in full, and the node ends up holding the real version, so
 * QUERY_DATA_VERSION reports "unchanged" only once every chunk landed. An interrupted split leaves
 * a transitional version behind, which the next round (or `forceRegister=false`'s query) sees as
 * changed.
 *
 * The 5.x single-topic guard refuses a broker's *first* registration when it carries exactly one
 * topic. A first chunk never has one topic here: a one-topic table is preceded by an empty-table
 * chunk (harmless on every NameServer line), and chunks after the first are not "first".
 */
import type { DataVersion, TopicConfig } from '@ns/protocol';
import type { SplitRegistrationMode } from './options.js';

export interface SplitPlanInput {
  readonly table: ReadonlyMap<string, TopicConfig>;
  readonly mode: SplitRegistrationMode;
  readonly splitRegistrationSize: number;
  /** Size of the unsplit body, computed lazily (only 'auto' with few enough topics asks). */
  readonly unsplitBodyBytes: () => number;
  readonly maxUnsplitBodyBytes: number;
}

/** Topic groups in send order; one group = one REGISTER_BROKER. */
export function planChunks(input: SplitPlanInput): TopicConfig[][] {
  const all = [...input.table.values()];
  const size = input.splitRegistrationSize;
  const max = input.maxUnsplitBodyBytes;
  let per = all.length;
  /** Also cut by size ('auto'), with each topic's estimate times `scale`. */
  let bySize = false;
  let scale = 1;
  if (input.mode !== 'never' && all.length > size) {
    per = size;
    bySize = input.mode === 'auto';
  } else if (input.mode === 'auto' && all.length > 1) {
    // Few topics but a huge body (big attributes): cut by size, the estimates scaled to the
    // body's real size. Not by count in proportion: the large topics, all at the start, made
    // one chunk of 18 MB (review finding).
    const bytes = input.unsplitBodyBytes();
    if (bytes > max) {
      bySize = true;
      // Scaled up only: estimates are over the uncompressed size, and a compressed body's ratio
      // is an average (scaled down, incompressible topics were packed past the limit).
      const estimated = all.reduce((sum, t) => sum + estimatedBodyBytes(t), 0);
      scale = Math.max(1, bytes / estimated);
    }
  }
  const chunks: TopicConfig[][] = [];
  if (bySize) {
    // By count and by size, whichever fills a chunk first (a topic larger than the limit alone).
    let chunk: TopicConfig[] = [];
    let bytes = 0;
    for (const t of all) {
      const b = estimatedBodyBytes(t) * scale;
      if (chunk.length > 0 && (chunk.length === per || bytes + b > max)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(t);
      bytes += b;
    }
    chunks.push(chunk);
  } else {
    for (let i = 0; i < all.length; i += per) chunks.push(all.slice(i, i + per));
  }
  if (chunks.length === 0) chunks.push([]);
  if (chunks[0]?.length === 1) chunks.unshift([]);
  return chunks;
}

/**
 * A topic's share of a registration body, over-estimated without encoding the body: its name
 * twice (the table key and `topicName`) and its attributes as JSON strings (escapes counted), and
 * the fixed fields (about 150 bytes as written).
 */
function estimatedBodyBytes(t: TopicConfig): number {
  let n = 200 + 2 * jsonBytes(t.topicName);
  if (t.attributes !== undefined) {
    for (const [k, v] of t.attributes) n += jsonBytes(k) + jsonBytes(v) + 2;
  }
  return n;
}

function jsonBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s));
}

/**
 * The DataVersion chunk `index` of `count` carries: the real one for the last chunk, a
 * transitional one (negative counter, same timestamp) before it.
 */
export function chunkDataVersion(real: DataVersion, index: number, count: number): DataVersion {
  if (index === count - 1) return real;
  const v: DataVersion = { counter: -(index + 1), timestamp: real.timestamp };
  if (real.stateVersion !== undefined) v.stateVersion = real.stateVersion;
  return v;
}
