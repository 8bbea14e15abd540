/**
 * Per-node results of writes that must be applied on every name server (they do not replicate
 * among themselves, reference §2.2): one entry per node, in list order, success or failure.
 */

export type NodeResult<T> =
  | { readonly addr: string; readonly ok: true; readonly value: T }
  | { readonly addr: string; readonly ok: false; readonly error: Error };

/** Runs `call` on every address in parallel; never rejects (failures become entries). */
export async function fanOut<T>(
  addrs: readonly string[],
  call: (addr: string) => Promise<T>,
): Promise<NodeResult<T>[]> {
  return Promise.all(
    addrs.map(async (addr): Promise<NodeResult<T>> => {
      try {
        return { addr, ok: true, value: await call(addr) };
      } catch (err) {
        return { addr, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
      }
    }),
  );
}

/** True when every node succeeded. */
export function allOk<T>(results: readonly NodeResult<T>[]): boolean {
  return results.every((r) => r.ok);
}
