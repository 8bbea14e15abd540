/**
 * Event delivery that a listener cannot break. The clients emit from socket, timer and close
 * paths: with a plain emit() a listener that throws there becomes an uncaught exception (the
 * process dies) or stops close() half-way, and it also keeps the listeners after it from running.
 */
import type { EventEmitter } from 'node:events';

/**
 * Calls each listener of `event` on its own, as emit() would (`this` is the emitter, `once`
 * wrappers remove themselves). A listener that throws, or an async one that rejects, is handed to
 * `onError` and changes nothing else.
 */
export function emitToEach(
  emitter: EventEmitter,
  event: string,
  args: readonly unknown[],
  onError: (err: unknown) => void,
): void {
  for (const listener of emitter.rawListeners(event)) {
    try {
      const result: unknown = Reflect.apply(listener, emitter, args);
      if (isThenable(result)) result.then(undefined, onError);
    } catch (err) {
      onError(err);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
