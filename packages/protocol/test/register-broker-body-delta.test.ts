/**
 * The incremental REGISTER_BROKER body decoder (issue 11) against the full decoder: whatever it
 * answers ('full', 'unchanged' or a delta applied to the previous table) must equal
 * decodeRegisterBrokerBody of the new body, Map order included; it must reject what the full
 * decoder rejects, with the same error class.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as zlib from 'node:zlib';
import { readFileSync } from 'node:fs';
import type {
  DataVersion,
  RegisterBrokerBody,
  TopicConfig,
  TopicQueueMappingInfo,
} from '../src/bodies/types.js';
import { BodyDecodeError } from '../src/errors.js';
import { MAX_JSON_DEPTH } from '../src/json/json-skim.js';
import {
  decodeRegisterBrokerBody,
  MAX_INFLATED_REGISTER_BODY,
} from '../src/bodies/register-broker-body.js';
import {
  applyRegisterBodyDelta,
  applyRegisterBodyDeltaInPlace,
  decodeRegisterBodyWithBase,
  isSameRegisterBody,
  registerBodyOfDelta,
  type RegisterBodyBase,
  type RegisterBodyChanges,
  type RegisterBodyDeltaOptions,
} from '../src/bodies/register-broker-body-delta.js';
import { writeDataVersion } from '../src/bodies/data-version.js';
import { encodeTopicConfigLine, writeTopicConfig } from '../src/bodies/topic-config.js';
import { writeTopicQueueMappingInfo } from '../src/bodies/topic-queue-mapping-info.js';
import { LEGACY, writeString, writeStringArray } from '../src/json/fastjson-writer.js';
import * as index from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// A test encoder that writes entries in exactly the model's order (the real encoders reorder
// tables into Java hash order), in the plain JSON or the compressed layout.

interface Model {
  dataVersion: DataVersion;
  filterServerList: string[];
  /** Body order; keys unique. topicName normally equals the key. */
  entries: [string, TopicConfig][];
  /** 5.x sections (JSON: mappingDataVersion + both maps; compressed: the mapping section). */
  mappings: TopicQueueMappingInfo[] | null;
  mappingDataVersion: DataVersion;
  /** How JSON keys are written: fastjson, JSON.stringify, or every non-alphanumeric \u-escaped. */
  keyStyle: 0 | 1 | 2;
}

function escapeAll(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (/^[A-Za-z0-9_]$/.test(ch)) out += ch;
    else {
      for (let i = 0; i < ch.length; i++) {
        out += '\\u' + ch.charCodeAt(i).toString(16).padStart(4, '0');
      }
    }
  }
  return out + '"';
}

function writeKey(k: string, style: 0 | 1 | 2): string {
  if (style === 0) return writeString(k, LEGACY);
  if (style === 1) return JSON.stringify(k);
  return escapeAll(k);
}

function encodeJson(m: Model): Buffer {
  let s =
    '{"filterServerList":' +
    writeStringArray(m.filterServerList, LEGACY) +
    ',"topicConfigSerializeWrapper":{"dataVersion":' +
    writeDataVersion(m.dataVersion);
  if (m.mappings !== null) s += ',"mappingDataVersion":' + writeDataVersion(m.mappingDataVersion);
  s +=
    ',"topicConfigTable":{' +
    m.entries
      .map(([k, tc]) => writeKey(k, m.keyStyle) + ':' + writeTopicConfig(tc, LEGACY))
      .join(',') +
    '}';
  if (m.mappings !== null) {
    s +=
      ',"topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{' +
      m.mappings
        .map((i) => JSON.stringify(i.topic) + ':' + writeTopicQueueMappingInfo(i, LEGACY))
        .join(',') +
      '}';
  }
  return Buffer.from(s + '}}', 'utf8');
}

function int(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}

function section(text: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  return Buffer.concat([int(b.length), b]);
}

function encodeCompressedRaw(m: Model): Buffer {
  const parts = [section(writeDataVersion(m.dataVersion)), int(m.entries.length)];
  for (const [, tc] of m.entries) parts.push(section(encodeTopicConfigLine(tc)));
  parts.push(section(writeStringArray(m.filterServerList, LEGACY)));
  if (m.mappings !== null) {
    parts.push(int(m.mappings.length));
    for (const i of m.mappings) parts.push(section(writeTopicQueueMappingInfo(i, LEGACY)));
  }
  return Buffer.concat(parts);
}

function encode(m: Model, compressed: boolean): Buffer {
  return compressed ? zlib.deflateSync(encodeCompressedRaw(m)) : encodeJson(m);
}

// ---------------------------------------------------------------------------------------------
// The property

interface Step {
  base: RegisterBodyBase | null;
  /** Full decode of the body the base was built from. */
  full: RegisterBrokerBody | null;
  /** That body's decoded bytes (inflated for compressed bodies). */
  bytes: Buffer | null;
}

const EMPTY: Step = { base: null, full: null, bytes: null };

function decodedBytes(body: Buffer, compressed: boolean): Buffer {
  return compressed ? zlib.inflateSync(body) : body;
}

function keysOf(b: RegisterBrokerBody): string[] {
  return [...b.topicConfigSerializeWrapper.topicConfigTable.keys()];
}

/**
 * One registration: checks the incremental answer against the full decoder and returns the state
 * for the next one. `kinds` collects what was answered.
 */
