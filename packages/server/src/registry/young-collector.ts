/**
 * Short young-generation GC pauses while one large write runs (issue 11: no serving loop blocked
 * more than 5 ms by any registration, whatever its size).
 *
 * A write of tens of thousands of topics allocates objects that nearly all live on (the tables'
 * new entries, the op batch until it is published). V8 grows the young generation to 16 MiB
 * (Node 20, 64-bit) when most young objects survive, and one scavenge then copies up to that
 * much, at 1–2 MB per ms on the 2-core machine: 11–17 ms pauses of the owner's loop during a
 * 50,000-topic new broker (`--trace-gc-nvp`). With servingWorkers = 1 that loop is the serving
 * loop, and these pauses were most of what still stalled it.
 *
 * Capping the young generation for the whole process (`--max-semi-space-size=2`, as the serving
 * workers are started) bounds the pause too, but every lookup pays for it: at 2 MiB the idle
 * route p99 at 16×1 went from 0.71–0.81 to 1.22–1.25 ms and CPU per lookup up ~10 % (two
 * alternating rounds each, `node bench/run.mjs --only=route --workers=1`). So the owner collects
 * the young generation itself instead, between two slices of a large write, once it holds more
 * than YOUNG_COLLECT_BYTES: each of those pauses copies about that much at most, and a node
 * with no large write in progress never does it. Measured (`--only=registration --workers=1`,
 * two alternating rounds): longest serving stall of a 50,000-topic new broker, median 4.7 / 4.9
 * against 11.6 / 15.2 ms; at 10,000 topics 2.3 / 3.9 against 4.7 / 4.3 ms.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Young-generation bytes in use above which a large write collects it before going on. */
export const YOUNG_COLLECT_BYTES = 2 * 1024 * 1024;

export interface YoungCollector {
  /** Whether the young generation holds more than the threshold now. */
  due(): boolean;
  /** Runs one young-generation collection (a scavenge), synchronously. */
  collect(): void;
}

type GcFunction = (options: { type: 'minor' }) => void;

/**
 * V8's `gc` function without starting node with `--expose-gc`, so every launcher (the bin, a
 * plain `node dist/main.js`, the Docker image, tests) gets it: the flag is turned on just long
 * enough to make one context that has it, then off again, so no other code sees a global `gc`.
 * An operator who did start node with `--expose-gc` already has it as a global. Null when the
 * runtime refuses (the writes then run with V8's own collections only).
 */
let obtained: GcFunction | null | undefined;

function obtainGc(): GcFunction | null {
  if (obtained === undefined) obtained = makeGc();
  return obtained;
}

function makeGc(): GcFunction | null {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as GcFunction;
  try {
    setFlagsFromString('--expose-gc');
    try {
      const gc = runInNewContext('gc') as unknown;
      return typeof gc === 'function' ? (gc as GcFunction) : null;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  } catch {
    return null;
  }
}

function youngBytesInUse(): number {
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space') return space.space_used_size;
  }
  return 0;
}

/**
 * The collector of this process, or null when V8's `gc` cannot be had. The check costs ~2 µs
 * (one heap-space statistics call), once per slice of a large write.
 */
export function youngCollector(thresholdBytes = YOUNG_COLLECT_BYTES): YoungCollector | null {
  const gc = obtainGc();
  if (gc === null) return null;
  return {
    due: () => youngBytesInUse() >= thresholdBytes,
    collect: () => {
      gc({ type: 'minor' });
    },
  };
}
