/** DataVersion helpers (§3.7). */
import type { DataVersion } from '@ns/protocol';

/** Java: the processor uses `new DataVersion()`-like {0, 0} when REGISTER_BROKER has no body. */
export function emptyDataVersion(): DataVersion {
  return { counter: 0, timestamp: 0 };
}

/**
 * The version a registration or QUERY_DATA_VERSION stands for: one read without a timestamp
 * (`unstamped`) takes `now`, as Java's `new DataVersion()` takes the receiver's clock. Such a
 * version therefore differs from the stored one every time, as in Java.
 */
export function stampedDataVersion(v: DataVersion, now: number): DataVersion {
  if (v.unstamped !== true) return v;
  const out: DataVersion = { counter: v.counter, timestamp: now };
  if (v.stateVersion !== undefined) out.stateVersion = v.stateVersion;
  return out;
}
