/**
 * Node flags of a node's processes, beyond Node's defaults. The `ns-server` bin (its first two lines),
 * `pnpm start`, the Docker image (its entrypoint) and the serving workers the owner forks all pass
 * the old-space floor, always on node's command line: Node refuses it in NODE_OPTIONS (exit 9).
 * test/node-flags.test.ts keeps them in step.
 *
 * `--initial-old-space-size=256`: V8 then runs no full collection while the old generation plus
 * the external memory allocated since the last one stays under 256 MiB. Without it, the limit of
 * a node that has run a while sits at its live size × a growing factor V8 picks — here 46 MiB
 * live and 24 MiB of slack — and V8 counts every ArrayBuffer allocated since the last full
 * collection against that slack (socket reads, response frames, frames being assembled), however
 * short-lived. Brokers re-registering 1.6 MiB bodies back to back used it up every ~100 ms: ten
 * mark-compacts a second, each freeing nothing, and lookup p99 during the churn bench at 7–9 ×
 * the idle p99 (2–2.5 × with the floor). Nodes whose live heap is larger get a proportionally
 * larger slack anyway; a small node may hold up to the floor in garbage between full collections
 * (V8's memory reducer still collects an idle one).
 */
export const OLD_SPACE_FLOOR_MIB = 256;

export const OLD_SPACE_FLOOR_FLAG = `--initial-old-space-size=${OLD_SPACE_FLOOR_MIB}`;

/**
 * Whether the node flag `name` (e.g. `--max-semi-space-size`) is set in `execArgv` or in
 * NODE_OPTIONS: an operator's own setting wins over ours.
 */
export function nodeFlagSet(
  name: string,
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean {
  const bare = name.replace(/^--/, '');
  // V8 accepts - and _ alike in flag names.
  const pattern = new RegExp(`(^|\\s)--${bare.replace(/[-_]/g, '[-_]')}(=|\\s|$)`);
  return (
    execArgv.some((a) => pattern.test(a)) ||
    (nodeOptions !== undefined && pattern.test(nodeOptions))
  );
}
