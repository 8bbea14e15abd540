/**
 * Differential fuzz of the incremental REGISTER_BROKER path. The node decodes a body against the
 * broker's previous one (RegisterDecoderCore, in the serving side's decode thread), hands the
 * registry owner a full table, a delta by position or "unchanged", and the owner rebuilds the
 * table from the rows it kept (RegistrationBases) before RouteInfoManager applies it. Every one of
 * those shortcuts must answer exactly as the inline path, which decodes each body whole: here the
 * same generated sequences of writes go to both — the in-process pipeline (two decoder cores as
 * two serving processes, structured clones as postMessage makes them, the RegistryOwner itself,
 * the 'resend' retry of register-path.ts) and the handler harness — and after every write the
 * answer and the reads (route of each topic seen, topic list, cluster info, topics by cluster)
 * must be the same strings.
 *
 * It found the bugs register-decode-edges.test.ts pins down (static mappings after rule g; keys
 * whose value names another topic). CI runs a few hundred sequences with a fixed seed;
 * NS_REGISTER_FUZZ_RUNS=N runs N per case, NS_REGISTER_FUZZ_SEED=S another seed.
 */
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bodyCrc32,
  decodeRegisterBrokerRequestHeader,
  decodeUnRegisterBrokerRequestHeader,
  RequestCode,
  Version,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { defaultConfig } from '../src/config/index.js';
import { createDispatcher } from '../src/handlers/handler-sets.js';
import type { LocalDispatcher } from '../src/handlers/handler-sets.js';
import type { RequestContext } from '../src/handlers/request-context.js';
import { createSilentLogger } from '../src/logging.js';
import { createMetrics } from '../src/metrics.js';
import { RegistryOwner } from '../src/registry/registry-owner.js';
import { liveKey } from '../src/route/broker-live-info.js';
import { groupKey, resendBaseOf, seal } from '../src/serving/decode/decoded-registration.js';
import type {
  DecodedRegistration,
  OpenRegistration,
} from '../src/serving/decode/decoded-registration.js';
import { RegisterDecoderCore } from '../src/serving/decode/register-decoder-core.js';
import { createHarness, request, syncResult } from './handlers-harness.js';
import type { Harness } from './handlers-harness.js';
import { SettableClock } from './hostile-helpers.js';

const RUNS_OVERRIDE = process.env['NS_REGISTER_FUZZ_RUNS'];
const SEED = Number(process.env['NS_REGISTER_FUZZ_SEED'] ?? 0x4e5f);

// ---------------------------------------------------------------------------------------------
// Bodies: a model of a broker's topic table, written out with the byte-level shapes brokers (and
// hand-edited topics.json files) produce, since the decoder's fast paths work on the bytes.

/** How a string is escaped in JSON: as JSON.stringify, non-ASCII as \uXXXX, or "/" as "\/". */
type KeyStyle = 'raw' | 'uesc' | 'slash';

interface Entry {
  key: string;
  /** The value's topicName; undefined: the member is left out. */
  topicName: string | undefined;
  read: number;
  write: number;
  perm: number;
  filter: 'SINGLE_TAG' | 'MULTI_TAG' | 0 | 1;
  sysFlag: number;
  order: boolean;
  /** `"attributes":{}` (5.x brokers write it). */
  attrs: boolean;
  keyStyle: KeyStyle;
  /** The value written with spaces after separators. */
  loose: boolean;
}

interface BodyModel {
  dv: { counter: number; timestamp: number; stateVersion?: number };
  /** In body order; a key may repeat (the last one wins, as in Java's parser). */
  entries: Entry[];
  /** null: the member is absent. */
  fsl: string[] | null;
  /** A 5.x body (mapping data version, static topic mappings; sent as V5_3_3), else 4.x. */
  fiveX: boolean;
  /** Topics with a static mapping (5.x only). */
  mappings: string[];
  compressed: boolean;
  pretty: boolean;
  /** A member the parser must skip, with a string holding a brace. */
  unknown: boolean;
  /** The table before dataVersion in the wrapper. */
  tableFirst: boolean;
}

const versionOf = (m: BodyModel): number => (m.fiveX ? Version.V5_3_3 : Version.V4_9_7);

