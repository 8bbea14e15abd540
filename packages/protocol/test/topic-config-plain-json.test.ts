/**
 * The plain-entry reader of REGISTER_BROKER tables (issue 11: a new broker's body decoded without
 * JSON.parse of the whole body). Whatever it reads must equal what the general decoder gives, and
 * it must read what real brokers send (else it saves nothing); anything else it leaves alone.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readTopicConfig } from '../src/bodies/topic-config.js';
import {
  plainFields,
  scanPlainTopicConfig,
  topicConfigOf,
} from '../src/bodies/topic-config-plain-json.js';
import type { TopicConfig } from '../src/bodies/types.js';
import {
  decodeRegisterBrokerBody,
  REGISTER_BODY_MIN_VERSION,
} from '../src/bodies/register-broker-body.js';
import { decodeRegisterBodyWithBase } from '../src/bodies/register-broker-body-delta.js';
import { decodeFrame } from '../src/frame.js';
import { RequestCode } from '../src/request-code.js';
import { listFixtures, loadFixture } from './fixtures.js';
import type { FixtureSet } from './fixtures.js';

/**
 * The object at `p` (its `{`) read as the TopicConfig of table key `key`, whose bytes lie at
 * `[keyStart, keyEnd)`, with where the object ends; null when it is not of the plain shape.
 */
function readPlainTopicConfig(
  buf: Uint8Array,
  p: number,
  key: string,
  keyStart: number,
  keyEnd: number,
): { config: TopicConfig; end: number } | null {
  const fields = plainFields();
  const end = scanPlainTopicConfig(buf, p, keyStart, keyEnd, fields);
  return end < 0 ? null : { config: topicConfigOf(key, fields), end };
}

/** Index of the closing quote of a key string at `p` with no escape or control byte; else -1. */
function plainKeyEnd(buf: Uint8Array, p: number): number {
  if (buf[p] !== 0x22) return -1;
  for (let q = p + 1; q < buf.length; q++) {
    const c = buf[q]!;
    if (c === 0x22) return q;
    if (c === 0x5c || c < 0x20) return -1;
  }
  return -1;
}

/** `"key":value` as bytes, with where the value starts and the key's bytes lie. */
function entry(key: string, value: string): { buf: Buffer; at: number; ks: number; ke: number } {
  const k = Buffer.from(JSON.stringify(key), 'utf8');
  const buf = Buffer.concat([k, Buffer.from(':' + value, 'utf8')]);
  return { buf, at: k.length + 1, ks: 1, ke: k.length - 1 };
}

/** What the general decoder makes of `value` for table key `key`, or the error it throws. */
function general(key: string, value: string): unknown {
  try {
    return readTopicConfig(JSON.parse(value), 'w', key);
  } catch (err) {
    return err;
  }
}

/** The JSON REGISTER_BROKER bodies of a fixture set. */
function registerBodies(set: FixtureSet): [string, Buffer, number][] {
  const out: [string, Buffer, number][] = [];
  for (const name of listFixtures(set)) {
    if (!name.startsWith('register-broker')) continue;
    const cmd = decodeFrame(loadFixture(name, set).request.subarray(4));
    if (cmd.code !== RequestCode.REGISTER_BROKER || cmd.body === null) continue;
    // Compressed bodies and the bare wrapper of pre-3.0.11 brokers take other paths; a few
    // captures carry a body that is no table at all (`{}`, the CRC mismatch).
    if (cmd.extFields?.['compressed'] === 'true' || cmd.version < REGISTER_BODY_MIN_VERSION)
      continue;
    if (!cmd.body.subarray(0, 64).toString('latin1').includes('"topicConfigSerializeWrapper"')) {
      continue;
    }
    out.push([name, cmd.body, cmd.version]);
  }
  return out;
}

