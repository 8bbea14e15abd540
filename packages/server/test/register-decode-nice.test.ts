/**
 * The decode thread runs DECODE_THREAD_NICE nicer than its process, and only that thread: where
 * cores are short (the 2-core machine with load generators), the event loop answering lookups
 * gets the CPU before a REGISTER_BROKER body is decoded (issue 11, lookups while brokers
 * re-register). Linux keeps nice values per thread and shows them in /proc/self/task.
 *
 * Runs the compiled decode thread (dist/), so `tsc -b` must have run (pnpm test does).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../src/logging.js';
import {
  DECODE_THREAD_NICE,
  RegisterBodyDecoder,
} from '../src/serving/decode/register-body-decoder.js';
import { registerBody } from './handlers-harness.js';
import { waitFor } from './transport-helpers.js';

const onLinux = process.platform === 'linux';
if (!onLinux) {
  console.warn(
    `SKIPPED register-decode-nice: per-thread nice values are read from /proc/self/task, which ${process.platform} lacks`,
  );
}

/** Thread id → nice value, for every thread of this process. */
function niceByThread(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Fields after the command name (which may hold spaces): state is field 3, nice field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

const decoders: RegisterBodyDecoder[] = [];
afterEach(async () => {
  await Promise.all(decoders.splice(0).map((d) => d.close()));
});

describe('the register body decode thread', () => {
  it.skipIf(!onLinux)(
    'runs nicer than its process; the event loop keeps its priority',
    async () => {
      const own = getPriority();
      const expected = Math.min(19, own + DECODE_THREAD_NICE);
      const before = new Set(niceByThread().keys());
      const d = new RegisterBodyDecoder('nice-test', createSilentLogger());
      decoders.push(d);
      await d.decode({
        key: 'C\u0000x:1',
        connectionId: 1,
        body: registerBody({ topics: [{ name: 'nice-topic' }] }),
        compressed: false,
        version: 407,
        crc: 0,
        maxInflatedBytes: 64 << 20,
      });
      // The thread answered, so it set its nice value first (at load, before its first message).
      const fresh = (): [number, number][] =>
        [...niceByThread()].filter(([tid]) => !before.has(tid));
      await waitFor(`a new thread at nice ${expected}`, () =>
        fresh().some(([, nice]) => nice === expected),
      );
      expect(fresh().filter(([, nice]) => nice === expected).length).toBeGreaterThanOrEqual(1);
      // The main thread (its id is the pid) is untouched.
      expect(niceByThread().get(process.pid)).toBe(own);
    },
  );
});