function jsonString(s: string, style: KeyStyle): string {
  const j = JSON.stringify(s);
  if (style === 'uesc') {
    return j.replace(
      /[\u0080-\uffff]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
    );
  }
  return style === 'slash' ? j.replace(/\//g, '\\/') : j;
}

function entryJson(e: Entry, pretty: boolean): string {
  const sep = e.loose || pretty ? ', ' : ',';
  const col = e.loose || pretty ? ': ' : ':';
  const parts: string[] = [];
  if (e.attrs) parts.push(`"attributes"${col}{}`);
  parts.push(`"order"${col}${e.order}`, `"perm"${col}${e.perm}`, `"readQueueNums"${col}${e.read}`);
  parts.push(`"topicFilterType"${col}${JSON.stringify(e.filter)}`);
  if (e.topicName !== undefined) {
    parts.push(`"topicName"${col}${jsonString(e.topicName, e.keyStyle)}`);
  }
  parts.push(`"topicSysFlag"${col}${e.sysFlag}`, `"writeQueueNums"${col}${e.write}`);
  return '{' + parts.join(sep) + '}';
}

function dataVersionJson(dv: BodyModel['dv']): string {
  const state = dv.stateVersion === undefined ? '' : `,"stateVersion":${dv.stateVersion}`;
  return `{"counter":${dv.counter}${state},"timestamp":${dv.timestamp}}`;
}

const mappingJson = (t: string): string =>
  `{"bname":"broker-x","dirty":false,"epoch":1,"scope":"__global__","topic":${JSON.stringify(t)},"totalQueues":2}`;

function encodeJson(m: BodyModel): string {
  const nl = m.pretty ? '\n  ' : '';
  const col = m.pretty ? ': ' : ':';
  const rows = m.entries.map((e) => jsonString(e.key, e.keyStyle) + col + entryJson(e, m.pretty));
  const table = `{${nl}${rows.join(',' + nl)}${m.pretty ? '\n' : ''}}`;
  const w: string[] = [];
  if (m.tableFirst) w.push(`"topicConfigTable"${col}${table}`);
  w.push(`"dataVersion"${col}${dataVersionJson(m.dv)}`);
  if (m.fiveX) w.push(`"mappingDataVersion"${col}{"counter":0,"timestamp":1}`);
  if (!m.tableFirst) w.push(`"topicConfigTable"${col}${table}`);
  if (m.fiveX) {
    const mapped = m.mappings.map((t) => JSON.stringify(t) + col + mappingJson(t));
    w.push(`"topicQueueMappingDetailMap"${col}{}`);
    w.push(`"topicQueueMappingInfoMap"${col}{${mapped.join(',')}}`);
  }
  const top: string[] = [];
  if (m.fsl !== null) top.push(`"filterServerList"${col}${JSON.stringify(m.fsl)}`);
  if (m.unknown) top.push(`"zzUnknown"${col}{"a":[1,2,{"b":"}"}]}`);
  top.push(`"topicConfigSerializeWrapper"${col}{${w.join(',' + nl)}}`);
  return '{' + top.join(',' + nl) + '}';
}

/** The compressed layout (RegisterBrokerBody.encode): length-prefixed texts, then deflated. */
function encodeCompressed(m: BodyModel, level: number): Buffer {
  const parts: Buffer[] = [];
  const int = (n: number): void => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    parts.push(b);
  };
  const text = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    int(b.length);
    parts.push(b);
  };
  text(dataVersionJson(m.dv));
  int(m.entries.length);
  for (const e of m.entries) {
    // Java writes the value's topicName; a value without one is written under its key here.
    const filter = typeof e.filter === 'number' ? ['SINGLE_TAG', 'MULTI_TAG'][e.filter] : e.filter;
    const line = `${e.topicName ?? e.key} ${e.read} ${e.write} ${e.perm} ${filter}`;
    text(m.fiveX && e.attrs ? `${line} {}` : line);
  }
  text(JSON.stringify(m.fsl ?? []));
  if (m.fiveX) {
    int(m.mappings.length);
    for (const t of m.mappings) text(mappingJson(t));
  }
  return deflateSync(Buffer.concat(parts), { level });
}

const encodeBody = (m: BodyModel, level: number): Buffer =>
  m.compressed ? encodeCompressed(m, level) : Buffer.from(encodeJson(m), 'utf8');

const cloneModel = (m: BodyModel): BodyModel => ({
  ...m,
  dv: { ...m.dv },
  entries: m.entries.map((e) => ({ ...e })),
  fsl: m.fsl === null ? null : [...m.fsl],
  mappings: [...m.mappings],
});

const plainEntry = (key: string, queues: number): Entry => ({
  key,
  topicName: key,
  read: queues,
  write: queues,
  perm: 6,
  filter: 'SINGLE_TAG',
  sysFlag: 0,
  order: false,
  attrs: false,
  keyStyle: 'raw',
  loose: false,
});

// ---------------------------------------------------------------------------------------------
// Generators

/** Fragments of awkward names: escapes, quotes, combining marks, astral characters. */
const PIECES = ['T', '%RETRY%', 'é', 'e\u0301', '日本', '😀', '"', '\\', '/', 'a b', '-', '_', '0'];

