import { describe, expect, it } from 'vitest';
import { ResponseCode, SerializeType } from '@ns/protocol';
import { bodyText, createHarness, register, registerRequest, request } from './handlers-harness.js';

const ROUTE = 105;

function route(h: ReturnType<typeof createHarness>, topic: string) {
  return h.send(ROUTE, { ext: { topic } });
}

describe('REGISTER_BROKER (103)', () => {
  it('registers a master: SUCCESS, "extFields":{} and no body while ORDER_TOPIC_CONFIG is absent', () => {
    const h = createHarness();
    const res = register(h, { topics: [{ name: 'TopicA' }] })!;
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields).toEqual({});
    expect(res.body).toBeNull();
    expect(res.remark).toBeNull();
    expect(route(h, 'TopicA').code).toBe(ResponseCode.SUCCESS);
  });

  it('answers a slave with the master and HA addresses once the master is registered', () => {
    const h = createHarness();
    const slave = { brokerId: 1, brokerAddr: '10.0.0.2:10911', haServerAddr: '10.0.0.2:10912' };
    expect(register(h, { ...slave, connectionId: 2 })!.extFields).toEqual({});
    register(h, { topics: [{ name: 'TopicA' }] });
    const res = register(h, { ...slave, connectionId: 2 })!;
    expect(res.extFields).toEqual({ haServerAddr: '10.0.0.1:10912', masterAddr: '10.0.0.1:10911' });
    // Java HashMap order of the two keys (fixture register-broker-slave).
    expect(Object.keys(res.extFields!)).toEqual(['haServerAddr', 'masterAddr']);
  });

  it('keeps a master registered without haServerAddr, and gives its slaves no HA address (Java: null)', () => {
    const h = createHarness();
    const master = registerRequest({ topics: [{ name: 'TopicA' }] });
    delete master.extFields!['haServerAddr'];
    expect(h.dispatch(master, { connectionId: 1 })!.code).toBe(ResponseCode.SUCCESS);
    expect(route(h, 'TopicA').code).toBe(ResponseCode.SUCCESS);
    const slave = { brokerId: 1, brokerAddr: '10.0.0.2:10911', haServerAddr: '10.0.0.2:10912' };
    const res = register(h, { ...slave, connectionId: 2 })!;
    expect(res.extFields).toEqual({ masterAddr: '10.0.0.1:10911' });
  });

  it('needs no brokerName (nor brokerId) in QUERY_DATA_VERSION and BROKER_HEARTBEAT: Java never reads them', () => {
    const h = createHarness();
    register(h, { counter: 5, timestamp: 7 });
    const ext = { clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911' };
    const qdv = h.send(322, { ext, body: '{"counter":5,"timestamp":7}' });
    expect([qdv.code, qdv.extFields]).toEqual([ResponseCode.SUCCESS, { changed: 'false' }]);
    h.clock.t += 60_000;
    expect(h.send(904, { ext }).code).toBe(ResponseCode.SUCCESS);
    expect(h.routes.getBrokerLiveViews()[0]!.lastUpdateTimestamp).toBe(h.clock.t);
    // The broker's address is another matter: without it there is no broker to ask about.
    expect(h.send(322, { ext: { clusterName: 'DefaultCluster' }, body: '{}' }).remark).toMatch(
      /missing required field "brokerAddr"/,
    );
  });

  it('refuses a body whose CRC does not match with SYSTEM_ERROR "crc32 not match" and changes nothing', () => {
    const h = createHarness();
    const res = register(h, { topics: [{ name: 'TopicA' }], bodyCrc32: '12345' })!;
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBe('crc32 not match');
    expect(res.extFields).toEqual({});
    expect(route(h, 'TopicA').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('checks a negative bodyCrc32 too (Java skips only 0): it never matches, so it is refused', () => {
    const h = createHarness();
    const res = register(h, { topics: [{ name: 'TopicA' }], bodyCrc32: '-5' })!;
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBe('crc32 not match');
    expect(route(h, 'TopicA').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('skips the CRC check when bodyCrc32 is 0 or absent', () => {
    const h = createHarness();
    expect(register(h, { topics: [{ name: 'T0' }], bodyCrc32: '0' })!.code).toBe(0);
    const req = registerRequest({ topics: [{ name: 'T1' }], counter: 2 });
    delete req.extFields!['bodyCrc32'];
    expect(h.dispatch(req)!.code).toBe(ResponseCode.SUCCESS);
    expect(route(h, 'T1').code).toBe(ResponseCode.SUCCESS);
  });

  it('accepts a compressed (4.9 broker) body; topicSysFlag is not carried', () => {
    const h = createHarness();
    const res = register(h, {
      compressed: true,
      topics: [{ name: 'Zipped', queues: 8, topicSysFlag: 1 }],
    })!;
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const body = bodyText(route(h, 'Zipped'))!;
    expect(body).toContain('"readQueueNums":8');
    expect(body).toContain('"topicSysFlag":0');
  });

  it('reads a bare TopicConfigSerializeWrapper body from a pre-3.0.11 (version < 37) broker', () => {
    const h = createHarness();
    const res = register(h, { version: 20, topics: [{ name: 'Old' }] })!;
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(route(h, 'Old').code).toBe(ResponseCode.SUCCESS);
  });

  it('registers with no body at all (empty topic table)', () => {
    const h = createHarness();
    const req = registerRequest();
    req.body = null;
    req.extFields!['bodyCrc32'] = '0';
    expect(h.dispatch(req)!.code).toBe(ResponseCode.SUCCESS);
    expect(h.routes.getAllClusterInfo().brokerAddrTable.has('broker-a')).toBe(true);
  });

  it('answers an undecodable body with SYSTEM_ERROR naming the problem', () => {
    const h = createHarness();
    const req = registerRequest();
    req.body = Buffer.from('{"topicConfigSerializeWrapper":[');
    req.extFields!['bodyCrc32'] = '0';
    const res = h.dispatch(req)!;
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toMatch(/RegisterBrokerBody|JSON|json/);
  });

  it('returns the whole ORDER_TOPIC_CONFIG namespace as KVTable body when it exists', () => {
    const h = createHarness();
    h.send(100, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'OrderT', value: 'broker-a:8' } });
    const res = register(h, { topics: [{ name: 'OrderT' }] })!;
    expect(bodyText(res)).toBe('{"table":{"OrderT":"broker-a:8"}}');
    // An emptied namespace still exists (Java never removes it): {"table":{}}.
    h.send(102, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'OrderT' } });
    expect(bodyText(register(h, { counter: 2 }))).toBe('{"table":{}}');
  });

  it('does not return ORDER_TOPIC_CONFIG when returnOrderTopicConfigToBroker=false (5.x)', () => {
    const h = createHarness({ config: { returnOrderTopicConfigToBroker: false } });
    h.send(100, { ext: { namespace: 'ORDER_TOPIC_CONFIG', key: 'OrderT', value: 'broker-a:8' } });
    expect(register(h)!.body).toBeNull();
  });

  it('answers a missing or unparsable required header field with SYSTEM_ERROR naming it', () => {
    const h = createHarness();
    const req = registerRequest();
    delete req.extFields!['brokerId'];
    const res = h.dispatch(req)!;
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toMatch(/missing required field "brokerId"/);
    const bad = registerRequest({ extraExt: { brokerId: 'abc' } });
    expect(h.dispatch(bad)!.remark).toBe(
      'RegisterBrokerRequestHeader: field "brokerId" is "abc", expected a decimal long (within ±2^53)',
    );
  });

  it('processes a one-way registration without answering', () => {
    const h = createHarness();
    expect(register(h, { oneway: true, topics: [{ name: 'Quiet' }] })).toBeNull();
    expect(route(h, 'Quiet').code).toBe(ResponseCode.SUCCESS);
  });

  it('passes the 5.x fields (heartbeatTimeoutMillis, enableActingMaster, __ZONE_NAME) to the route manager', () => {
    const h = createHarness();
    register(h, {
      topics: [{ name: 'Z' }],
      extraExt: {
        heartbeatTimeoutMillis: '10000',
        enableActingMaster: 'true',
        __ZONE_NAME: 'zone-1',
      },
    });
    const live = h.routes.getBrokerLiveViews();
    expect(live[0]!.heartbeatTimeoutMillis).toBe(10_000);
    const bd = h.routes.getAllClusterInfo().brokerAddrTable.get('broker-a')!;
    expect(bd.zoneName).toBe('zone-1');
    expect(bd.enableActingMaster).toBe(true);
  });

  it('answers SYSTEM_ERROR "register broker failed" when the 5.x single-topic guard refuses', () => {
    const h = createHarness({ routeOptions: { rejectFirstSingleTopicRegistration: true } });
    const res = register(h, { topics: [{ name: 'OnlyOne' }] })!;
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toBe('register broker failed');
    expect(res.extFields).toEqual({});
    expect(route(h, 'OnlyOne').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    // A first registration with several topics is accepted.
    expect(register(h, { topics: [{ name: 'A' }, { name: 'B' }] })!.code).toBe(0);
  });

  it('answers a ROCKETMQ-serialized request in ROCKETMQ', () => {
    const h = createHarness();
    const res = register(h, { serializeType: SerializeType.ROCKETMQ })!;
    expect(res.serializeType).toBe(SerializeType.ROCKETMQ);
    expect(res.code).toBe(ResponseCode.SUCCESS);
  });
});

describe('UNREGISTER_BROKER (104)', () => {
  const ext = {
    brokerName: 'broker-a',
    brokerAddr: '10.0.0.1:10911',
    clusterName: 'DefaultCluster',
    brokerId: '0',
  };

  it('removes the broker and its routes; SUCCESS without extFields', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'TopicA' }] });
    const res = h.send(104, { ext });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields).toBeNull();
    expect(route(h, 'TopicA').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('is SUCCESS for an unknown broker', () => {
    expect(createHarness().send(104, { ext }).code).toBe(ResponseCode.SUCCESS);
  });

  it('4.9 fails without a parsable brokerId (Java unboxes it into a long); 5.x answers SUCCESS', () => {
    for (const brokerId of [undefined, 'abc']) {
      const old = createHarness({ config: { compatibilityLine: '4.9' } });
      register(old, { topics: [{ name: 'TopicA' }] });
      const res = old.send(104, { ext: { ...ext, brokerId: brokerId as never } });
      expect([res.code, res.remark], String(brokerId)).toEqual([
        ResponseCode.SYSTEM_ERROR,
        expect.stringMatching(/field "brokerId"/),
      ]);
      expect(route(old, 'TopicA').code).toBe(ResponseCode.SUCCESS);
      // 5.3.3 only queues the request: SUCCESS, whatever it holds.
      const h = createHarness();
      register(h, { topics: [{ name: 'TopicA' }] });
      const queued = h.send(104, { ext: { ...ext, brokerId: brokerId as never } });
      expect([queued.code, queued.remark, queued.extFields], String(brokerId)).toEqual([
        ResponseCode.SUCCESS,
        null,
        null,
      ]);
      expect(route(h, 'TopicA').code).toBe(ResponseCode.SUCCESS);
    }
  });

  it('without brokerName, brokerAddr or clusterName: SUCCESS on both lines, nothing removed', () => {
    for (const line of ['4.9', '5.x'] as const) {
      for (const missing of ['brokerName', 'brokerAddr', 'clusterName'] as const) {
        const h = createHarness({ config: { compatibilityLine: line } });
        register(h, { topics: [{ name: 'TopicA' }] });
        const res = h.send(104, { ext: { ...ext, [missing]: undefined as never } });
        expect([res.code, res.remark, res.extFields], `${line} ${missing}`).toEqual([
          ResponseCode.SUCCESS,
          null,
          null,
        ]);
        expect(route(h, 'TopicA').code, `${line} ${missing}`).toBe(ResponseCode.SUCCESS);
        expect(h.routes.getBrokerLiveViews()).toHaveLength(1);
      }
      // No ext fields at all: 4.9 has no brokerId to unbox.
      const bare = createHarness({ config: { compatibilityLine: line } }).send(104, {});
      expect(bare.code, line).toBe(
        line === '4.9' ? ResponseCode.SYSTEM_ERROR : ResponseCode.SUCCESS,
      );
    }
  });
});