function step(body: Buffer, options: RegisterBodyDeltaOptions, prev: Step, kinds?: string[]): Step {
  let expected: RegisterBrokerBody;
  try {
    expected = decodeRegisterBrokerBody(body, options);
  } catch (err) {
    expect(err).toBeInstanceOf(BodyDecodeError);
    expect(() => decodeRegisterBodyWithBase(body, options, prev.base)).toThrow(BodyDecodeError);
    return EMPTY;
  }
  const r = decodeRegisterBodyWithBase(body, options, prev.base);
  kinds?.push(r.delta.kind);
  switch (r.delta.kind) {
    case 'full':
      expect(r.delta.body).toStrictEqual(expected);
      expect(keysOf(r.delta.body)).toStrictEqual(keysOf(expected));
      break;
    case 'rows': {
      expect(options.rows).toBe(true);
      const table = expected.topicConfigSerializeWrapper.topicConfigTable;
      const rows = r.delta.rows;
      expect(rows.count).toBe(table.size);
      const names = Buffer.from(rows.nameBytes);
      let i = 0;
      for (const [k, tc] of table) {
        const from = i === 0 ? 0 : rows.nameEnds[i - 1]!;
        expect(names.toString('utf8', from, rows.nameEnds[i])).toBe(k);
        expect(tc.topicName).toBe(k);
        expect([...rows.nums.subarray(4 * i, 4 * i + 4)]).toStrictEqual([
          tc.readQueueNums,
          tc.writeQueueNums,
          tc.perm,
          tc.topicSysFlag,
        ]);
        i++;
      }
      // Each array is memory of its own, exactly its size (a thread may move it to another).
      for (const a of [rows.nameBytes, rows.nameEnds, rows.nums]) {
        expect(a.byteLength).toBe(a.buffer.byteLength);
      }
      const rest = r.delta.body;
      expect(rest.topicConfigSerializeWrapper.topicConfigTable.size).toBe(0);
      rest.topicConfigSerializeWrapper.topicConfigTable = table;
      expect(rest).toStrictEqual(expected);
      break;
    }
    case 'unchanged':
      expect(prev.base).not.toBeNull();
      expect(r.base).not.toBeNull();
      expect(decodedBytes(body, options.compressed).equals(prev.bytes!)).toBe(true);
      expect(prev.full).toStrictEqual(expected);
      break;
    case 'delta': {
      expect(prev.full).not.toBeNull();
      const got = registerBodyOfDelta(
        prev.full!.topicConfigSerializeWrapper.topicConfigTable,
        r.delta,
      );
      expect(got).toStrictEqual(expected);
      expect(keysOf(got)).toStrictEqual(keysOf(expected));
      checkDeltaShape(r.delta, prev.full!, expected);
      const inPlace = new Map(prev.full!.topicConfigSerializeWrapper.topicConfigTable);
      applyRegisterBodyDeltaInPlace(inPlace, r.delta);
      expect([...inPlace]).toStrictEqual([
        ...expected.topicConfigSerializeWrapper.topicConfigTable,
      ]);
      break;
    }
  }
  return {
    base: r.base,
    full: r.base === null ? null : expected,
    bytes: r.base === null ? null : decodedBytes(body, options.compressed),
  };
}

/** removed/upserts/inserted say what their documentation says. */
function checkDeltaShape(
  d: RegisterBodyChanges,
  before: RegisterBrokerBody,
  after: RegisterBrokerBody,
): void {
  const b = before.topicConfigSerializeWrapper.topicConfigTable;
  const a = after.topicConfigSerializeWrapper.topicConfigTable;
  expect(d.removed).toStrictEqual([...b.keys()].filter((k) => !a.has(k)));
  const afterKeys = [...a.keys()];
  for (const tc of d.upserts) expect(a.get(tc.topicName)).toStrictEqual(tc);
  // Every topic that is new or whose value changed is upserted.
  const upserted = new Set(d.upserts.map((tc) => tc.topicName));
  for (const [k, tc] of a) {
    const old = b.get(k);
    if (old === undefined || !isDeepEqual(old, tc)) expect(upserted.has(k)).toBe(true);
  }
  for (const [after, topic] of d.inserted) {
    const at = afterKeys.indexOf(topic);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(after).toBe(at === 0 ? null : afterKeys[at - 1]);
  }
  for (const k of afterKeys) {
    if (!b.has(k)) expect(d.inserted.some(([, t]) => t === k)).toBe(true);
  }
}

function isDeepEqual(x: unknown, y: unknown): boolean {
  try {
    expect(x).toStrictEqual(y);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const NAME_PIECES = [
  'a',
  'b',
  'T',
  'z',
  '0',
  '7',
  '_',
  '%',
  '|',
  '-',
  '.',
  'é',
  '中',
  '😀',
  '"',
  '\\',
  '/',
  '\n',
  '\u0001',
  '\u2028',
  // Plain key indexes refuse it (invalid UTF-8 decodes to it): a base holding it uses strings.
  '\ufffd',
  ':',
  '{',
  '}',
  ',',
  '__proto__',
  'topicConfigTable',
];

function isArrayIndex(k: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(k) && Number(k) <= 4294967294;
}

/** Names the incremental path handles (no array-index names, no spaces). */
const cleanName = fc
  .array(fc.constantFrom(...NAME_PIECES), { minLength: 1, maxLength: 5 })
  .map((p) => p.join(''))
  .filter((k) => !isArrayIndex(k));

/** Anything: array-index names and spaces included. */
const wildName = fc.oneof(
  cleanName,
  fc.integer({ min: 0, max: 300 }).map(String),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('a b', ' ', '', '01', '4294967295'),
);

const smallInt = fc.integer({ min: -2, max: 1100 });
const dataVersion: fc.Arbitrary<DataVersion> = fc.record(
  {
    counter: fc.nat({ max: 1000 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    stateVersion: fc.nat({ max: 5 }),
  },
  { requiredKeys: ['counter', 'timestamp'] },
);
const attrText = fc.oneof(
  fc.constantFrom('+a', '-b', 'x y', 'NORMAL', 'é"\\'),
  fc.string({ maxLength: 4 }),
);

const configBody = fc.record(
  {
    readQueueNums: smallInt,
    writeQueueNums: smallInt,
    perm: fc.integer({ min: 0, max: 7 }),
    topicFilterType: fc.constantFrom('SINGLE_TAG' as const, 'MULTI_TAG' as const),
    topicSysFlag: fc.integer({ min: 0, max: 3 }),
    order: fc.boolean(),
    attributes: fc
      .uniqueArray(fc.tuple(attrText, attrText), { selector: (e) => e[0], maxLength: 2 })
      .map((es) => new Map(es)),
  },
  {
    requiredKeys: [
      'readQueueNums',
      'writeQueueNums',
      'perm',
      'topicFilterType',
      'topicSysFlag',
      'order',
    ],
  },
);

type ConfigBody = Omit<TopicConfig, 'topicName'>;

/**
 * A static topic's mapping info. With a currIdMap, fastjson writes bare integer keys (`{0:0}`): not
 * strict JSON, so such JSON bodies are always decoded in full.
 */
const mappingInfo = (topic: string): TopicQueueMappingInfo => {
  const info: TopicQueueMappingInfo = {
    topic,
    scope: '__global__',
    totalQueues: 2,
    bname: 'broker-a',
    epoch: 1,
    dirty: false,
  };
  if (topic.endsWith('2')) info.currIdMap = new Map([[0, 0]]);
  return info;
};

type Edit =
  | { op: 'modify'; at: number; value: ConfigBody }
  | { op: 'insert'; at: number; name: string; value: ConfigBody }
  | { op: 'remove'; at: number }
  | { op: 'move'; from: number; to: number }
  | { op: 'dataVersion'; value: DataVersion }
  | { op: 'filterServerList'; value: string[] }
  | { op: 'mappings'; value: string[] | null }
  | { op: 'rename'; at: number; name: string }
  /** JSON keys written another way: the same names, other bytes (escapes come and go). */
  | { op: 'keyStyle'; value: 0 | 1 | 2 };

function editArb(name: fc.Arbitrary<string>, wild: boolean): fc.Arbitrary<Edit> {
  const edits: fc.Arbitrary<Edit>[] = [
    fc.record({ op: fc.constant('modify' as const), at: fc.nat(), value: configBody }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), name, value: configBody }),
    fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('move' as const), from: fc.nat(), to: fc.nat() }),
    fc.record({ op: fc.constant('dataVersion' as const), value: dataVersion }),
    fc.record({
      op: fc.constant('filterServerList' as const),
      value: fc.array(fc.constantFrom('10.0.0.1:1', 'é', '"'), { maxLength: 2 }),
    }),
    fc.record({
      op: fc.constant('mappings' as const),
      value: fc.option(fc.array(fc.constantFrom('M1', 'M2'), { maxLength: 2 }), { nil: null }),
    }),
    fc.record({
      op: fc.constant('keyStyle' as const),
      value: fc.constantFrom(0 as const, 1 as const, 2 as const),
    }),
  ];
  // A value whose topicName is not its key.
  if (wild) edits.push(fc.record({ op: fc.constant('rename' as const), at: fc.nat(), name }));
  return fc.oneof(...edits);
}

