/**
 * Full vs incremental decoding of REGISTER_BROKER bodies (issue 11). Not part of `pnpm bench`: run
 * by hand after `tsc -b`:
 *
 *   node --import tsx bench/register-body-delta.ts [topicCounts=10000,50000] [seconds=1]
 *
 * For each table size and body format (plain JSON, compressed), a base body B of N topics (as the
 * real encoder writes it) and variants: byte-identical, only the DataVersion bumped, one topic
 * changed, 1 % changed, 1 % structural (0.5 % removed + 0.5 % added) and 100 % changed. Prints the
 * per-call milliseconds of: the full decode of the variant, the incremental decode (a chain
 * alternating B and the variant, each call with the previous call's base, as a server would), the
 * first delta after a fresh decode (the variant against the base of B decoded fresh, as a new
 * broker's first re-registration: the chain above has carried its key index along), and the
 * owner's applyRegisterBodyDelta (a new Map) and applyRegisterBodyDeltaInPlace.
 */
import {
  applyRegisterBodyDelta,
  applyRegisterBodyDeltaInPlace,
  decodeRegisterBodyWithBase,
  decodeRegisterBrokerBody,
  encodeRegisterBrokerBody,
} from '../packages/protocol/dist/index.js';
import type {
  RegisterBodyBase,
  RegisterBrokerBody,
  TopicConfig,
} from '../packages/protocol/dist/index.js';

const sizes = (process.argv[2] ?? '10000,50000').split(',').map(Number);
/** Seconds of CPU each measurement runs for (whole batches of calls, GC included). */
const seconds = Number(process.argv[3] ?? '1');

function topicConfig(name: string, perm = 6): TopicConfig {
  return {
    topicName: name,
    readQueueNums: 8,
    writeQueueNums: 8,
    perm,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
    attributes: new Map(),
  };
}

function bodyOf(table: Map<string, TopicConfig>, counter: number): RegisterBrokerBody {
  return {
    topicConfigSerializeWrapper: {
      dataVersion: { counter, timestamp: 1_700_000_000_000 + counter, stateVersion: 0 },
      topicConfigTable: table,
    },
    filterServerList: [],
  };
}

/** Deterministic pseudo-random picks. */
function picker(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

function variants(n: number): [label: string, table: Map<string, TopicConfig>, counter: number][] {
  const names = Array.from({ length: n }, (_, i) => `TopicTest_${i}_${(i * 7919) % 100000}`);
  const base = new Map(names.map((t) => [t, topicConfig(t)]));
  const pick = picker(42);
  const changed = (k: number): Map<string, TopicConfig> => {
    const t = new Map(base);
    for (let i = 0; i < k; i++) {
      const name = names[pick(n)]!;
      t.set(name, topicConfig(name, 2));
    }
    return t;
  };
  const structural = (): Map<string, TopicConfig> => {
    const t = new Map(base);
    const k = Math.max(1, Math.floor(n / 200));
    for (let i = 0; i < k; i++) t.delete(names[pick(n)]!);
    for (let i = 0; i < k; i++) t.set(`NewTopic_${i}`, topicConfig(`NewTopic_${i}`));
    return t;
  };
  return [
    ['base', base, 1],
    ['identical', base, 1],
    ['dataVersion only', base, 2],
    ['1 topic', changed(1), 2],
    ['1 %', changed(Math.floor(n / 100)), 2],
    ['1 % add/remove', structural(), 2],
    ['100 %', new Map(names.map((t) => [t, topicConfig(t, 2)])), 2],
  ];
}

interface Timing {
  /** CPU milliseconds per call (user + system, all threads: GC included). */
  cpu: number;
  /** Wall milliseconds per call (inflated by other processes on a loaded machine). */
  wall: number;
}

/**
 * Per-call cost of `call` alone, each call after its own `setup` (not timed); one warm-up call,
 * then calls until about `seconds` of CPU time is spent in them.
 */
function measureAfterSetup<T>(setup: () => T, call: (t: T) => void): Timing {
  call(setup());
  let cpu = 0;
  let wall = 0;
  let n = 0;
  while (cpu < seconds * 1000 || n < 3) {
    const t = setup();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    call(t);
    const t1 = process.hrtime.bigint();
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
    wall += Number(t1 - t0) / 1e6;
    n++;
  }
  return { cpu: cpu / n, wall: wall / n };
}

/**
 * Per-call cost of `batch` (which makes `calls` calls), averaged over repeated batches until about
 * `seconds` of CPU time is spent; one batch first as a warm-up.
 */
function measure(batch: () => void, calls: number): Timing {
  batch();
  let cpu = 0;
  let wall = 0;
  let n = 0;
  while (cpu < seconds * 1000 || n < 3) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    batch();
    const t1 = process.hrtime.bigint();
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
    wall += Number(t1 - t0) / 1e6;
    n += calls;
  }
  return { cpu: cpu / n, wall: wall / n };
}