describe('QUERY_DATA_VERSION (322)', () => {
  const ext = {
    brokerName: 'broker-a',
    brokerAddr: '10.0.0.1:10911',
    clusterName: 'DefaultCluster',
    brokerId: '0',
  };

  it('unknown broker: changed=true and no body', () => {
    const res = createHarness().send(322, { ext, body: '{"counter":0,"timestamp":0}' });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields).toEqual({ changed: 'true' });
    expect(res.body).toBeNull();
  });

  it('known broker: changed reflects the DataVersion, body is the stored one', () => {
    const h = createHarness();
    register(h, { counter: 5, timestamp: 1_700_000_000_123 });
    const same = h.send(322, { ext, body: '{"counter":5,"timestamp":1700000000123}' });
    expect(same.extFields).toEqual({ changed: 'false' });
    // 5.x's DataVersion always has a stateVersion: 0 for a 4.9 broker's body.
    expect(bodyText(same)).toBe('{"counter":5,"stateVersion":0,"timestamp":1700000000123}');
    const other = h.send(322, { ext, body: '{"counter":6,"timestamp":1700000000123}' });
    expect(other.extFields).toEqual({ changed: 'true' });
    expect(bodyText(other)).toBe('{"counter":5,"stateVersion":0,"timestamp":1700000000123}');
  });

  it('a DataVersion without a timestamp is stamped with the clock, as Java does: always a changed one', () => {
    const h = createHarness();
    register(h, { counter: 5, timestamp: null, topics: [{ name: 'TopicA' }] });
    const t0 = h.clock.t;
    const stored = `{"counter":5,"stateVersion":0,"timestamp":${t0}}`;
    expect(bodyText(h.send(322, { ext, body: '{"counter":5}' }))).toBe(stored);
    h.clock.t += 1;
    expect(h.send(322, { ext, body: '{"counter":5}' }).extFields).toEqual({ changed: 'true' });
    const same = h.send(322, { ext, body: `{"counter":5,"timestamp":${t0}}` });
    expect(same.extFields).toEqual({ changed: 'false' });
    // The same counter with a changed topic is applied: it is another version.
    register(h, { counter: 5, timestamp: null, topics: [{ name: 'TopicA', queues: 2 }] });
    expect(bodyText(route(h, 'TopicA'))).toContain('"writeQueueNums":2');
  });

  it("writes the stored DataVersion as the line's Java does (stateVersion: always on 5.x, never on 4.9)", () => {
    const registerBody = (dataVersion: string): string =>
      `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":${dataVersion},"topicConfigTable":{}}}`;
    const cases = [
      // A 4.9 broker's body on the 5.x line: Java 5.x reads stateVersion 0 and writes it.
      ['5.x', '{"counter":3,"timestamp":5}', '{"counter":3,"stateVersion":0,"timestamp":5}'],
      [
        '5.x',
        '{"counter":3,"stateVersion":7,"timestamp":5}',
        '{"counter":3,"stateVersion":7,"timestamp":5}',
      ],
      // A 5.x broker's body on the 4.9 line: 4.9's DataVersion has no stateVersion to write.
      ['4.9', '{"counter":3,"stateVersion":7,"timestamp":5}', '{"counter":3,"timestamp":5}'],
    ] as const;
    for (const [line, sent, written] of cases) {
      const h = createHarness({ config: { compatibilityLine: line } });
      const reg = h.send(103, {
        ext: { ...ext, haServerAddr: '10.0.0.1:10912' },
        body: registerBody(sent),
        version: 479,
      });
      expect(reg.code, `${line} ${sent}`).toBe(ResponseCode.SUCCESS);
      const res = h.send(322, { ext, body: '{"counter":0,"timestamp":0}' });
      expect(bodyText(res), `${line} ${sent}`).toBe(written);
    }
  });

  it('refreshes liveness (5.x semantics)', () => {
    const h = createHarness();
    register(h);
    h.clock.t += 60_000;
    h.send(322, { ext, body: '{"counter":9,"timestamp":1}' });
    expect(h.routes.getBrokerLiveViews()[0]!.lastUpdateTimestamp).toBe(h.clock.t);
  });

  it('without a body: 4.9 answers SYSTEM_ERROR; 5.x reads "no DataVersion" as changed and refreshes the broker', () => {
    const old = createHarness({ config: { compatibilityLine: '4.9' } });
    register(old);
    const res = old.send(322, { ext });
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toContain('DataVersion');
    // 5.3.3: RemotingSerializable.decode(null) is null, and null never equals the stored one.
    const h = createHarness();
    register(h);
    h.clock.t += 60_000;
    const answer = h.send(322, { ext });
    expect([answer.code, answer.extFields]).toEqual([ResponseCode.SUCCESS, { changed: 'true' }]);
    expect(answer.body).not.toBeNull(); // the stored DataVersion
    expect(h.routes.getBrokerLiveViews()[0]!.lastUpdateTimestamp).toBe(h.clock.t);
    // An unknown broker: changed, no body.
    const unknown = createHarness().send(322, { ext });
    expect([unknown.code, unknown.extFields, unknown.body]).toEqual([
      ResponseCode.SUCCESS,
      { changed: 'true' },
      null,
    ]);
  });

  it('a body `null` is a null DataVersion on both lines: changed, the stored one sent back', () => {
    for (const line of ['4.9', '5.x'] as const) {
      for (const body of ['null', ' null\n']) {
        const h = createHarness({ config: { compatibilityLine: line } });
        register(h, { counter: 5, timestamp: 7 });
        h.clock.t += 60_000;
        const res = h.send(322, { ext, body });
        expect([res.code, res.extFields], `${line} ${JSON.stringify(body)}`).toEqual([
          ResponseCode.SUCCESS,
          { changed: 'true' },
        ]);
        expect(bodyText(res)).toBe(
          line === '4.9'
            ? '{"counter":5,"timestamp":7}'
            : '{"counter":5,"stateVersion":0,"timestamp":7}',
        );
      }
    }
    // Any other text that is not a DataVersion still fails, as in Java.
    expect(createHarness().send(322, { ext, body: 'nul' }).code).toBe(ResponseCode.SYSTEM_ERROR);
  });

  it('4.9 looks a missing clusterName or brokerAddr up like any other: changed, no body; 5.x fails', () => {
    for (const missing of ['clusterName', 'brokerAddr'] as const) {
      const old = createHarness({ config: { compatibilityLine: '4.9' } });
      register(old, { counter: 5, timestamp: 7 });
      const sent = {
        ext: { ...ext, [missing]: undefined as never },
        body: '{"counter":5,"timestamp":7}',
      };
      const res = old.send(322, sent);
      expect([res.code, res.remark, res.extFields, res.body], missing).toEqual([
        ResponseCode.SUCCESS,
        null,
        { changed: 'true' },
        null,
      ]);
      // 5.3.3 hashes both into its live-table key: a NullPointerException.
      const h = createHarness();
      register(h, { counter: 5, timestamp: 7 });
      const failed = h.send(322, sent);
      expect([failed.code, failed.remark], missing).toEqual([
        ResponseCode.SYSTEM_ERROR,
        expect.stringMatching(new RegExp(`missing required field "${missing}"`)),
      ]);
    }
    // 4.9 still needs the body.
    const noBody = createHarness({ config: { compatibilityLine: '4.9' } }).send(322, {
      ext: { brokerAddr: '10.0.0.1:10911' },
    });
    expect(noBody.code).toBe(ResponseCode.SYSTEM_ERROR);
  });
});