function applyEdit(m: Model, e: Edit): void {
  const n = m.entries.length;
  switch (e.op) {
    case 'modify':
      if (n > 0) {
        const [k] = m.entries[e.at % n]!;
        m.entries[e.at % n] = [k, { topicName: k, ...e.value }];
      }
      break;
    case 'insert':
      if (!m.entries.some(([k]) => k === e.name)) {
        m.entries.splice(e.at % (n + 1), 0, [e.name, { topicName: e.name, ...e.value }]);
      }
      break;
    case 'remove':
      if (n > 0) m.entries.splice(e.at % n, 1);
      break;
    case 'move':
      if (n > 0) {
        const [x] = m.entries.splice(e.from % n, 1);
        m.entries.splice(e.to % n, 0, x!);
      }
      break;
    case 'dataVersion':
      m.dataVersion = e.value;
      break;
    case 'filterServerList':
      m.filterServerList = e.value;
      break;
    case 'mappings':
      m.mappings = e.value === null ? null : [...new Set(e.value)].map(mappingInfo);
      break;
    case 'keyStyle':
      m.keyStyle = e.value;
      break;
    case 'rename':
      if (n > 0) {
        const [k, tc] = m.entries[e.at % n]!;
        m.entries[e.at % n] = [k, { ...tc, topicName: e.name }];
      }
      break;
  }
}

function modelArb(name: fc.Arbitrary<string>, maxTopics: number): fc.Arbitrary<Model> {
  return fc.record({
    dataVersion,
    filterServerList: fc.array(fc.constantFrom('10.0.0.1:1', 'é'), { maxLength: 2 }),
    entries: fc
      .uniqueArray(fc.tuple(name, configBody), { selector: (e) => e[0], maxLength: maxTopics })
      .map((es) => es.map(([k, v]): [string, TopicConfig] => [k, { topicName: k, ...v }])),
    mappings: fc.option(fc.constant([mappingInfo('M1')]), { nil: null }),
    mappingDataVersion: dataVersion,
    keyStyle: fc.constantFrom(0 as const, 1 as const, 2 as const),
  });
}

function cloneModel(m: Model): Model {
  return { ...m, entries: [...m.entries], filterServerList: [...m.filterServerList] };
}

const versionFor = (compressed: boolean, fiveX: boolean): number =>
  compressed && fiveX ? 479 : compressed ? 407 : fiveX ? 479 : 407;

// ---------------------------------------------------------------------------------------------