describe('readPlainTopicConfig', () => {
  it.each(['rocketmq-4.9.7', 'rocketmq-5.3.3'] as const)(
    'reads every topic of the %s brokers’ JSON registrations, as the general decoder does',
    (set) => {
      const bodies = registerBodies(set);
      expect(bodies.length).toBeGreaterThan(0);
      let entries = 0;
      for (const [name, body, version] of bodies) {
        const text = body.toString('utf8');
        const table = JSON.parse(text).topicConfigSerializeWrapper.topicConfigTable as Record<
          string,
          unknown
        >;
        for (const key of Object.keys(table)) {
          // The entry's own bytes, as the broker wrote them.
          const start = text.indexOf(`${JSON.stringify(key)}:{`);
          expect(start, `${name}: ${key}`).toBeGreaterThanOrEqual(0);
          const ke = plainKeyEnd(body, Buffer.byteLength(text.slice(0, start)));
          expect(ke, `${name}: ${key} is a plain key`).toBeGreaterThan(0);
          const read = readPlainTopicConfig(body, ke + 2, key, ke - Buffer.byteLength(key), ke);
          expect(read, `${name}: ${key}`).not.toBeNull();
          expect(read!.config).toEqual(readTopicConfig(table[key], 'w', key));
          entries++;
        }
        // And the body as a whole takes the same result as the general decoder.
        const fresh = decodeRegisterBodyWithBase(body, { compressed: false, version }, null);
        expect(fresh.delta).toEqual({
          kind: 'full',
          body: decodeRegisterBrokerBody(body, { compressed: false, version }),
        });
      }
      expect(entries).toBeGreaterThan(10);
    },
  );

  const int = fc.oneof(
    fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).map(String),
    fc.constantFrom(
      '0',
      '-0',
      '007',
      '1e2',
      '1.0',
      '1.5',
      '2147483647',
      '2147483648',
      '-2147483648',
      '123456789',
      '1234567890',
      '-',
      '"5"',
      'null',
      'true',
      '+1',
    ),
  );
  const field = fc.oneof(
    fc.tuple(fc.constantFrom('readQueueNums', 'writeQueueNums', 'perm', 'topicSysFlag'), int),
    fc.tuple(fc.constant('topicSynFlag'), int),
    fc.tuple(fc.constant('order'), fc.constantFrom('true', 'false', 'null', '0', '"true"', 'tru')),
    fc.tuple(
      fc.constant('topicFilterType'),
      fc.constantFrom('"SINGLE_TAG"', '"MULTI_TAG"', '0', '1', '"OTHER"', 'null', '"SINGLE_TAG'),
    ),
    fc.tuple(fc.constant('topicName'), fc.constantFrom('KEY', 'OTHER', 'null', '"K\\u0045Y"')),
    fc.tuple(
      fc.constant('attributes'),
      fc.constantFrom('{}', '{"+a":"b"}', 'null', '[]', '{ }', '{"a":1}'),
    ),
    fc.tuple(fc.constantFrom('unknown', 'topicNam', 'permX', 'Perm'), fc.constantFrom('1', '{}')),
  );
  const key = fc.constantFrom('t', 'TopicA', 'é-topic', '%RETRY%group', 'a b', '日本');
  const value = fc.array(field, { maxLength: 9 });

  it('reads a value only when the general decoder gives exactly that (random objects)', () => {
    let plain = 0;
    fc.assert(
      fc.property(
        key,
        value,
        fc.option(fc.tuple(fc.nat(), fc.constantFrom(' ', '\n', ',', '}', '\\')), { nil: null }),
        (k, fields, noise) => {
          let text =
            '{' +
            fields
              .map(([f, v]) => {
                const shown =
                  f === 'topicName' && v === 'KEY'
                    ? JSON.stringify(k)
                    : f === 'topicName' && v === 'OTHER'
                      ? JSON.stringify(k + 'x')
                      : v;
                return `"${f}":${shown}`;
              })
              .join(',') +
            '}';
          if (noise !== null) {
            const at = noise[0] % (text.length + 1);
            text = text.slice(0, at) + noise[1] + text.slice(at);
          }
          const e = entry(k, text);
          const read = readPlainTopicConfig(e.buf, e.at, k, e.ks, e.ke);
          if (read === null) return;
          plain++;
          // What it read is the object at the start of the text (a stray byte after it is the
          // caller's to judge).
          const read_ = e.buf.toString('utf8', e.at, read.end);
          expect(text.startsWith(read_)).toBe(true);
          const want = general(k, read_);
          expect(want).not.toBeInstanceOf(Error);
          expect(read.config).toEqual(want);
          // toEqual does not tell -0 from 0; JSON.parse does.
          for (const f of ['readQueueNums', 'writeQueueNums', 'perm', 'topicSysFlag'] as const) {
            expect(Object.is(read.config[f], (want as typeof read.config)[f])).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
    // The property says something only if plain values came up often enough.
    expect(plain).toBeGreaterThan(100);
  });

  it('leaves alone what is not plain', () => {
    const cases = [
      '{"perm": 6}',
      '{"perm":6,"perm":7}',
      '{"perm":06}',
      '{"perm":1e1}',
      '{"perm":1234567890}',
      '{"perm":null}',
      '{"order":0}',
      '{"topicFilterType":1}',
      '{"topicName":"other"}',
      '{"attributes":{"a":"b"}}',
      '{"topicSynFlag":1}',
      '{"extra":1}',
      '{"perm":6,}',
      '{"perm":6',
      '[]',
    ];
    for (const text of cases) {
      const e = entry('t', text);
      expect(readPlainTopicConfig(e.buf, e.at, 't', e.ks, e.ke), text).toBeNull();
    }
  });

  it('reads the defaults of the fields a value leaves out', () => {
    const e = entry('t', '{}');
    expect(readPlainTopicConfig(e.buf, e.at, 't', e.ks, e.ke)?.config).toEqual(general('t', '{}'));
  });
});

describe('a new broker’s JSON body, plain or not, decodes as the general decoder does', () => {
  const plainValue = fc
    .record({
      readQueueNums: fc.integer({ min: 0, max: 1024 }),
      writeQueueNums: fc.integer({ min: 0, max: 1024 }),
      perm: fc.integer({ min: 0, max: 7 }),
      sys: fc.integer({ min: 0, max: 3 }),
      order: fc.boolean(),
      multi: fc.boolean(),
      attrs: fc.boolean(),
    })
    .map(
      (v) =>
        (name: string): string =>
          '{' +
          (v.attrs ? '"attributes":{},' : '') +
          `"order":${v.order},"perm":${v.perm},"readQueueNums":${v.readQueueNums},` +
          `"topicFilterType":"${v.multi ? 'MULTI_TAG' : 'SINGLE_TAG'}",` +
          `"topicName":${JSON.stringify(name)},"topicSysFlag":${v.sys},` +
          `"writeQueueNums":${v.writeQueueNums}}`,
    );
  // Mostly plain entries; now and then one the plain reader leaves to the general decoder.
  const odd = fc.constantFrom(
    (n: string) => `{"topicName":${JSON.stringify(n)},"perm":6,"extra":[1,2]}`,
    (n: string) => `{"topicName":${JSON.stringify(n)}, "perm":6}`,
    () => 'null',
    () => '{"perm":"x"}',
    () => '{"topicName":"someone-else"}',
  );
  const name = fc.oneof(
    fc.constantFrom('a', 'b', 'c', 'é', '%RETRY%g', '12', '0', 'x"y', 'tab\t'),
    fc.string({ minLength: 1, maxLength: 4 }),
  );

  it('same table, same order, same errors (random bodies)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.oneof({ weight: 9, arbitrary: plainValue }, odd)), {
          maxLength: 12,
        }),
        fc.boolean(),
        (entries, prefixFilterServers) => {
          const table = entries.map(([n, v]) => `${JSON.stringify(n)}:${v(n)}`).join(',');
          const text =
            `{"filterServerList":${prefixFilterServers ? '["10.0.0.1:1"]' : '[]'},` +
            `"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":9},` +
            `"topicConfigTable":{${table}}}}`;
          const body = Buffer.from(text, 'utf8');
          const options = { compressed: false, version: 407 };
          let want: unknown;
          try {
            want = decodeRegisterBrokerBody(body, options);
          } catch (err) {
            want = err;
          }
          let got: unknown;
          try {
            const fresh = decodeRegisterBodyWithBase(body, options, null);
            expect(fresh.delta.kind).toBe('full');
            got = fresh.delta.kind === 'full' ? fresh.delta.body : null;
            // The base it keeps serves the next registration: the same body is "unchanged".
            if (fresh.base !== null) {
              expect(decodeRegisterBodyWithBase(body, options, fresh.base).delta.kind).toBe(
                'unchanged',
              );
            }
          } catch (err) {
            got = err;
          }
          if (want instanceof Error) {
            expect(got).toBeInstanceOf(want.constructor);
            expect((got as Error).message).toBe(want.message);
            return;
          }
          expect(got).toEqual(want);
          const order = (b: unknown): string[] => [
            ...(
              b as ReturnType<typeof decodeRegisterBrokerBody>
            ).topicConfigSerializeWrapper.topicConfigTable.keys(),
          ];
          expect(order(got)).toEqual(order(want));
        },
      ),
      { numRuns: 1500 },
    );
  });
});