describe('BROKER_HEARTBEAT (904) and GET_BROKER_MEMBER_GROUP (901)', () => {
  it('a heartbeat refreshes the live entry; one-way heartbeats get no answer', () => {
    const h = createHarness();
    register(h);
    h.clock.t += 30_000;
    const ext = {
      clusterName: 'DefaultCluster',
      brokerAddr: '10.0.0.1:10911',
      brokerName: 'broker-a',
    };
    expect(h.send(904, { ext }).code).toBe(ResponseCode.SUCCESS);
    expect(h.routes.getBrokerLiveViews()[0]!.lastUpdateTimestamp).toBe(h.clock.t);
    h.clock.t += 1000;
    expect(h.dispatch(request(904, { ext, oneway: true }))).toBeNull();
    expect(h.routes.getBrokerLiveViews()[0]!.lastUpdateTimestamp).toBe(h.clock.t);
  });

  it('a heartbeat without brokerAddr is refused naming the field', () => {
    const res = createHarness().send(904, { ext: { clusterName: 'c', brokerName: 'b' } });
    expect(res.remark).toMatch(/missing required field "brokerAddr"/);
  });

  it('member group lists the group addresses in legacy JSON', () => {
    const h = createHarness();
    register(h);
    register(h, { brokerId: 1, brokerAddr: '10.0.0.2:10911', connectionId: 2 });
    const res = h.send(901, { ext: { clusterName: 'DefaultCluster', brokerName: 'broker-a' } });
    expect(bodyText(res)).toBe(
      '{"brokerMemberGroup":{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}}',
    );
    const unknown = h.send(901, { ext: { clusterName: 'X', brokerName: 'nope' } });
    expect(bodyText(unknown)).toBe(
      '{"brokerMemberGroup":{"brokerAddrs":{},"brokerName":"nope","cluster":"X"}}',
    );
  });

  it('member group without clusterName or brokerName: SUCCESS, the missing member left out (Java: null)', () => {
    for (const line of ['4.9', '5.x'] as const) {
      const h = createHarness({ config: { compatibilityLine: line } });
      register(h);
      const cases: [Record<string, string> | undefined, string][] = [
        [
          { brokerName: 'broker-a' },
          '{"brokerMemberGroup":{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a"}}',
        ],
        // The lookup of a null broker name throws in Java's ConcurrentHashMap, swallowed.
        [
          { clusterName: 'DefaultCluster' },
          '{"brokerMemberGroup":{"brokerAddrs":{},"cluster":"DefaultCluster"}}',
        ],
        [{}, '{"brokerMemberGroup":{"brokerAddrs":{}}}'],
        [undefined, '{"brokerMemberGroup":{"brokerAddrs":{}}}'],
        // Names that look like the members' texts are still written, escaped.
        [
          { clusterName: '","cluster":"', brokerName: 'nope' },
          '{"brokerMemberGroup":{"brokerAddrs":{},"brokerName":"nope","cluster":"\\",\\"cluster\\":\\""}}',
        ],
        [
          { clusterName: ',"brokerName":""' },
          '{"brokerMemberGroup":{"brokerAddrs":{},"cluster":",\\"brokerName\\":\\"\\""}}',
        ],
      ];
      for (const [ext, body] of cases) {
        const res = h.send(901, ext === undefined ? {} : { ext });
        expect([res.code, res.remark, bodyText(res)], `${line} ${JSON.stringify(ext)}`).toEqual([
          ResponseCode.SUCCESS,
          'not set any response code',
          body,
        ]);
      }
    }
  });
});