describe('decodeRegisterBodyWithBase: random tables and edits', () => {
  // `rows`: a fresh plain body is answered as rows, and its base makes names only when asked.
  for (const [compressed, rows] of [
    [false, false],
    [false, true],
    [true, false],
  ] as const) {
    const kind = compressed ? 'compressed' : rows ? 'plain JSON as rows' : 'plain JSON';

    it(`${kind}: chains of deltas equal the full decode, and clean bodies give deltas`, () => {
      const seen: string[] = [];
      fc.assert(
        fc.property(
          modelArb(cleanName, 24),
          fc.array(fc.array(editArb(cleanName, false), { maxLength: 5 }), {
            minLength: 1,
            maxLength: 5,
          }),
          fc.boolean(),
          (initial, rounds, fiveX) => {
            const options = { compressed, version: versionFor(compressed, fiveX), rows };
            const m = cloneModel(initial);
            let state = step(encode(m, compressed), options, EMPTY, seen);
            let wasLenient = false;
            for (const edits of rounds) {
              for (const e of edits) applyEdit(m, e);
              const kinds: string[] = [];
              state = step(encode(m, compressed), options, state, kinds);
              seen.push(...kinds);
              // Clean bodies: always a base, and never a full decode while the table is small
              // (bail-outs to the full decoder need more than 32 scanned entries). Except JSON
              // bodies with a currIdMap (lenient JSON).
              const lenient = !compressed && (m.mappings ?? []).some((i) => i.currIdMap);
              if (!lenient) expect(state.base).not.toBeNull();
              if (m.entries.length <= 32 && !lenient && !wasLenient) {
                expect(kinds).not.toContain('full');
              }
              wasLenient = lenient;
            }
          },
        ),
        { numRuns: 150 },
      );
      expect(seen).toContain('delta');
      expect(seen).toContain('unchanged');
      if (rows) expect(seen).toContain('rows');
    });

    it(`${kind}: anything goes (array-index names, spaces, topicName ≠ key)`, () => {
      fc.assert(
        fc.property(
          modelArb(wildName, 12),
          fc.array(fc.array(editArb(wildName, true), { maxLength: 4 }), {
            minLength: 1,
            maxLength: 4,
          }),
          fc.boolean(),
          (initial, rounds, fiveX) => {
            const options = { compressed, version: versionFor(compressed, fiveX), rows };
            const m = cloneModel(initial);
            let state = step(encode(m, compressed), options, EMPTY);
            for (const edits of rounds) {
              for (const e of edits) applyEdit(m, e);
              state = step(encode(m, compressed), options, state);
            }
          },
        ),
        { numRuns: 150 },
      );
    });

    it(`${kind}: corrupted bodies are rejected like the full decoder rejects them, or decoded right`, () => {
      fc.assert(
        fc.property(
          modelArb(cleanName, 10),
          fc.array(editArb(cleanName, false), { maxLength: 3 }),
          fc.nat(),
          fc.constantFrom('truncate', 'overwrite', 'insert', 'delete'),
          fc.integer({ min: 0, max: 255 }),
          (initial, edits, at, how, byte) => {
            const options = { compressed, version: 407, rows };
            const m = cloneModel(initial);
            const state = step(encode(m, compressed), options, EMPTY);
            for (const e of edits) applyEdit(m, e);
            const clean = compressed ? encodeCompressedRaw(m) : encodeJson(m);
            const i = at % (clean.length + 1);
            let bad: Buffer;
            switch (how) {
              case 'truncate':
                bad = clean.subarray(0, i);
                break;
              case 'overwrite':
                bad = Buffer.from(clean);
                if (i < bad.length) bad[i] = byte;
                break;
              case 'insert':
                bad = Buffer.concat([clean.subarray(0, i), Buffer.from([byte]), clean.subarray(i)]);
                break;
              case 'delete':
                bad = Buffer.concat([clean.subarray(0, i), clean.subarray(i + 1)]);
                break;
            }
            step(compressed ? zlib.deflateSync(bad) : bad, options, state);
          },
        ),
        { numRuns: 400 },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------

function topic(name: string, perm = 6, queues = 8): TopicConfig {
  return {
    topicName: name,
    readQueueNums: queues,
    writeQueueNums: queues,
    perm,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
  };
}

function bigModel(n: number): Model {
  const entries: [string, TopicConfig][] = [];
  for (let i = 0; i < n; i++) entries.push([`topic-${i}`, topic(`topic-${i}`)]);
  return {
    dataVersion: { counter: 1, timestamp: 1_700_000_000_000 },
    filterServerList: [],
    entries,
    mappings: null,
    mappingDataVersion: { counter: 0, timestamp: 0 },
    keyStyle: 0,
  };
}

function changesOf(body: Buffer, options: RegisterBodyDeltaOptions, base: RegisterBodyBase) {
  const r = decodeRegisterBodyWithBase(body, options, base);
  if (r.delta.kind !== 'delta') throw new Error(`expected a delta, got ${r.delta.kind}`);
  return { delta: r.delta, base: r.base };
}

describe('decodeRegisterBodyWithBase: what the delta says', () => {
  for (const compressed of [false, true]) {
    const options = { compressed, version: 407 };
    const kind = compressed ? 'compressed' : 'plain JSON';

    it(`${kind}: modify, insert, remove and a far move in a 2000-topic table`, () => {
      const m = bigModel(2000);
      const first = decodeRegisterBodyWithBase(encode(m, compressed), options, null);
      expect(first.delta.kind).toBe('full');
      expect(first.base).not.toBeNull();
      expect(first.base!.bytes).toBeGreaterThan(encodeCompressedRaw(m).length);
      const previous = (first.delta as { body: RegisterBrokerBody }).body
        .topicConfigSerializeWrapper.topicConfigTable;

      m.dataVersion = { counter: 2, timestamp: 1_700_000_000_001 };
      m.entries[100] = ['topic-100', topic('topic-100', 2)];
      m.entries.splice(500, 0, ['new-topic', topic('new-topic')]);
      m.entries.splice(1200, 1); // topic-1199
      const [moved] = m.entries.splice(1800, 1); // topic-1800
      m.entries.splice(10, 0, moved!);
      const body = encode(m, compressed);
      const { delta, base } = changesOf(body, options, first.base!);

      expect(delta.dataVersion).toStrictEqual({ counter: 2, timestamp: 1_700_000_000_001 });
      expect(delta.upserts).toStrictEqual([topic('topic-100', 2), topic('new-topic')]);
      expect(delta.removed).toStrictEqual(['topic-1199']);
      expect(delta.inserted).toStrictEqual([
        ['topic-9', 'topic-1800'],
        ['topic-499', 'new-topic'],
      ]);
      const table = applyRegisterBodyDelta(previous, delta);
      const full = decodeRegisterBrokerBody(body, options).topicConfigSerializeWrapper
        .topicConfigTable;
      expect([...table.keys()]).toStrictEqual([...full.keys()]);
      expect(table).toStrictEqual(full);

      // The derived base serves the next delta.
      m.entries[0] = ['topic-0', topic('topic-0', 4)];
      const next = changesOf(encode(m, compressed), options, base!);
      expect(next.delta.upserts).toStrictEqual([topic('topic-0', 4)]);
      expect(next.delta.removed).toStrictEqual([]);
      expect(next.delta.inserted).toStrictEqual([]);
      // Byte-identical: unchanged, and the same base again.
      const same = decodeRegisterBodyWithBase(encode(m, compressed), options, next.base);
      expect(same.delta.kind).toBe('unchanged');
      expect(same.base).toBe(next.base);
    });

    it(`${kind}: topics come and go in a 1500-topic table, round after round (the key index is carried, or rebuilt)`, () => {
      // Each round removes and adds up to 4 % of the topics at random places (a broker's topics
      // created and deleted between two registrations), sometimes in one name style, sometimes
      // another: the key index that finds a moved or new topic is carried from base to base until
      // too much changed, then built again, and it must never lose or invent a topic.
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              remove: fc.array(fc.nat(), { maxLength: 120 }),
              add: fc.array(fc.tuple(fc.nat(), fc.constantFrom('n', 'é', 'x|')), {
                maxLength: 120,
              }),
              dataVersion: fc.nat({ max: 1000 }),
            }),
            { minLength: 3, maxLength: 8 },
          ),
          fc.boolean(),
          (rounds, asRows) => {
            const m = bigModel(1500);
            const opts = { ...options, rows: asRows && !compressed };
            const kinds: string[] = [];
            let state = step(encode(m, compressed), opts, EMPTY, kinds);
            let fresh = 0;
            for (const r of rounds) {
              for (const at of r.remove) {
                if (m.entries.length > 0) m.entries.splice(at % m.entries.length, 1);
              }
              for (const [at, style] of r.add) {
                const name = `${style}-${fresh++}`;
                m.entries.splice(at % (m.entries.length + 1), 0, [name, topic(name)]);
              }
              m.dataVersion = { counter: r.dataVersion, timestamp: 1_700_000_000_000 };
              state = step(encode(m, compressed), opts, state, kinds);
              expect(state.base).not.toBeNull();
            }
            // Proportional: no round was decoded in full.
            expect(kinds.slice(1).filter((k) => k !== 'delta' && k !== 'unchanged')).toStrictEqual(
              [],
            );
          },
        ),
        { numRuns: 8 },
      );
      // About 2 s on a quiet 2-core machine; 21.6 s was seen with the machine 10 times oversubscribed.
    }, 60_000);

    it(`${kind}: a name written with escapes after a plain base, then moved, is still found`, () => {
      // The key index compares names with the body's bytes: once a name is written another way
      // (JSON escapes), the index carried on must not compare with the old bytes.
      for (const insertToo of [false, true]) {
        const m = bigModel(200);
        // Alphanumeric names (never escaped) but five.
        m.entries = m.entries.map((_, i) => {
          const k = i % 40 === 0 ? `esc-${i}` : `topic${i}`;
          return [k, topic(k)];
        });
        let state = step(encode(m, compressed), { ...options, rows: true }, EMPTY);
        // The same names, the non-alphanumeric characters \u-escaped (JSON); a new DataVersion.
        m.keyStyle = 2;
        m.dataVersion = { counter: 2, timestamp: 1_700_000_000_002 };
        if (insertToo) m.entries.splice(100, 0, ['fresh-topic', topic('fresh-topic')]);
        const kinds: string[] = [];
        state = step(encode(m, compressed), options, state, kinds);
        // Moved far: found through the key index.
        const [moved] = m.entries.splice(0, 1);
        m.entries.splice(150, 0, moved!);
        m.dataVersion = { counter: 3, timestamp: 1_700_000_000_003 };
        state = step(encode(m, compressed), options, state, kinds);
        expect(kinds).toStrictEqual(['delta', 'delta']);
      }
    });

    it(`${kind}: most entries changed → full decode (and a base for next time)`, () => {
      const m = bigModel(300);
      const first = decodeRegisterBodyWithBase(encode(m, compressed), options, null);
      m.entries = m.entries.map(([k]) => [k, topic(k, 7)]);
      const body = encode(m, compressed);
      const r = decodeRegisterBodyWithBase(body, options, first.base);
      expect(r.delta.kind).toBe('full');
      expect(r.base).not.toBeNull();
      expect((r.delta as { body: RegisterBrokerBody }).body).toStrictEqual(
        decodeRegisterBrokerBody(body, options),
      );
    });

    it(`${kind}: a base of other options is not used`, () => {
      const m = bigModel(5);
      const first = decodeRegisterBodyWithBase(encode(m, compressed), options, null);
      const other = { compressed: !compressed, version: 407 };
      const r = decodeRegisterBodyWithBase(encode(m, !compressed), other, first.base);
      expect(r.delta.kind).toBe('full');
      const v = decodeRegisterBodyWithBase(
        encode(m, compressed),
        { compressed, version: 479 },
        first.base,
      );
      expect(v.delta.kind).toBe('full');
    });
  }

  it('compressed: the inflate limit is a parameter', () => {
    const body = encode(bigModel(50), true);
    expect(() =>
      decodeRegisterBodyWithBase(
        body,
        { compressed: true, version: 407, maxInflatedBytes: 100 },
        null,
      ),
    ).toThrow(BodyDecodeError);
    const ok = decodeRegisterBodyWithBase(body, { compressed: true, version: 407 }, null);
    expect(ok.delta.kind).toBe('full');
    expect(MAX_INFLATED_REGISTER_BODY).toBeGreaterThan(body.length);
    // Also with a base.
    const m = bigModel(50);
    m.entries[3] = ['topic-3', topic('topic-3', 2)];
    expect(() =>
      decodeRegisterBodyWithBase(
        encode(m, true),
        { compressed: true, version: 407, maxInflatedBytes: 100 },
        ok.base,
      ),
    ).toThrow(BodyDecodeError);
  });

  it('compressed: the same content deflated differently is unchanged', () => {
    const m = bigModel(40);
    const raw = encodeCompressedRaw(m);
    const options = { compressed: true, version: 407 };
    const first = decodeRegisterBodyWithBase(zlib.deflateSync(raw, { level: 1 }), options, null);
    const again = decodeRegisterBodyWithBase(
      zlib.deflateSync(raw, { level: 9 }),
      options,
      first.base,
    );
    expect(again.delta.kind).toBe('unchanged');
  });

  it('null, empty and version < 37 bodies decode in full, without a base', () => {
    for (const body of [null, Buffer.alloc(0)]) {
      const r = decodeRegisterBodyWithBase(body, { compressed: false, version: 407 }, null);
      expect(r).toStrictEqual({
        delta: {
          kind: 'full',
          body: decodeRegisterBrokerBody(body, { compressed: false, version: 407 }),
        },
        base: null,
      });
    }
    const wrapper = Buffer.from(
      '{"dataVersion":{"counter":1,"timestamp":2},"topicConfigTable":{"T":{"perm":6,"topicName":"T"}}}',
    );
    const r = decodeRegisterBodyWithBase(wrapper, { compressed: false, version: 36 }, null);
    expect(r.base).toBeNull();
    expect(r.delta).toStrictEqual({
      kind: 'full',
      body: decodeRegisterBrokerBody(wrapper, { compressed: false, version: 36 }),
    });
  });

  it('apply refuses a delta that does not fit the previous table', () => {
    const previous = new Map(['A', 'B', 'C'].map((k) => [k, topic(k)]));
    const delta = (d: Partial<RegisterBodyChanges>): RegisterBodyChanges => ({
      kind: 'delta',
      dataVersion: { counter: 1, timestamp: 1 },
      filterServerList: [],
      upserts: [],
      removed: [],
      inserted: [],
      ...d,
    });
    const bad = [
      delta({ removed: ['X'] }),
      delta({ upserts: [topic('X')] }),
      delta({ upserts: [topic('A', 2)], removed: ['A'] }),
      delta({ inserted: [[null, 'X']] }),
      delta({
        upserts: [topic('X'), topic('Y')],
        inserted: [
          [null, 'X'],
          [null, 'Y'],
        ],
      }),
      delta({ upserts: [topic('X')], inserted: [['Q', 'X']] }),
    ];
    for (const d of bad) {
      expect(() => applyRegisterBodyDelta(previous, d)).toThrow(Error);
      const table = new Map(previous);
      expect(() => applyRegisterBodyDeltaInPlace(table, d)).toThrow(Error);
      expect([...table]).toStrictEqual([...previous]);
    }
    // A moved topic and a new one after it.
    const ok = delta({
      upserts: [topic('X')],
      inserted: [
        [null, 'C'],
        ['C', 'X'],
      ],
      removed: ['A'],
    });
    expect([...applyRegisterBodyDelta(previous, ok).keys()]).toStrictEqual(['C', 'X', 'B']);
  });

  it('is exported from the package index', () => {
    expect(index.decodeRegisterBodyWithBase).toBe(decodeRegisterBodyWithBase);
    expect(index.applyRegisterBodyDelta).toBe(applyRegisterBodyDelta);
    expect(index.registerBodyOfDelta).toBe(registerBodyOfDelta);
    expect(index.applyRegisterBodyDeltaInPlace).toBe(applyRegisterBodyDeltaInPlace);
    expect(index.isSameRegisterBody).toBe(isSameRegisterBody);
  });

  it('isSameRegisterBody: the bytes as received, under the same options', () => {
    const m = bigModel(40);
    for (const compressed of [false, true]) {
      const options = { compressed, version: 407 };
      const body = encode(m, compressed);
      const { base } = decodeRegisterBodyWithBase(body, options, null);
      expect(isSameRegisterBody(base!, Buffer.from(body), options)).toBe(true);
      expect(isSameRegisterBody(base!, body, { compressed, version: 479 })).toBe(false);
      expect(isSameRegisterBody(base!, body.subarray(1), options)).toBe(false);
      if (compressed) {
        // Same content, other deflated bytes: not the bytes received.
        const other = zlib.deflateSync(zlib.inflateSync(body), { level: 1 });
        expect(other.equals(body)).toBe(false);
        expect(isSameRegisterBody(base!, other, options)).toBe(false);
      }
    }
  });
});

describe('decodeRegisterBodyWithBase: what it leaves to the full decoder', () => {
  const options = { compressed: false, version: 407 };
  const entry = (k: string, perm = 6): string =>
    `${JSON.stringify(k)}:${writeTopicConfig(topic(k, perm), LEGACY)}`;
  const body = (entries: string[], dv = 1): Buffer =>
    Buffer.from(
      `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":${dv},"timestamp":5},"topicConfigTable":{${entries.join(',')}}}}`,
    );
  const baseEntries = ['A', 'B', 'C', 'D'].map((k) => entry(k));
  const first = (): Step => step(body(baseEntries), options, EMPTY);

  it('a changed entry that is not valid JSON: the full decoder’s error', () => {
    const state = first();
    const bad = body([baseEntries[0]!, '"B":{"order":false,"perm":6x}', baseEntries[2]!], 2);
    expect(() => decodeRegisterBrokerBody(bad, options)).toThrow(BodyDecodeError);
    expect(() => decodeRegisterBodyWithBase(bad, options, state.base)).toThrow(BodyDecodeError);
    const bad2 = body([baseEntries[0]!, '"B":{"order":false,"perm":"x"}'], 2);
    expect(() => decodeRegisterBodyWithBase(bad2, options, state.base)).toThrow(BodyDecodeError);
  });

  it('lenient fastjson syntax in a changed entry: decoded by the full decoder', () => {
    const state = first();
    const lenient = body(
      [baseEntries[0]!, '"B":{perm:2,topicName:\'B\'}', ...baseEntries.slice(2)],
      2,
    );
    const kinds: string[] = [];
    step(lenient, options, state, kinds);
    expect(kinds).toStrictEqual(['full']);
  });

  it('duplicate keys, null values, array-index names, whitespace: correct answers', () => {
    const state = first();
    const cases = [
      body([...baseEntries, entry('A', 2)], 2),
      body([...baseEntries.slice(0, 2), '"X":null', ...baseEntries.slice(2)], 2),
      body([...baseEntries, entry('12')], 2),
      body([entry('7'), ...baseEntries], 2),
      body([baseEntries[0]!, ' ' + baseEntries[1]!, ...baseEntries.slice(2)], 2),
      body([...baseEntries.slice(0, 3), '"D" : {"perm":6}'], 2),
      body([...baseEntries, '"E":[]'], 2),
      body([...baseEntries, '"E":{"perm":6,"topicName":"F"}'], 2),
      body([...baseEntries, '"__proto__":{"perm":5}'], 2),
      Buffer.from(
        body(baseEntries, 2)
          .toString()
          .replace('"filterServerList":[]', '"filterServerList":["\\"topicConfigTable\\":{"]'),
      ),
      Buffer.from(body(baseEntries, 2).toString().replace('}}}', '},"topicConfigTable":{}}}')),
      Buffer.from(
        body(baseEntries, 2).toString().replace('}}}', '}},"topicConfigSerializeWrapper":null}'),
      ),
      Buffer.from(
        body(baseEntries, 2)
          .toString()
          .replace('"dataVersion":{', '"dataVersion":{"topicConfigTable":{"A":{}},'),
      ),
    ];
    for (const c of cases) step(c, options, state);
  });

  it('nesting deeper than any real body: refused by both decoders, fresh, as rows or against a base', () => {
    const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const withUnknown = (v: string, dv = 2): Buffer =>
      Buffer.from(
        body(baseEntries, dv)
          .toString()
          .replace(/\}\}\}$/, `},"x":${v}}}`),
      );
    const withinBound = withUnknown(nest(MAX_JSON_DEPTH - 2));
    const tooDeep = [
      withUnknown(nest(MAX_JSON_DEPTH - 1)),
      withUnknown(nest(100_000)),
      withUnknown('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)),
      body([...baseEntries, `"E":{"perm":6,"x":${nest(100_000)}}`], 2),
      Buffer.from(
        body(baseEntries, 2)
          .toString()
          .replace('"filterServerList":[]', `"x":${nest(100_000)}`),
      ),
    ];
    for (const rows of [false, true]) {
      const opts = { ...options, rows };
      step(withinBound, opts, first());
      expect(() => decodeRegisterBrokerBody(withinBound, opts)).not.toThrow();
      for (const b of tooDeep) {
        expect(() => decodeRegisterBrokerBody(b, opts)).toThrow(BodyDecodeError);
        expect(() => decodeRegisterBodyWithBase(b, opts, null)).toThrow(/nesting deeper/);
        expect(() => decodeRegisterBodyWithBase(b, opts, first().base)).toThrow(/nesting deeper/);
      }
    }
  });

  it('unknown members, at the top and in the wrapper: left out, the same answers', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `"k${i}":[${i},{"q":"\\u00e9"}]`);
    const unknown = `{${keys.join(',')}}`;
    const cases = [
      Buffer.from(
        body(baseEntries, 2)
          .toString()
          .replace(/\}\}\}$/, `},"x":${unknown}}}`),
      ),
      Buffer.from(body(baseEntries, 2).toString().replace(/^\{/, `{"x":${unknown},`)),
      Buffer.from(
        body(baseEntries, 2)
          .toString()
          .replace(/\}\}\}$/, '},"dataVersion":{"counter":9,"timestamp":9},"x":1}}'),
      ),
      Buffer.from(body(baseEntries, 2).toString().replace(/^\{/, '{"x":[1,],')),
      Buffer.from(body(baseEntries, 2).toString().replace(/^\{/, '{"x":{y:1},')),
      Buffer.from(
        body(baseEntries, 2).toString().replace(/^\{/, '{"\\u0066ilterServerList":["a"],'),
      ),
    ];
    // The full decoder too: whitespace and bare keys send these bodies its way.
    const plain = decodeRegisterBrokerBody(body(baseEntries, 2), options);
    for (const c of cases.slice(0, 2)) {
      const pretty = Buffer.from(JSON.stringify(JSON.parse(c.toString()), null, 1));
      expect(decodeRegisterBrokerBody(pretty, options)).toStrictEqual(plain);
      const bare = Buffer.from(c.toString().replace(/"(k\d+)":/g, '$1:'));
      expect(decodeRegisterBrokerBody(bare, options)).toStrictEqual(plain);
    }
    for (const rows of [false, true]) {
      for (const c of cases) {
        step(c, { ...options, rows }, EMPTY);
        step(c, { ...options, rows }, first());
      }
    }
  });

  it('duplicate keys: a new topic twice, a moved topic again at its old place', () => {
    const many = Array.from({ length: 100 }, (_, i) => entry(`T${i}`));
    const state = step(body(many), options, EMPTY);
    expect(state.base).not.toBeNull();
    const kinds: string[] = [];
    step(
      body([...many.slice(0, 50), entry('NEW', 2), ...many.slice(50), entry('NEW', 3)], 2),
      options,
      state,
      kinds,
    );
    // T80 first (far ahead of its base place) with other bytes, then again unchanged in its run.
    step(body([entry('T80', 2), ...many], 2), options, state, kinds);
    step(
      body([...many.slice(0, 10), entry('T80', 2), ...many.slice(10)], 2),
      options,
      state,
      kinds,
    );
    expect(kinds).toStrictEqual(['full', 'full', 'full']);
    // A look-alike of the table key inside another key.
    step(
      Buffer.from(
        body(many, 2)
          .toString()
          .replace('"dataVersion":{', '"dataVersion":{"x\\"topicConfigTable":{"T1":{}},'),
      ),
      options,
      state,
    );
  });

  it('a fresh plain body with a repeated key: the full decoder’s answer and no base, rows or not', () => {
    for (const rows of [false, true]) {
      const opts = { ...options, rows };
      for (const entries of [
        [...baseEntries, entry('A', 2)],
        [entry('C'), ...baseEntries],
      ]) {
        const kinds: string[] = [];
        const state = step(body(entries), opts, EMPTY, kinds);
        expect(kinds).toStrictEqual(['full']);
        expect(state.base).toBeNull();
      }
    }
  });

  it('names that are not ASCII: UTF-8 ones decode as rows; bytes that are not UTF-8 go the general way', () => {
    const opts = { ...options, rows: true };
    const kinds: string[] = [];
    const utf8 = step(body([entry('主题-α'), ...baseEntries, entry('tópico')]), opts, EMPTY, kinds);
    expect(kinds).toStrictEqual(['rows']);
    // Then a delta against that base names the new topics right.
    step(body([entry('主题-α', 2), ...baseEntries, entry('tópico'), entry('ß')], 2), opts, utf8);
    // 0xff and 0xfe both decode to U+FFFD: one key for JSON.parse, two different byte strings.
    const text = body([entry('\u0001'), entry('\u0002'), ...baseEntries]).toString('latin1');
    const invalid = Buffer.from(
      text.replaceAll('\\u0001', '\xff').replaceAll('\\u0002', '\xfe'),
      'latin1',
    );
    kinds.length = 0;
    step(invalid, opts, EMPTY, kinds);
    expect(kinds).toStrictEqual(['full']);
    expect(
      decodeRegisterBrokerBody(invalid, options).topicConfigSerializeWrapper.topicConfigTable.size,
    ).toBe(5);
  });

  it('array-index topic names: never a base, always right', () => {
    const withIndex = body([entry('Z'), entry('10'), entry('2')]);
    const r = decodeRegisterBodyWithBase(withIndex, options, null);
    expect(r.base).toBeNull();
    expect(keysOf((r.delta as { body: RegisterBrokerBody }).body)).toStrictEqual(['2', '10', 'Z']);
  });
});

