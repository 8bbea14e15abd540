/** DataVersion helpers (§3.7). */
import type { DataVersion } from '@ns/protocol';

/**
 * Java 5.x `DataVersion.equals`: stateVersion, timestamp and counter. A 4.9 body carries no
 * stateVersion and reads as 0, so two 4.9 versions compare exactly as 4.9 does.
 */
export function dataVersionEquals(a: DataVersion, b: DataVersion): boolean {
  return (
    a.counter === b.counter &&
    a.timestamp === b.timestamp &&
    (a.stateVersion ?? 0) === (b.stateVersion ?? 0)
  );
}

/** Java: the processor uses `new DataVersion()`-like {0, 0} when REGISTER_BROKER has no body. */
export function emptyDataVersion(): DataVersion {
  return { counter: 0, timestamp: 0 };
}