describe('WIPE_WRITE_PERM_OF_BROKER (205) / ADD_WRITE_PERM_OF_BROKER (327)', () => {
  it('wipe clears the write bit, add sets perm to exactly 6; counts as strings', () => {
    const h = createHarness();
    register(h, {
      topics: [
        { name: 'A', perm: 6 },
        { name: 'B', perm: 7 },
      ],
    });
    const wipe = h.send(205, { ext: { brokerName: 'broker-a' } });
    expect(wipe.extFields).toEqual({ wipeTopicCount: '2' });
    expect(bodyText(route(h, 'A'))).toContain('"perm":4');
    expect(bodyText(route(h, 'B'))).toContain('"perm":5');
    const add = h.send(327, { ext: { brokerName: 'broker-a' } });
    expect(add.extFields).toEqual({ addTopicCount: '2' });
    expect(bodyText(route(h, 'B'))).toContain('"perm":6');
  });

  it('an unknown broker gives SUCCESS with count "0"', () => {
    const h = createHarness();
    expect(h.send(205, { ext: { brokerName: 'nope' } }).extFields).toEqual({ wipeTopicCount: '0' });
    expect(h.send(327, { ext: { brokerName: 'nope' } }).extFields).toEqual({ addTopicCount: '0' });
  });

  it('without brokerName changes nothing and counts 0 (Java reads it as null)', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'T' }] });
    const before = bodyText(route(h, 'T'));
    const wipe = h.send(205, { ext: {} });
    expect([wipe.code, wipe.extFields]).toEqual([ResponseCode.SUCCESS, { wipeTopicCount: '0' }]);
    const add = h.send(327, { ext: {} });
    expect([add.code, add.extFields]).toEqual([ResponseCode.SUCCESS, { addTopicCount: '0' }]);
    expect(bodyText(route(h, 'T'))).toBe(before);
  });
});