// ---------------------------------------------------------------------------------------------
// Real frames captured from RocketMQ 4.9.7 and 5.3.3 brokers

function fixtureBody(
  dir: string,
  name: string,
): { body: Buffer; options: RegisterBodyDeltaOptions } {
  const hex = readFileSync(
    new URL(`../../../fixtures/${dir}/${name}.request.hex`, import.meta.url),
    'utf8',
  );
  const frame = Buffer.from(hex.trim(), 'hex');
  const headerLength = frame.readUInt32BE(4) & 0xffffff;
  const header = JSON.parse(frame.subarray(8, 8 + headerLength).toString('utf8')) as {
    version: number;
    extFields: Record<string, string>;
  };
  return {
    body: frame.subarray(8 + headerLength),
    options: { compressed: header.extFields['compressed'] === 'true', version: header.version },
  };
}

/** The JSON body with one topic's perm changed, a topic added first and the last one removed. */
function editJsonFixture(body: Buffer, topicName: string): Buffer {
  let s = body.toString('utf8');
  const at = s.indexOf(`${JSON.stringify(topicName)}:{`);
  expect(at).toBeGreaterThan(0);
  const perm = s.indexOf('"perm":', at) + '"perm":'.length;
  s = s.slice(0, perm) + '4' + s.slice(perm + 1);
  const table = s.indexOf('"topicConfigTable":{') + '"topicConfigTable":{'.length;
  s = s.slice(0, table) + entryJson('AddedTopic') + ',' + s.slice(table);
  const table2 = (JSON.parse(s) as { topicConfigSerializeWrapper: { topicConfigTable: object } })
    .topicConfigSerializeWrapper.topicConfigTable;
  const [lastKey, lastValue] = Object.entries(table2).at(-1)!;
  const last = ',' + JSON.stringify(lastKey) + ':' + JSON.stringify(lastValue);
  expect(s.includes(last)).toBe(true);
  return Buffer.from(s.replace(last, ''), 'utf8');
}