const cleanName = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 60 }).map((i) => `T${i}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }).map((i) => `t-${'x'.repeat(200)}-${i}`) },
);

const wildName = fc.oneof(
  { weight: 5, arbitrary: cleanName },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 4 })
      .map((a) => a.join('')),
  },
  // Numbers look like indices to some parsers; '' and ' ' are names Java accepts in a table.
  { weight: 1, arbitrary: fc.constantFrom('7', '4294967295', '01', '', ' ') },
);

/** Which shapes a case generates. */
interface Knobs {
  name: fc.Arbitrary<string>;
  /** Escaped keys, loose and pretty JSON, numeric filter types, unknown members. */
  shapes: boolean;
  /** Duplicate keys, values naming another topic or none. */
  wild: boolean;
  /** Thousands of rows or changes at once: results sealed, deltas spanning the table. */
  bulk: boolean;
}

function entryArb(k: Knobs): fc.Arbitrary<Entry> {
  return fc
    .record({
      key: k.name,
      read: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.constantFrom(-1, 1024, 65535)),
      write: fc.integer({ min: 0, max: 16 }),
      perm: fc.constantFrom(6, 6, 6, 4, 2, 7, 0),
      filter: k.shapes
        ? fc.constantFrom('SINGLE_TAG' as const, 'MULTI_TAG' as const, 0 as const, 1 as const)
        : fc.constantFrom('SINGLE_TAG' as const, 'MULTI_TAG' as const),
      sysFlag: fc.constantFrom(0, 0, 0, 1, 2, 3),
      order: fc.boolean(),
      attrs: fc.boolean(),
      keyStyle: k.shapes
        ? fc.constantFrom<KeyStyle>('raw', 'raw', 'uesc', 'slash')
        : fc.constant<KeyStyle>('raw'),
      loose: k.shapes ? fc.integer({ min: 0, max: 9 }).map((i) => i < 2) : fc.constant(false),
    })
    .map((e) => ({ ...e, topicName: e.key }));
}

/** One edit of a broker's table or of its body's form; positions are taken modulo the size. */
type Op =
  | { op: 'modify'; at: number; e: Entry }
  | { op: 'nums'; at: number; read: number; write: number }
  | { op: 'perm'; at: number; perm: number }
  | { op: 'insert'; at: number; e: Entry }
  | { op: 'remove'; at: number }
  | { op: 'move'; from: number; to: number }
  | { op: 'rename'; at: number; name: string | undefined }
  | { op: 'dup'; at: number; to: number; e: Entry }
  | { op: 'style'; at: number; style: KeyStyle; loose: boolean }
  | { op: 'form'; field: 'pretty' | 'compressed' | 'fiveX' | 'unknown' | 'tableFirst'; v: boolean }
  | { op: 'fsl'; v: string[] | null }
  | { op: 'mappings'; v: string[] }
  | { op: 'stateVersion'; v: number | undefined }
  | { op: 'bulkInsert'; at: number; from: number; count: number; queues: number }
  /** `count` rows from `at`, or the last `count` rows (`at` undefined). */
  | { op: 'bulkRemove'; at: number | undefined; count: number }
  | { op: 'rotate'; by: number }
  | { op: 'reverse'; at: number; len: number }
  | { op: 'moveBlock'; from: number; len: number; to: number }
  | { op: 'numsEvery'; start: number; step: number; queues: number };

function opArb(k: Knobs): fc.Arbitrary<Op> {
  const e = entryArb(k);
  const q = fc.integer({ min: 0, max: 16 });
  const arbs: fc.WeightedArbitrary<Op>[] = [
    { weight: 3, arbitrary: fc.record({ op: fc.constant('modify'), at: fc.nat(), e }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant('nums'), at: fc.nat(), read: q, write: q }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('perm'),
        at: fc.nat(),
        perm: fc.constantFrom(2, 4, 6),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('insert'), at: fc.nat(), e }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('remove'), at: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('move'), from: fc.nat(), to: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('form'),
        field: fc.constantFrom('compressed' as const, 'fiveX' as const),
        v: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('fsl'),
        v: fc.option(fc.array(fc.constantFrom('10.0.0.9:1', '10.0.0.8:2'), { maxLength: 2 }), {
          nil: null,
        }),
      }),
    },
    {
      // Static mappings switch rule g off (and on again): tried often, it is where bugs were.
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('mappings'),
        v: fc.uniqueArray(fc.constantFrom('M1', 'M2', 'T1', 'S1'), { maxLength: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('stateVersion'),
        v: fc.option(fc.nat({ max: 3 }), { nil: undefined }),
      }),
    },
  ];
  if (k.shapes) {
    arbs.push(
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('style'),
          at: fc.nat(),
          style: fc.constantFrom<KeyStyle>('raw', 'uesc', 'slash'),
          loose: fc.boolean(),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('form'),
          field: fc.constantFrom('pretty' as const, 'unknown' as const, 'tableFirst' as const),
          v: fc.boolean(),
        }),
      },
    );
  }
  if (k.wild) {
    arbs.push(
      {
        weight: 2,
        arbitrary: fc.record({ op: fc.constant('dup'), at: fc.nat(), to: fc.nat(), e }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('rename'),
          at: fc.nat(),
          name: fc.option(k.name, { nil: undefined }),
        }),
      },
    );
  }
  if (k.bulk) {
    // Past 2,048 rows or changes the decoder seals its result (decoded-registration.ts).
    const many = fc.constantFrom(1, 5, 300, 2100, 2600);
    arbs.push(
      {
        weight: 1,
        arbitrary: fc.record({
          op: fc.constant('bulkInsert'),
          at: fc.nat(),
          from: fc.nat({ max: 5000 }),
          count: many,
          queues: fc.integer({ min: 1, max: 16 }),
        }),
      },
      {
        weight: 1,
        // From the end (at undefined): the one bulk edit the decoder still answers as a delta.
        arbitrary: fc.record({
          op: fc.constant('bulkRemove'),
          at: fc.option(fc.nat(), { nil: undefined }),
          count: many,
        }),
      },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('rotate'), by: fc.nat() }) },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('reverse'),
          at: fc.nat(),
          len: fc.integer({ min: 2, max: 40 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('moveBlock'),
          from: fc.nat(),
          len: fc.integer({ min: 1, max: 3000 }),
          to: fc.nat(),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('numsEvery'),
          start: fc.nat({ max: 10 }),
          // Every row: thousands of upserts in one delta, in base order (sealed, not a full).
          step: fc.constantFrom(1, 2, 7, 50),
          queues: q,
        }),
      },
    );
  }
  return fc.oneof(...arbs);
}

function applyOp(m: BodyModel, o: Op): void {
  const n = m.entries.length;
  const at = (i: number): Entry => m.entries[i % n]!;
  const set = (i: number, patch: Partial<Entry>): void => {
    m.entries[i % n] = { ...at(i), ...patch };
  };
  switch (o.op) {
    case 'modify':
      // New queue numbers, flags and form under the same key and name.
      if (n > 0) set(o.at, { ...o.e, key: at(o.at).key, topicName: at(o.at).topicName });
      return;
    case 'nums':
      if (n > 0) set(o.at, { read: o.read, write: o.write });
      return;
    case 'perm':
      if (n > 0) set(o.at, { perm: o.perm });
      return;
    case 'insert':
      if (!m.entries.some((e) => e.key === o.e.key)) m.entries.splice(o.at % (n + 1), 0, o.e);
      return;
    case 'remove':
      if (n > 0) m.entries.splice(o.at % n, 1);
      return;
    case 'move':
      if (n > 0) m.entries.splice(o.to % n, 0, ...m.entries.splice(o.from % n, 1));
      return;
    case 'rename':
      if (n > 0) set(o.at, { topicName: o.name });
      return;
    case 'dup':
      // The same key again, elsewhere, with another value.
      if (n > 0) {
        const key = at(o.at).key;
        m.entries.splice(o.to % (n + 1), 0, { ...o.e, key, topicName: key });
      }
      return;
    case 'style':
      if (n > 0) set(o.at, { keyStyle: o.style, loose: o.loose });
      return;
    case 'form':
      m[o.field] = o.v;
      return;
    case 'fsl':
      m.fsl = o.v;
      return;
    case 'mappings':
      m.mappings = o.v;
      return;
    case 'stateVersion':
      if (o.v === undefined) delete m.dv.stateVersion;
      else m.dv.stateVersion = o.v;
      return;
    case 'bulkInsert': {
      const have = new Set(m.entries.map((e) => e.key));
      const added: Entry[] = [];
      for (let i = o.from; i < o.from + o.count; i++) {
        if (!have.has(`B${i}`)) added.push(plainEntry(`B${i}`, o.queues));
      }
      m.entries.splice(o.at % (n + 1), 0, ...added);
      return;
    }
    case 'bulkRemove':
      if (o.at === undefined) m.entries.splice(Math.max(0, n - o.count));
      else if (n > 0) m.entries.splice(o.at % n, o.count);
      return;
    case 'rotate':
      if (n > 0) m.entries.push(...m.entries.splice(0, o.by % n));
      return;
    case 'reverse':
      if (n > 1) m.entries.splice(o.at % n, 0, ...m.entries.splice(o.at % n, o.len).reverse());
      return;
    case 'moveBlock':
      if (n > 1) {
        const block = m.entries.splice(o.from % n, o.len);
        m.entries.splice(o.to % (m.entries.length + 1), 0, ...block);
      }
      return;
    case 'numsEvery':
      for (let i = o.start; i < n; i += o.step)
        set(i, { read: o.queues, write: (o.queues + i) % 17 });
      return;
  }
}

function modelArb(k: Knobs): fc.Arbitrary<BodyModel> {
  const entries = k.bulk
    ? fc
        .constantFrom(0, 3, 30, 2100, 3000)
        .map((n) => Array.from({ length: n }, (_, i) => plainEntry(`B${i}`, (i % 7) + 1)))
    : fc.uniqueArray(entryArb(k), { selector: (e) => e.key, maxLength: 12 });
  return fc.record({
    dv: fc.record({ counter: fc.nat({ max: 3 }), timestamp: fc.constant(1_700_000_000_000) }),
    entries,
    fsl: fc.option(fc.constant(['10.0.0.9:1']), { nil: null }),
    fiveX: fc.boolean(),
    mappings: fc.uniqueArray(fc.constantFrom('M1', 'T1', 'T2'), { maxLength: 2 }),
    compressed: fc.integer({ min: 0, max: 9 }).map((i) => i < 3),
    pretty: fc.constant(false),
    unknown: fc.constant(false),
    tableFirst: fc.constant(false),
  });
}

/** Three brokers: a master and a slave of broker-a, and broker-b. */
const BROKERS = [
  { brokerName: 'broker-a', brokerAddr: '10.0.0.1:10911', brokerId: 0 },
  { brokerName: 'broker-a', brokerAddr: '10.0.0.2:10911', brokerId: 1 },
  { brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911', brokerId: 0 },
] as const;

/**
 * One step. A broker's connection is one of three: 0 and 2 go to the first serving process (a
 * switch between them decodes in full), 1 to the second (a switch there leaves the owner with
 * another decoder's base: 'resend').
 */
type Step =
  | {
      t: 'reg';
      broker: number;
      conn: number;
      ops: Op[];
      /** DataVersion counter + 1 (or the same version with another table). */
      bump: boolean;
      /** bodyCrc32 "0": not checked. */
      crc0: boolean;
      level: number;
      /** The same body twice: 'unchanged'. */
      twice: boolean;
    }
  /** On a, on b, then two edits on a again: a delta after a resend. */
  | { t: 'hop'; broker: number; a: number; b: number; ops1: Op[]; ops2: Op[] }
  /** Registered, then all but the first `keep` rows dropped: thousands of removals in one delta. */
  | { t: 'trim'; broker: number; conn: number; keep: number }
  /**
   * The slave of broker-a takes its master's table (RocketMQ's SlaveSynchronize), maybe edits it,
   * and registers: its body is decoded against the master's base ('unchanged' or a delta).
   */
  | { t: 'sync'; conn: number; ops: Op[]; crc0: boolean }
  | { t: 'unregister'; broker: number; conn: number }
  | { t: 'close'; broker: number; conn: number }
  | { t: 'perm'; wipe: boolean; broker: number }
  | { t: 'deleteTopic'; pick: number };

function stepArb(k: Knobs): fc.Arbitrary<Step> {
  const ops = fc.array(opArb(k), { maxLength: k.bulk ? 12 : 4 });
  const broker = fc.constantFrom(0, 0, 0, 1, 2);
  const conn = fc.constantFrom(0, 0, 0, 1, 2);
  return fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        t: fc.constant('reg' as const),
        broker,
        conn,
        ops,
        bump: fc.boolean(),
        crc0: fc.boolean(),
        level: fc.constantFrom(9, 1),
        twice: fc.integer({ min: 0, max: 5 }).map((i) => i === 0),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('hop' as const),
        broker,
        a: conn,
        b: conn,
        ops1: ops,
        ops2: ops,
      }),
    },
    {
      weight: k.bulk ? 2 : 0,
      arbitrary: fc.record({
        t: fc.constant('trim' as const),
        broker,
        conn,
        keep: fc.constantFrom(0, 10, 500),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('sync' as const),
        conn,
        ops: fc.oneof(fc.constant<Op[]>([]), ops),
        crc0: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('unregister' as const), broker, conn }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('close' as const), broker, conn }) },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('perm' as const), wipe: fc.boolean(), broker }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('deleteTopic' as const), pick: fc.nat() }) },
  );
}

interface Scenario {
  initial: BodyModel[];
  steps: Step[];
}

const scenarioArb = (k: Knobs, maxSteps: number): fc.Arbitrary<Scenario> =>
  fc.record({
    initial: fc.tuple(modelArb(k), modelArb(k), modelArb(k)),
    steps: fc.array(stepArb(k), { minLength: 1, maxLength: maxSteps }),
  });

// ---------------------------------------------------------------------------------------------
// The two systems

/** Where a command comes from: a broker's connection, or an admin tool's. */
interface Origin {
  label: string;
  /** Serving process (decoder) of the connection. */
  serving: number;
}

interface System {
  send(
    cmd: RemotingCommand,
    connectionId: number,
    serving: number,
  ): Promise<RemotingCommand | null>;
  close(connectionId: number, serving: number): Promise<void>;
  read(cmd: RemotingCommand): RemotingCommand | null;
}

/** The inline path: every body decoded whole by the REGISTER_BROKER handler. */
class Inline implements System {
  private readonly h: Harness;
  constructor(deleteTopics: boolean) {
    this.h = createHarness({ config: { deleteTopicWithBrokerRegistration: deleteTopics } });
  }
  send(cmd: RemotingCommand, connectionId: number): Promise<RemotingCommand | null> {
    return Promise.resolve(this.h.dispatch(cmd, { connectionId }));
  }
  close(connectionId: number): Promise<void> {
    const routes = this.h.routes;
    do routes.onConnectionClosed(connectionId);
    while (routes.isConnectionInUse(connectionId) || routes.hasPendingRemovals());
    return Promise.resolve();
  }
  read(cmd: RemotingCommand): RemotingCommand | null {
    return this.h.dispatch(cmd, { connectionId: 999 });
  }
}

const metrics = createMetrics({}, { defaultMetrics: false });

/**
 * The node's path without processes or threads: decoder cores as the serving processes' decode
 * threads, the registry owner as the node builds it, and reads served from the owner's tables by
 * a dispatcher of their own (as a serving side in the owner's process does).
 */
class Incremental implements System {
  private readonly owner: RegistryOwner;
  private readonly reader: LocalDispatcher;
  private readonly decoders = [new RegisterDecoderCore('s0'), new RegisterDecoderCore('s1')];
  /** The base each broker's last decode answered with (to tell a group base apart). */
  private readonly lastBase = new Map<string, string>();

  constructor(deleteTopics: boolean) {
    const config = {
      ...defaultConfig({ homeDir: '/nonexistent-home', env: {} }),
      deleteTopicWithBrokerRegistration: deleteTopics,
    };
    const clock = new SettableClock();
    this.owner = new RegistryOwner({
      config,
      clock,
      loggerFor: () => createSilentLogger(),
      metrics,
      initialKV: new Map(),
      kvPersistence: { mode: 'none' },
      persistConfig: () => undefined,
      youngCollector: null,
    });
    this.reader = createDispatcher({
      routeInfoManager: this.owner.routes,
      kvConfigManager: this.owner.kv,
      config: this.owner.config,
      persistConfig: () => undefined,
      logger: createSilentLogger(),
      clock,
    });
  }

  async send(
    cmd: RemotingCommand,
    connectionId: number,
    serving: number,
  ): Promise<RemotingCommand | null> {
    const ctx: RequestContext = { connectionId, remoteAddress: '127.0.0.1:1' };
    const decoder = this.decoders[serving]!;
    if (cmd.code !== RequestCode.REGISTER_BROKER) {
      if (cmd.code === RequestCode.UNREGISTER_BROKER) {
        const h = decodeUnRegisterBrokerRequestHeader(cmd.extFields);
        decoder.forget(liveKey(h.clusterName, h.brokerAddr));
      }
      return this.owner.execute(cmd, ctx);
    }
    // register-path.ts, sequentially: decode, hand over the header and the result, and on
    // 'resend' the whole body the referred base was made from.
    const header = decodeRegisterBrokerRequestHeader(cmd.extFields);
    const key = liveKey(header.clusterName, header.brokerAddr);
    const headerOnly: RemotingCommand = { ...cmd, body: null };
    const first = overTheWire(
      decoder.decode({
        key,
        connectionId,
        body: cmd.body,
        compressed: header.compressed,
        version: cmd.version,
        crc: header.bodyCrc32,
        maxInflatedBytes: 64 * 1024 * 1024,
        group: groupKey(header.clusterName, header.brokerName),
      }),
    );
    reached.add(first.kind === 'sealed' ? `sealed ${first.of}` : first.kind);
    // Made against a base this broker did not have: its group's (a slave's against its master's).
    const own = this.lastBase.get(key);
    const against =
      first.kind === 'unchanged' ? first.base : first.kind === 'delta' ? first.from : undefined;
    if (against !== undefined && against !== own) reached.add(`group ${first.kind}`);
    // What the decoder keeps for this broker now (a CRC mismatch leaves it as it was).
    if (first.kind !== 'crc-mismatch') {
      const next = first.kind === 'undecodable' ? null : first.base;
      if (next === null) this.lastBase.delete(key);
      else this.lastBase.set(key, next);
    }
    const answer = await this.owner.register(headerOnly, ctx, first);
    if (answer !== 'resend') return answer;
    reached.add('resend');
    const base = resendBaseOf(first);
    if (base === null) throw new Error(`'resend' of a ${first.kind} registration`);
    const again = await this.owner.register(
      headerOnly,
      ctx,
      overTheWire(decoder.fullOfBase(key, base)),
    );
    if (again === 'resend') throw new Error('registry owner refused a full registration');
    return again;
  }

  async close(connectionId: number, serving: number): Promise<void> {
    this.decoders[serving]!.connectionClosed(connectionId);
    await this.owner.connectionClosed(connectionId);
  }

  read(cmd: RemotingCommand): RemotingCommand | null {
    return syncResult(
      this.reader.dispatch(cmd, { connectionId: 999, remoteAddress: '127.0.0.1:2' }),
    );
  }
}

/** What the decoders answered and the owner sent back, over a case (checked against its `reaches`). */
const reached = new Set<string>();

/** What the decode thread posts, as the event loop receives it (large results sealed). */
const overTheWire = (result: OpenRegistration): DecodedRegistration =>
  structuredClone(seal(result));

// ---------------------------------------------------------------------------------------------
// Running a scenario on both

const seen = (cmd: RemotingCommand | null): string =>
  cmd === null
    ? 'null'
    : JSON.stringify([cmd.code, cmd.remark, cmd.extFields, cmd.body?.toString('utf8')]);

const registerRequest = (
  broker: number,
  m: BodyModel,
  crc0: boolean,
  level: number,
): RemotingCommand => {
  const b = BROKERS[broker]!;
  const body = encodeBody(m, level);
  return request(RequestCode.REGISTER_BROKER, {
    ext: {
      brokerId: String(b.brokerId),
      bodyCrc32: crc0 ? '0' : String(bodyCrc32(body)),
      clusterName: 'C',
      brokerAddr: b.brokerAddr,
      haServerAddr: b.brokerAddr.replace('10911', '10912'),
      compressed: String(m.compressed),
      brokerName: b.brokerName,
    },
    body,
    version: versionOf(m),
  });
};

/** Topic names read after a write: all seen, but of the thousands of bulk ones only those touched. */
const BULK_NAME = /^B\d+$/;

async function runScenario(s: Scenario, deleteTopics: boolean): Promise<void> {
  const systems: System[] = [new Inline(deleteTopics), new Incremental(deleteTopics)];
  const models = s.initial.map(cloneModel);
  const names = new Set<string>();
  let touched = new Set<string>();
  const connections = new Map<string, number>();
  let nextConnection = 1;
  const log: string[] = [];

  const compare = async (
    what: string,
    origin: Origin,
    make: () => RemotingCommand,
  ): Promise<void> => {
    log.push(what);
    let id = connections.get(origin.label);
    if (id === undefined) connections.set(origin.label, (id = nextConnection++));
    const answers = await Promise.all(systems.map((sys) => sys.send(make(), id, origin.serving)));
    expectSame(log, 'answer', answers.map(seen));
    const small = [...names].filter((t) => !BULK_NAME.test(t)).slice(0, 100);
    const read = [...small, ...[...touched].filter((t) => BULK_NAME.test(t)).slice(0, 40)];
    touched = new Set();
    const reads = [
      ...read.map((topic) => () => request(RequestCode.GET_ROUTEINFO_BY_TOPIC, { ext: { topic } })),
      () => request(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
      () => request(RequestCode.GET_BROKER_CLUSTER_INFO),
      () => request(RequestCode.GET_TOPICS_BY_CLUSTER, { ext: { cluster: 'C' } }),
    ];
    for (const r of reads) {
      const cmd = r();
      expectSame(
        log,
        `read ${cmd.code} ${cmd.extFields?.['topic'] ?? ''}`,
        systems.map((sys) => seen(sys.read(r()))),
      );
    }
  };

  const edit = (broker: number, ops: readonly Op[]): void => {
    const m = models[broker]!;
    const before = new Map(m.entries.map((e) => [e.key, e]));
    for (const o of ops) applyOp(m, o);
    for (const e of m.entries) {
      if (before.get(e.key) !== e) touched.add(e.key);
      names.add(e.key);
      if (e.topicName !== undefined) names.add(e.topicName);
    }
    const now = new Set(m.entries.map((e) => e.key));
    for (const key of before.keys()) if (!now.has(key)) touched.add(key);
  };

  const register = (broker: number, conn: number, crc0 = false, level = 9): Promise<void> => {
    const m = cloneModel(models[broker]!);
    const shown =
      m.entries.length > 20
        ? `${m.entries.length} topics`
        : JSON.stringify(m.entries.map((e) => [e.key, e.topicName, e.read]));
    return compare(
      `register broker ${broker} on ${conn}: ${m.compressed ? 'compressed' : 'json'} v${versionOf(m)} counter ${m.dv.counter} mappings ${JSON.stringify(m.mappings)} ${shown}`,
      { label: `b${broker}c${conn}`, serving: conn % 2 },
      () => registerRequest(broker, m, crc0, level),
    );
  };

  for (let b = 0; b < models.length; b++) edit(b, []);
  for (let b = 0; b < models.length; b++) await register(b, 0);
  for (const st of s.steps) {
    switch (st.t) {
      case 'reg':
        edit(st.broker, st.ops);
        if (st.bump) models[st.broker]!.dv.counter++;
        await register(st.broker, st.conn, st.crc0, st.level);
        if (st.twice) await register(st.broker, st.conn, st.crc0, st.level);
        break;
      case 'hop':
        await register(st.broker, st.a);
        await register(st.broker, st.b);
        edit(st.broker, st.ops1);
        models[st.broker]!.dv.counter++;
        await register(st.broker, st.a);
        edit(st.broker, st.ops2);
        await register(st.broker, st.a);
        break;
      case 'sync':
        models[1] = cloneModel(models[0]!);
        edit(1, st.ops);
        await register(1, st.conn, st.crc0);
        break;
      case 'trim':
        await register(st.broker, st.conn);
        edit(st.broker, [
          { op: 'bulkRemove', at: undefined, count: models[st.broker]!.entries.length - st.keep },
        ]);
        models[st.broker]!.dv.counter++;
        await register(st.broker, st.conn);
        break;
      case 'unregister': {
        const b = BROKERS[st.broker]!;
        await compare(
          `unregister broker ${st.broker} on ${st.conn}`,
          { label: `b${st.broker}c${st.conn}`, serving: st.conn % 2 },
          () =>
            request(RequestCode.UNREGISTER_BROKER, {
              ext: {
                clusterName: 'C',
                brokerName: b.brokerName,
                brokerAddr: b.brokerAddr,
                brokerId: String(b.brokerId),
              },
            }),
        );
        break;
      }
      case 'close': {
        const label = `b${st.broker}c${st.conn}`;
        const id = connections.get(label);
        if (id === undefined) break;
        log.push(`close ${label}`);
        connections.delete(label);
        for (const sys of systems) await sys.close(id, st.conn % 2);
        break;
      }
      case 'perm':
        await compare(
          `${st.wipe ? 'wipe' : 'add'} write perm of ${BROKERS[st.broker]!.brokerName}`,
          { label: 'admin', serving: 0 },
          () =>
            request(
              st.wipe
                ? RequestCode.WIPE_WRITE_PERM_OF_BROKER
                : RequestCode.ADD_WRITE_PERM_OF_BROKER,
              {
                ext: { brokerName: BROKERS[st.broker]!.brokerName },
              },
            ),
        );
        break;
      case 'deleteTopic': {
        const all = [...names];
        const topic = all.length === 0 ? 'T1' : all[st.pick % all.length]!;
        touched.add(topic);
        await compare(`delete topic ${JSON.stringify(topic)}`, { label: 'admin', serving: 0 }, () =>
          request(RequestCode.DELETE_TOPIC_IN_NAMESRV, { ext: { topic, clusterName: 'C' } }),
        );
        break;
      }
    }
  }
}

function expectSame(log: readonly string[], what: string, got: readonly string[]): void {
  const [inline, incremental] = got;
  if (inline === incremental) return;
  throw new Error(
    `${what} differs after:\n  ${log.slice(-12).join('\n  ')}\n` +
      `inline:      ${inline?.slice(0, 1500)}\nincremental: ${incremental?.slice(0, 1500)}`,
  );
}

// ---------------------------------------------------------------------------------------------

/** Small tables as brokers write them: most re-registrations are deltas. */
const PLAIN: Knobs = { name: cleanName, shapes: false, wild: false, bulk: false };
/** Small tables in every form the parsers accept. */
const BODIES: Knobs = { name: wildName, shapes: true, wild: true, bulk: false };
/** Large tables edited in bulk (sealed results, long deltas), and a few hand-picked names. */
const BULK: Knobs = {
  name: fc.oneof(
    fc.integer({ min: 0, max: 60 }).map((i) => `S${i}`),
    cleanName,
  ),
  shapes: false,
  wild: false,
  bulk: true,
};

const CASES = [
  {
    name: 'small tables, plain JSON or compressed',
    knobs: PLAIN,
    runs: 200,
    steps: 10,
    reaches: ['delta', 'full', 'resend', 'unchanged', 'group unchanged', 'group delta'],
  },
  {
    name: 'small tables in every shape',
    knobs: BODIES,
    runs: 120,
    steps: 10,
    reaches: ['delta', 'full', 'resend', 'unchanged', 'undecodable'],
  },
  {
    name: 'large tables edited in bulk',
    knobs: BULK,
    runs: 16,
    steps: 6,
    reaches: ['delta', 'full', 'resend', 'sealed delta', 'sealed full', 'unchanged'],
  },
];

describe('incremental registration vs the inline decode (differential fuzz)', () => {
  for (const c of CASES) {
    for (const deleteTopics of [false, true]) {
      const runs = RUNS_OVERRIDE === undefined ? c.runs : Number(RUNS_OVERRIDE);
      it(
        `${c.name}, deleteTopicWithBrokerRegistration=${deleteTopics}: ${runs} sequences`,
        { timeout: RUNS_OVERRIDE === undefined ? 60_000 : 0 },
        async () => {
          reached.clear();
          await fc.assert(
            fc.asyncProperty(scenarioArb(c.knobs, c.steps), (s) => runScenario(s, deleteTopics)),
            { numRuns: runs, seed: SEED },
          );
          // The generators must keep reaching every path, or a pass proves little.
          if (runs >= c.runs)
            expect([...reached].sort()).toEqual(expect.arrayContaining(c.reaches));
        },
      );
    }
  }
});
