/** Pure parts: options, split planning, topic input, topics files, CLI arguments. */
import { describe, expect, it } from 'vitest';
import { BrokerAgent } from '../src/broker-agent.js';
import { InvalidOptionError } from '@ns/client';
import {
  buildRegistrationPayload,
  chunkDataVersion,
  clampRegisterPeriod,
  ExpiryTooShortError,
  planChunks,
  resolveAgentOptions,
  toTopicTable,
  TopicsFileError,
} from '@ns/broker-agent';
import type { TopicConfig } from '@ns/protocol';
import { decodeRegisterBrokerBody } from '../src/protocol-codecs.js';
import { missingAddressSource, parseCliArgs } from '../src/cli-args.js';
import { parseTopicsJson, parseTopicsProperties } from '../src/topics-file.js';

const base = { clusterName: 'C', brokerName: 'b', brokerAddr: '10.0.0.1:10911' };

function table(n: number): Map<string, TopicConfig> {
  return toTopicTable(Array.from({ length: n }, (_, i) => ({ topicName: `t${i}` })));
}

describe('options', () => {
  it('clamps the period like Java and honours the explicit unsafe override', () => {
    expect(clampRegisterPeriod(1_000)).toBe(10_000);
    expect(clampRegisterPeriod(90_000)).toBe(60_000);
    expect(resolveAgentOptions(base).registerPeriodMs).toBe(30_000);
    expect(resolveAgentOptions({ ...base, registerNameServerPeriodMs: 5 }).registerPeriodMs).toBe(
      10_000,
    );
    expect(resolveAgentOptions({ ...base, unsafeRegisterPeriodMs: 50 }).registerPeriodMs).toBe(50);
  });

  it('refuses values of the wrong type, naming the option', () => {
    const bad = (extra: Record<string, unknown>) => () =>
      resolveAgentOptions({ ...base, ...extra });
    // "false" is truthy: it used to register as forceRegister=true.
    expect(bad({ forceRegister: 'false' })).toThrow(/forceRegister: expected true or false/);
    expect(bad({ compressedRegister: 1 })).toThrow(/compressedRegister/);
    expect(bad({ enableActingMaster: 'yes' })).toThrow(/enableActingMaster/);
    // A string used to be sent as its characters, one filter server each.
    expect(bad({ filterServerList: '10.0.0.1:9999' })).toThrow(
      /filterServerList: expected an array/,
    );
    expect(bad({ filterServerList: ['nope'] })).toThrow(/filterServerList\[0\]/);
    expect(
      resolveAgentOptions({ ...base, filterServerList: ['10.0.0.1:9999'] }).filterServerList,
    ).toEqual(['10.0.0.1:9999']);
    expect(bad({ zoneName: 3 })).toThrow(/zoneName/);
    const agentWith = (dataVersion: unknown) => () =>
      new BrokerAgent({ ...base, namesrvAddr: '127.0.0.1:1', env: {}, dataVersion } as never);
    expect(agentWith({ counter: Number.NaN, timestamp: 1 })).toThrow(/dataVersion: counter/);
    expect(agentWith({ counter: 1 })).toThrow(/dataVersion: counter/);
  });

  it('refuses a heartbeatTimeoutMillis the node would expire the broker within, naming both values', () => {
    const refused = (o: Partial<Parameters<typeof resolveAgentOptions>[0]>) => {
      try {
        resolveAgentOptions({ ...base, ...o });
      } catch (err) {
        expect(err).toBeInstanceOf(ExpiryTooShortError);
        expect((err as InvalidOptionError).option).toBe('heartbeatTimeoutMillis');
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refused({ heartbeatTimeoutMillis: 30_000 })).toBe(
      'heartbeatTimeoutMillis 30000 (given) must be more than registerNameServerPeriodMs 30000 (the default) with heartbeat none: the NameServer would expire the broker between two registrations',
    );
    expect(refused({ heartbeatTimeoutMillis: 30_001 })).toBe('accepted');
    expect(refused({ heartbeatTimeoutMillis: 700, unsafeRegisterPeriodMs: 700 })).toMatch(
      /^heartbeatTimeoutMillis 700 \(given\) must be more than unsafeRegisterPeriodMs 700 \(given\)/,
    );
    expect(
      refused({
        heartbeatTimeoutMillis: 500,
        heartbeat: 'brokerHeartbeat',
        heartbeatIntervalMs: 500,
      }),
    ).toMatch(
      /^heartbeatTimeoutMillis 500 \(given\) must be more than heartbeatIntervalMs 500 \(given\) with heartbeat brokerHeartbeat: .* between two heartbeats$/,
    );
    // With heartbeats, the period no longer matters: the beats refresh the broker.
    expect(refused({ heartbeatTimeoutMillis: 2_000, heartbeat: 'queryDataVersion' })).toBe(
      'accepted',
    );
  });

  it('has Java 4.9 defaults and derives the HA address', () => {
    const o = resolveAgentOptions(base);
    expect(o).toMatchObject({
      brokerId: 0,
      haServerAddr: '10.0.0.1:10912',
      requestTimeoutMs: 6_000,
      forceRegister: true,
      compressedRegister: false,
      heartbeat: 'none',
      heartbeatIntervalMs: 1_000,
      version: 407,
      splitRegistration: 'auto',
      splitRegistrationSize: 800,
    });
  });

  it('rejects bad options naming the option', () => {
    expect(() => resolveAgentOptions({ ...base, brokerAddr: 'nope' })).toThrow(InvalidOptionError);
    expect(() => resolveAgentOptions({ ...base, brokerName: '' })).toThrow(/brokerName/);
    expect(() => resolveAgentOptions({ ...base, brokerId: -1 })).toThrow(/brokerId/);
  });
});

describe('split plan', () => {
  const plan = (n: number, mode: 'auto' | 'always' | 'never', bytes = 0, max = 1 << 30) =>
    planChunks({
      table: table(n),
      mode,
      splitRegistrationSize: 800,
      unsplitBodyBytes: () => bytes,
      maxUnsplitBodyBytes: max,
    }).map((c) => c.length);

  it('auto: one request up to splitRegistrationSize topics, chunks of 800 above', () => {
    expect(plan(800, 'auto')).toEqual([800]);
    expect(plan(801, 'auto')).toEqual([800, 1]);
    expect(plan(2_000, 'auto')).toEqual([800, 800, 400]);
    expect(plan(2_000, 'never')).toEqual([2_000]);
  });

  it('auto: a small table with a huge body is split too, never into larger pieces than its size says', () => {
    // 10 topics of about 500 bytes each (their estimates scaled to the body), 1,000 at most.
    expect(plan(10, 'auto', 5_000, 1_000)).toEqual([2, 2, 2, 2, 2]);
    // Smaller than the estimates (a compressed body): the estimates stand.
    expect(plan(10, 'auto', 1_100, 1_000)).toEqual([4, 4, 2]);
    // Two topics are cut too.
    expect(plan(2, 'auto', 1_100, 1_000)).toEqual([0, 1, 1]);
  });

  it('auto: above splitRegistrationSize, chunks also stay under maxUnsplitBodyBytes', () => {
    // 801 topics with 25 KB of attributes each: chunks of 800 would be 20 MB frames, past the
    // 16 MiB limit every node refuses.
    const attributes = new Map([['+note', 'x'.repeat(25_000)]]);
    const big = new Map(
      [...table(801).entries()].map(([k, t]) => [k, { ...t, attributes }] as const),
    );
    const groups = planChunks({
      table: big,
      mode: 'auto',
      splitRegistrationSize: 800,
      unsplitBodyBytes: () => 0,
      maxUnsplitBodyBytes: 8 * 1024 * 1024,
    });
    expect(groups.flat()).toHaveLength(801);
    // Each group as one request, to measure it.
    const o = resolveAgentOptions({ ...base, splitRegistration: 'never' });
    for (const g of groups) {
      expect(g.length).toBeLessThanOrEqual(800);
      const body = buildRegistrationPayload(o, new Map(g.map((t) => [t.topicName, t])), {
        counter: 1,
        timestamp: 1,
      }).chunks[0]!.request.body!;
      expect(body.length).toBeLessThanOrEqual(8 * 1024 * 1024);
    }
    // Without attributes: by count alone, as before.
    expect(plan(1_601, 'auto')).toEqual([800, 800, 1]);
  });

  it('auto: a small table whose large topics come first is cut by size, not by count', () => {
    // 20 topics of 900 KB attributes, then 80 small ones: cut in proportion by count, the first
    // chunk held all 20 large topics (18 MB, past the 16 MiB frame limit).
    const large = new Map([['+note', 'x'.repeat(900_000)]]);
    const skewed = new Map(
      [...table(100).entries()].map(
        ([k, t], i) => [k, i < 20 ? { ...t, attributes: large } : t] as const,
      ),
    );
    const max = 8 * 1024 * 1024;
    const o = resolveAgentOptions({ ...base, splitRegistration: 'never' });
    const bodyOf = (topics: TopicConfig[]) =>
      buildRegistrationPayload(o, new Map(topics.map((t) => [t.topicName, t])), {
        counter: 1,
        timestamp: 1,
      }).chunks[0]!.request.body!.length;
    const groups = planChunks({
      table: skewed,
      mode: 'auto',
      splitRegistrationSize: 800,
      unsplitBodyBytes: () => bodyOf([...skewed.values()]),
      maxUnsplitBodyBytes: max,
    });
    expect(groups.flat()).toHaveLength(100);
    for (const g of groups) expect(bodyOf(g)).toBeLessThanOrEqual(max);
  });

  it('never sends exactly one topic first (5.x single-topic guard)', () => {
    expect(plan(1, 'auto')).toEqual([0, 1]);
    expect(plan(1, 'never')).toEqual([0, 1]);
    expect(plan(0, 'auto')).toEqual([0]);
  });

  it('chunks carry distinct transitional versions, the last one the real version', () => {
    const real = { counter: 7, timestamp: 1_700_000_000_000 };
    const versions = [0, 1, 2].map((i) => chunkDataVersion(real, i, 3));
    expect(versions).toEqual([
      { counter: -1, timestamp: real.timestamp },
      { counter: -2, timestamp: real.timestamp },
      real,
    ]);
  });

  it('payload chunks decode to the planned topics and versions, with the same header fields', () => {
    const o = resolveAgentOptions({ ...base, splitRegistrationSize: 2 });
    const dv = { counter: 3, timestamp: 42 };
    const payload = buildRegistrationPayload(o, table(5), dv);
    expect(payload.chunks.map((c) => c.topicCount)).toEqual([2, 2, 1]);
    const decoded = payload.chunks.map((c) =>
      decodeRegisterBrokerBody(c.request.body ?? null, { compressed: false, version: 407 }),
    );
    expect(decoded.map((b) => b.topicConfigSerializeWrapper.dataVersion.counter)).toEqual([
      -1, -2, 3,
    ]);
    const names = decoded.flatMap((b) => [
      ...b.topicConfigSerializeWrapper.topicConfigTable.keys(),
    ]);
    expect(names.sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    const keys = payload.chunks.map((c) => Object.keys(c.request.extFields ?? {}).join(','));
    expect(new Set(keys).size).toBe(1);
  });
});

describe('topic input and files', () => {
  it('fills Java defaults and rejects bad fields', () => {
    const t = toTopicTable([{ topicName: 'a' }]).get('a');
    expect(t).toEqual({
      topicName: 'a',
      readQueueNums: 16,
      writeQueueNums: 16,
      perm: 6,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
    });
    expect(() => toTopicTable([{ topicName: '' }])).toThrow(InvalidOptionError);
    // Java TopicValidator's characters only: a space broke the compressed body at every node.
    expect(() => toTopicTable([{ topicName: 'bad topic' }])).toThrow(/TopicValidator/);
    expect(() => toTopicTable([{ topicName: 'x'.repeat(128) }])).toThrow(/TopicValidator/);
    expect(toTopicTable([{ topicName: '%RETRY%g|x_y-1' }]).size).toBe(1);
    expect(() => toTopicTable([{ topicName: 'x', order: 'yes' as unknown as boolean }])).toThrow(
      /order: expected true or false, got "yes"/,
    );
    expect(() => toTopicTable([{ topicName: 'x', readQueueNums: -1 }])).toThrow(/readQueueNums/);
  });

  it('reads a broker topics.json with its DataVersion, maps and arrays', () => {
    const f = parseTopicsJson(
      'topics.json',
      '{"dataVersion":{"counter":5,"timestamp":99},"topicConfigTable":{"A":{"topicName":"A","readQueueNums":4,"writeQueueNums":4,"perm":6}}}',
    );
    expect(f.dataVersion).toEqual({ counter: 5, timestamp: 99 });
    expect(f.topics.get('A')?.readQueueNums).toBe(4);
    expect(parseTopicsJson('m.json', '{"B":{"perm":4}}').topics.get('B')?.perm).toBe(4);
    expect(parseTopicsJson('a.json', '[{"topicName":"C"}]').topics.has('C')).toBe(true);
    expect(() => parseTopicsJson('bad.json', '{')).toThrow(TopicsFileError);
    for (const dv of [
      '{"counter":1.5,"timestamp":1}',
      '{"counter":1}',
      '{"counter":-1,"timestamp":1}',
    ]) {
      expect(() =>
        parseTopicsJson('dv.json', `{"dataVersion":${dv},"topicConfigTable":{}}`),
      ).toThrow(/counter and timestamp must be integers/);
    }
  });

  it('a bad topics file entry names the file, topic, field, what was expected and the value as JSON', () => {
    const jsonError = (text: string) => {
      try {
        parseTopicsJson('f.json', text);
      } catch (err) {
        expect(err).toBeInstanceOf(TopicsFileError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    const settings = 'an object of topic settings (readQueueNums, writeQueueNums, perm, …)';
    expect(jsonError('{"T":null}')).toBe(`f.json: topic "T": expected ${settings}, got null`);
    expect(jsonError('{"topicConfigTable":{"T":5}}')).toBe(
      `f.json: topic "T": expected ${settings}, got 5`,
    );
    expect(jsonError('[{"topicName":"A"},"B"]')).toBe(
      `f.json: topics[1]: expected ${settings}, got "B"`,
    );
    // A string is not a number, however it looks: the message must show it is one.
    expect(jsonError('{"T":{"readQueueNums":"8"}}')).toBe(
      'f.json: topic "T": readQueueNums: expected an integer in 0..2147483647, got "8"',
    );
    expect(jsonError('{"T":{"perm":99}}')).toBe(
      'f.json: topic "T": perm: expected an integer in 0..7, got 99',
    );
    expect(jsonError('{"T":{"perm":8}}')).toMatch(/perm: expected an integer in 0\.\.7, got 8$/);
    expect(jsonError('{"T":{"perm":7}}')).toBe('accepted');
    expect(jsonError('{"T":{"attributes":"x"}}')).toBe(
      'f.json: topic "T": attributes: expected an object of string values, got "x"',
    );
    expect(() => parseTopicsProperties('t.properties', 'A=1,2,99')).toThrow(
      't.properties: topic "A": perm: expected an integer in 0..7, got 99',
    );
    expect(() => parseTopicsProperties('t.properties', 'A=1,y')).toThrow(
      't.properties: topic "A": writeQueueNums: expected a non-negative integer, got "y"',
    );
  });

  it('reads .properties lines <topic>=<queues> or <read>,<write>[,<perm>]', () => {
    const f = parseTopicsProperties('t.properties', '# c\nA=4\nB=2,3,4\nC=\n');
    expect(f.topics.get('A')).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    expect(f.topics.get('B')).toMatchObject({ readQueueNums: 2, writeQueueNums: 3, perm: 4 });
    expect(f.topics.get('C')).toMatchObject({ readQueueNums: 16 });
    expect(() => parseTopicsProperties('t.properties', 'A=x')).toThrow(TopicsFileError);
  });
});

describe('CLI arguments', () => {
  it('--no-force-register is a flag of its own (no other --no-… form; works on Node 22.2)', () => {
    const base = ['--broker-addr=1.2.3.4:10911'];
    expect(parseCliArgs([...base, '--no-force-register']).options.forceRegister).toBe(false);
    expect(parseCliArgs([...base, '--force-register']).options.forceRegister).toBe(true);
    expect(parseCliArgs(base).options).not.toHaveProperty('forceRegister');
    expect(() => parseCliArgs([...base, '--force-register', '--no-force-register'])).toThrow(
      '--force-register and --no-force-register: give one of them',
    );
    // Node's allowNegative (22.4+) would take these; the usage documents none of them.
    expect(() => parseCliArgs([...base, '--no-compressed'])).toThrow(InvalidOptionError);
  });

  it('maps flags to agent options', () => {
    const a = parseCliArgs([
      '-n',
      'a:1;b:2',
      '--broker-addr=1.2.3.4:10911',
      '--broker-id',
      '1',
      '--no-force-register',
      '--heartbeat',
      'brokerHeartbeat',
      '--period',
      '20000',
      '--ext',
      'AccessKey=rocketmq2',
      '--addr-service-url',
      'http://x/ns',
      '--heartbeat-await-reply',
      '--unregister-timeout',
      '500',
    ]);
    expect(a.options).toMatchObject({
      namesrvAddr: 'a:1;b:2',
      brokerAddr: '1.2.3.4:10911',
      brokerId: 1,
      forceRegister: false,
      heartbeat: 'brokerHeartbeat',
      registerNameServerPeriodMs: 20_000,
      extFields: { AccessKey: 'rocketmq2' },
      addressService: { url: 'http://x/ns' },
      clusterName: 'DefaultCluster',
      heartbeatAwaitReply: true,
      unregisterTimeoutMs: 500,
    });
  });

  it('rejects unknown flags, bad values and a missing --broker-addr', () => {
    expect(() => parseCliArgs(['--nope'])).toThrow(InvalidOptionError);
    expect(() => parseCliArgs(['--broker-addr', 'a:1', '--period', 'soon'])).toThrow(/--period/);
    expect(() => parseCliArgs([])).toThrow(/--broker-addr/);
    expect(parseCliArgs(['-h']).help).toBe(true);
  });

  it('needs -n, NAMESRV_ADDR or --addr-service-url (no silent fallback to a default domain)', () => {
    const bare = parseCliArgs(['--broker-addr', 'a:1']);
    expect(missingAddressSource(bare, {})).toMatch(
      /^no NameServer address: give -n .*, set NAMESRV_ADDR, or give --addr-service-url <url>$/,
    );
    expect(missingAddressSource(bare, { NAMESRV_ADDR: '  ' })).toBeDefined();
    expect(missingAddressSource(bare, { NAMESRV_ADDR: '127.0.0.1:9876' })).toBeUndefined();
    const withN = parseCliArgs(['--broker-addr', 'a:1', '-n', '127.0.0.1:9876']);
    expect(missingAddressSource(withN, {})).toBeUndefined();
    const withService = parseCliArgs([
      '--broker-addr',
      'a:1',
      '--addr-service-url',
      'http://127.0.0.1:8080/rocketmq/nsaddr',
    ]);
    expect(missingAddressSource(withService, {})).toBeUndefined();
  });
});