describe('REGISTER_BROKER with an unchanged body', () => {
  it('refreshes liveness and keeps the routes', () => {
    const h = createHarness();
    const init = { topics: [{ name: 'TopicA' }, { name: 'TopicB' }] };
    register(h, init);
    h.clock.t += 60_000;
    expect(register(h, init)!.code).toBe(ResponseCode.SUCCESS);
    expect(h.routes.getBrokerLiveViews()[0]!.lastUpdateTimestamp).toBe(h.clock.t);
    expect(route(h, 'TopicA').code).toBe(ResponseCode.SUCCESS);
  });

  it('brings back a topic deleted by DELETE_TOPIC_IN_NAMESRV (5.x f)', () => {
    const h = createHarness();
    const init = { topics: [{ name: 'TopicA' }, { name: 'TopicB' }] };
    register(h, init);
    register(h, init);
    h.routes.deleteTopic('TopicA');
    expect(route(h, 'TopicA').code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(register(h, init)!.code).toBe(ResponseCode.SUCCESS);
    expect(route(h, 'TopicA').code).toBe(ResponseCode.SUCCESS);
  });

  it('applies a changed body with the same DataVersion only per topic, like before', () => {
    const h = createHarness();
    register(h, { topics: [{ name: 'TopicA' }] });
    register(h, { topics: [{ name: 'TopicA', queues: 8 }, { name: 'TopicN' }] });
    // Same DataVersion: TopicA is kept as it was, the new TopicN is added.
    expect(bodyText(route(h, 'TopicA'))).toContain('"readQueueNums":4');
    expect(route(h, 'TopicN').code).toBe(ResponseCode.SUCCESS);
  });

  it('answers an unchanged compressed or pre-3.0.11 body the same way', () => {
    const h = createHarness();
    for (const init of [
      { compressed: true, topics: [{ name: 'Z' }] },
      { version: 20, brokerName: 'old', brokerAddr: '10.0.0.9:10911', topics: [{ name: 'O' }] },
    ]) {
      expect(register(h, init)!.code).toBe(ResponseCode.SUCCESS);
      expect(register(h, init)!.code).toBe(ResponseCode.SUCCESS);
    }
    expect(route(h, 'Z').code).toBe(ResponseCode.SUCCESS);
    expect(route(h, 'O').code).toBe(ResponseCode.SUCCESS);
  });
});
