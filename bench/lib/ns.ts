/**
 * The one place the harness imports the workspace packages from.
 *
 * bench/ is not a workspace package (the root has no `@ns/*` links), so it imports the built
 * `dist/` files by path: `pnpm bench` runs `tsc -b` first, and the harness measures exactly the
 * code the `ns-server` bin runs.
 */
export {
  bodyCrc32,
  createRequest,
  createResponse,
  decodeFrame,
  decodeRegisterBrokerBody,
  decodeTopicRouteData,
  decodeWatchTopicRouteResponseBody,
  encodeCommand,
  encodeRegisterBrokerBody,
  encodeTopicRouteData,
  encodeWatchTopicRouteRequestBody,
  encodeWatchTopicRouteRequestHeader,
  FrameDecoder,
  RequestCode,
  ResponseCode,
  Version,
} from '../../packages/protocol/dist/index.js';
export type {
  RemotingCommand,
  TopicConfig,
  TopicRouteData,
} from '../../packages/protocol/dist/index.js';

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (bench/lib/ → ../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The ns-server bin as built by `tsc -b`. */
export const SERVER_MAIN = fileURLToPath(
  new URL('../../packages/server/dist/main.js', import.meta.url),
);

/**
 * The node flags the `ns-server` bin runs with (its second line, `':' //; exec node <flags> "$0"
 * "$@"`, which sh runs: see the bin): the harness starts SERVER_MAIN with them, so it measures the
 * process users get.
 */
export function serverNodeFlags(): string[] {
  const bin = fileURLToPath(new URL('../../packages/server/bin/ns-server.js', import.meta.url));
  const exec = readFileSync(bin, 'utf8').split('\n', 2)[1] ?? '';
  const m = /^':' \/\/; exec node((?:\s+--\S+)*)\s+"\$0" "\$@"$/.exec(exec);
  if (m === null) throw new Error(`${bin}: unexpected second line ${JSON.stringify(exec)}`);
  return m[1]!
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '');
}