const f = (t: Timing | null): string =>
  t === null
    ? ''.padStart(16)
    : `${t.cpu.toFixed(1).padStart(7)} ${t.wall.toFixed(1).padStart(7)}  `;

console.log(
  `node ${process.version}; ms per call: CPU time (all threads), wall time. Incremental: a chain ` +
    `base → variant → base → … (each call with the base the previous call returned).`,
);
for (const n of sizes) {
  for (const compressed of [false, true]) {
    const options = { compressed, version: 407 };
    const vs = variants(n);
    const bodies = vs.map(([, table, counter]) =>
      encodeRegisterBrokerBody(bodyOf(table, counter), options),
    );
    const baseBody = bodies[0]!;
    console.log(
      `\n${n} topics, ${compressed ? 'compressed' : 'plain JSON'}, body ${(baseBody.length / 1048576).toFixed(2)} MiB`,
    );
    console.log(
      `${'variant'.padEnd(18)}${'full decode'.padStart(16)}${'incremental'.padStart(16)}` +
        `${'first delta'.padStart(16)}${'apply'.padStart(16)}${'apply in place'.padStart(16)}  result`,
    );
    const previous = decodeRegisterBrokerBody(baseBody, options).topicConfigSerializeWrapper
      .topicConfigTable;
    for (let v = 0; v < vs.length; v++) {
      const body = bodies[v]!;
      const full = measure(() => decodeRegisterBrokerBody(body, options), 1);
      let incremental: Timing;
      let first: Timing | null = null;
      if (v === 0) {
        incremental = measure(() => decodeRegisterBodyWithBase(body, options, null), 1);
      } else {
        let base: RegisterBodyBase | null = decodeRegisterBodyWithBase(
          baseBody,
          options,
          null,
        ).base;
        incremental = measure(() => {
          base = decodeRegisterBodyWithBase(body, options, base).base;
          base = decodeRegisterBodyWithBase(baseBody, options, base).base;
        }, 2);
        // As the server decodes a new broker's body: as rows where it can.
        const asRows = { ...options, rows: true };
        first = measureAfterSetup(
          () => decodeRegisterBodyWithBase(baseBody, asRows, null).base,
          (fresh) => decodeRegisterBodyWithBase(body, asRows, fresh),
        );
      }
      const fresh = decodeRegisterBodyWithBase(baseBody, options, null).base;
      const r = decodeRegisterBodyWithBase(body, options, v === 0 ? null : fresh);
      let apply: Timing | null = null;
      let inPlace: Timing | null = null;
      let result: string = r.delta.kind;
      if (r.delta.kind === 'delta') {
        const d = r.delta;
        apply = measure(() => applyRegisterBodyDelta(previous, d), 1);
        // In place: the delta there and the delta back, alternately.
        const back = decodeRegisterBodyWithBase(baseBody, options, r.base).delta;
        if (back.kind !== 'delta') throw new Error(`the way back is ${back.kind}`);
        const table = new Map(previous);
        inPlace = measure(() => {
          applyRegisterBodyDeltaInPlace(table, d);
          applyRegisterBodyDeltaInPlace(table, back);
        }, 2);
        result += ` (${d.upserts.length} upserts, ${d.removed.length} removed, ${d.inserted.length} inserted)`;
      }
      console.log(
        `${vs[v]![0].padEnd(18)}${f(full)}${f(incremental)}${f(first)}${f(apply)}${f(inPlace)}${result}`,
      );
    }
  }
}
