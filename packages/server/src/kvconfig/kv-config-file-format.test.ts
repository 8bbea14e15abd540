import { describe, expect, it } from 'vitest';
import { KVConfigCorruptError } from './kv-config-errors.js';
import { parseKVConfigFile, serializeKVConfigFile } from './kv-config-file-format.js';

describe('KV config file format', () => {
  it('reads a file written by the Java NameServer', () => {
    const java =
      '{"configTable":{"ORDER_TOPIC_CONFIG":{"OrderFixtureTopic":"broker-a:4;broker-b:4"},"custom":{"k/1":"v\\u00E9\\n"}}}';
    expect(parseKVConfigFile(java)).toEqual(
      new Map([
        ['ORDER_TOPIC_CONFIG', new Map([['OrderFixtureTopic', 'broker-a:4;broker-b:4']])],
        ['custom', new Map([['k/1', 'vé\n']])],
      ]),
    );
  });

  it('skips a leading byte order mark, as fastjson does', () => {
    expect(parseKVConfigFile('\uFEFF{"configTable":{"ns":{"k":"v"}}}')).toEqual(
      new Map([['ns', new Map([['k', 'v']])]]),
    );
  });

  it('writes compact fastjson output and round-trips odd strings', () => {
    const table = new Map([
      [
        'ns',
        new Map<string, string | null>([
          ['a"b', 'x\\y/\u0001é'],
          ['gone', null],
        ]),
      ],
      ['empty', new Map<string, string | null>()],
    ]);
    const text = serializeKVConfigFile(table);
    expect(text).toBe('{"configTable":{"ns":{"a\\"b":"x\\\\y/\\u0001é"},"empty":{}}}');
    expect(parseKVConfigFile(text)).toEqual(
      new Map([
        ['ns', new Map([['a"b', 'x\\y/\u0001é']])],
        ['empty', new Map()],
      ]),
    );
  });

  it('refuses an object with other keys but no configTable (a wrong path, a typo): loaded as empty, the next write destroyed it', () => {
    // A broker's topics.json given as kvConfigPath, or a hand edit's typo.
    expect(() => parseKVConfigFile('{"topicConfigTable":{},"dataVersion":{}}', 'kv.json')).toThrow(
      KVConfigCorruptError,
    );
    expect(() => parseKVConfigFile('{"ConfigTable":{"ns":{"k":"v"}}}', 'kv.json')).toThrow(
      /no "configTable" key but "ConfigTable"/,
    );
  });

  it('loads a document without configTable as empty, drops nulls, stringifies scalars', () => {
    expect(parseKVConfigFile('{}').size).toBe(0);
    expect(parseKVConfigFile('').size).toBe(0);
    expect(parseKVConfigFile(' \n').size).toBe(0);
    expect(parseKVConfigFile('{"configTable":null}').size).toBe(0);
    expect(parseKVConfigFile('{"configTable":{"ns":{"a":null,"n":5,"b":true}}}')).toEqual(
      new Map([
        [
          'ns',
          new Map([
            ['n', '5'],
            ['b', 'true'],
          ]),
        ],
      ]),
    );
  });

  it('keeps __proto__ keys as data', () => {
    const t = parseKVConfigFile('{"configTable":{"__proto__":{"__proto__":"v"}}}');
    expect(t.get('__proto__')!.get('__proto__')).toBe('v');
    expect(({} as Record<string, unknown>)['v']).toBeUndefined();
  });

  it.each([
    ['truncated', '{"configTable":{"ns":{"k":"v"', /invalid JSON/],
    ['not JSON', 'configTable=x', /invalid JSON/],
    ['array', '[]', /not a JSON object/],
    ['configTable not an object', '{"configTable":[1]}', /"configTable" is not an object/],
    ['namespace not an object', '{"configTable":{"ns":"x"}}', /namespace "ns" is not an object/],
    ['nested value', '{"configTable":{"ns":{"k":{"a":1}}}}', /value of "ns"\/"k" is not a string/],
  ])('rejects a corrupt file (%s) naming the path and problem', (_name, text, problem) => {
    let caught: unknown;
    try {
      parseKVConfigFile(text, '/data/kvConfig.json');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KVConfigCorruptError);
    const err = caught as KVConfigCorruptError;
    expect(err.code).toBe('NS_KV_CONFIG_CORRUPT');
    expect(err.path).toBe('/data/kvConfig.json');
    expect(err.message).toContain('/data/kvConfig.json');
    expect(err.message).toMatch(problem);
  });
});