function entryJson(name: string): string {
  return `${JSON.stringify(name)}:${writeTopicConfig(topic(name), LEGACY)}`;
}

/** The compressed body with its first line's queue numbers changed and a line added. */
function editCompressedFixture(body: Buffer): Buffer {
  const raw = zlib.inflateSync(body);
  const dvEnd = 4 + raw.readInt32BE(0);
  const count = raw.readInt32BE(dvEnd);
  const lines: string[] = [];
  let p = dvEnd + 4;
  for (let i = 0; i < count; i++) {
    const len = raw.readInt32BE(p);
    lines.push(raw.toString('utf8', p + 4, p + 4 + len));
    p += 4 + len;
  }
  lines[0] = lines[0]!.replace(/^(\S+) \d+ \d+/, '$1 3 3');
  lines.push('AddedTopic 2 2 6 SINGLE_TAG');
  return zlib.deflateSync(
    Buffer.concat([
      raw.subarray(0, dvEnd),
      int(lines.length),
      ...lines.map(section),
      raw.subarray(p),
    ]),
  );
}

describe('decodeRegisterBodyWithBase: captured register-broker bodies', () => {
  const cases: [dir: string, name: string, edited: (b: Buffer) => Buffer, next?: string][] = [
    [
      'rocketmq-4.9.7',
      'register-broker-master',
      (b) => editJsonFixture(b, 'TBW102'),
      'register-broker-master-incremental',
    ],
    [
      'rocketmq-4.9.7',
      'register-broker-compressed',
      editCompressedFixture,
      'register-broker-compressed-incremental',
    ],
    [
      'rocketmq-5.3.3',
      'register-broker-master',
      (b) => editJsonFixture(b, 'TBW102'),
      'register-broker-master-incremental',
    ],
  ];
  for (const [dir, name, edited, next] of cases) {
    it(`${dir}/${name}: full decode, then deltas`, () => {
      const { body, options } = fixtureBody(dir, name);
      const kinds: string[] = [];
      const state = step(body, options, EMPTY, kinds);
      expect(kinds).toStrictEqual(['full']);
      expect(state.base).not.toBeNull();
      const after = step(edited(body), options, state, kinds);
      expect(kinds).toStrictEqual(['full', 'delta']);
      step(body, options, after, kinds);
      expect(kinds).toStrictEqual(['full', 'delta', 'delta']);
      if (next !== undefined) {
        const n = fixtureBody(dir, next);
        expect(n.options).toStrictEqual(options);
        step(n.body, options, state, kinds);
        expect(kinds.at(-1)).toBe('delta');
      }
    });
  }

  it('rocketmq-5.3.3/register-broker-compressed-5x: deflated but flagged uncompressed → rejected like the full decoder', () => {
    const { body, options } = fixtureBody('rocketmq-5.3.3', 'register-broker-compressed-5x');
    expect(options.compressed).toBe(false);
    expect(() => decodeRegisterBrokerBody(body, options)).toThrow(BodyDecodeError);
    expect(() => decodeRegisterBodyWithBase(body, options, null)).toThrow(BodyDecodeError);
    const json = fixtureBody('rocketmq-5.3.3', 'register-broker-master');
    const state = step(json.body, json.options, EMPTY);
    expect(() => decodeRegisterBodyWithBase(body, options, state.base)).toThrow(BodyDecodeError);
    // Read as what it is (compressed, 5.x layout with its mapping section): full, then a delta.
    const asCompressed = { compressed: true, version: options.version };
    const kinds: string[] = [];
    const s1 = step(body, asCompressed, EMPTY, kinds);
    step(editCompressedFixture(body), asCompressed, s1, kinds);
    expect(kinds).toStrictEqual(['full', 'delta']);
  });
});
