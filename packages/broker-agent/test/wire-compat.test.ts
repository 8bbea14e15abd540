/**
 * The agent's requests against frames captured from a real RocketMQ 4.9.7 broker
 * (fixtures/rocketmq-4.9.7): for the same identity, topics and DataVersion, the
 * header (ext fields in the same order) and body must be byte-equal; only the opaque may differ.
 */
import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, RequestCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { BrokerAgent } from '@ns/broker-agent';
import { loadFixture } from '../../protocol/test/fixtures.js';
import { decodeRegisterBrokerBody } from '../src/protocol-codecs.js';
import { startCaptureServer } from './capture-server.js';
import type { CaptureServer } from './capture-server.js';
import { waitFor } from './name-server-cluster.js';

function fixture(name: string): { raw: Buffer; command: RemotingCommand } {
  const raw = loadFixture(name).request;
  return { raw, command: decodeFrame(raw.subarray(4)) };
}

/** The JSON header text of a frame with the opaque replaced, and its body. */
function parts(raw: Buffer): { header: string; body: Buffer } {
  const headerLength = raw.readInt32BE(4) & 0xffffff;
  const header = raw.subarray(8, 8 + headerLength).toString('utf8');
  return {
    header: header.replace(/"opaque":-?\d+/, '"opaque":<opaque>'),
    body: raw.subarray(8 + headerLength),
  };
}

let capture: CaptureServer | null = null;
let agent: BrokerAgent | null = null;

afterEach(async () => {
  await agent?.stop();
  await capture?.close();
  agent = null;
  capture = null;
});

/** An agent with the fixture broker's identity, topics and DataVersion. */
async function agentLike(
  name: string,
  compressed: boolean,
  extra: Partial<ConstructorParameters<typeof BrokerAgent>[0]> = {},
): Promise<{ agent: BrokerAgent; capture: CaptureServer; fixture: RemotingCommand; raw: Buffer }> {
  const f = fixture(name);
  const ext = f.command.extFields ?? {};
  const body = decodeRegisterBrokerBody(f.command.body, { compressed, version: f.command.version });
  capture = await startCaptureServer();
  agent = new BrokerAgent({
    clusterName: ext['clusterName'] ?? '',
    brokerName: ext['brokerName'] ?? '',
    brokerId: Number(ext['brokerId']),
    brokerAddr: ext['brokerAddr'] ?? '',
    haServerAddr: ext['haServerAddr'] ?? '',
    topics: body.topicConfigSerializeWrapper.topicConfigTable,
    dataVersion: body.topicConfigSerializeWrapper.dataVersion,
    compressedRegister: compressed,
    namesrvAddr: capture.addr,
    env: {},
    ...extra,
  });
  return { agent, capture, fixture: f.command, raw: f.raw };
}

describe('REGISTER_BROKER bytes match a real 4.9.7 broker', () => {
  it('register-broker-master: same header (ext-field order included) and same body', async () => {
    const { agent, capture, raw } = await agentLike('register-broker-master', false);
    const round = await agent.start();
    expect(round.results.map((r) => r.ok)).toEqual([true]);
    const sent = capture.frames.find((f) => f.command.code === RequestCode.REGISTER_BROKER);
    expect(sent).toBeDefined();
    const ours = parts(sent!.raw);
    const theirs = parts(raw);
    expect(ours.header).toBe(theirs.header);
    expect(ours.body.equals(theirs.body)).toBe(true);
    // The agent's first request has opaque 0, as this broker's did: the whole frame is equal.
    expect(sent!.raw.equals(raw)).toBe(true);
  });

  it('register-broker-compressed: same header, CRC and deflated body as the real broker', async () => {
    const { agent, capture, raw, fixture: f } = await agentLike('register-broker-compressed', true);
    await agent.start();
    const sent = capture.frames.find((x) => x.command.code === RequestCode.REGISTER_BROKER)!;
    const ours = parts(sent.raw);
    const theirs = parts(raw);
    // The protocol deflates with pako at level 9, which reproduces java.util.zip.Deflater's
    // stream byte for byte, so even bodyCrc32 (computed over the compressed bytes) matches.
    expect(inflateSync(ours.body).equals(inflateSync(theirs.body))).toBe(true);
    expect(ours.body.equals(theirs.body)).toBe(true);
    expect(ours.header).toBe(theirs.header);
    expect(Object.keys(sent.command.extFields ?? {})).toEqual(Object.keys(f.extFields ?? {}));
  });
});

describe('other broker requests match the 4.9.7 fixtures', () => {
  it('query-data-version (forceRegister=false periodic check): same header and body', async () => {
    const f = fixture('query-data-version');
    const ext = f.command.extFields ?? {};
    capture = await startCaptureServer();
    agent = new BrokerAgent({
      clusterName: ext['clusterName'] ?? '',
      brokerName: ext['brokerName'] ?? '',
      brokerAddr: ext['brokerAddr'] ?? '',
      dataVersion: JSON.parse(f.command.body!.toString('utf8')) as {
        counter: number;
        timestamp: number;
      },
      forceRegister: false,
      unsafeRegisterPeriodMs: 20,
      namesrvAddr: capture.addr,
      env: {},
    });
    await agent.start();
    await waitFor('a QUERY_DATA_VERSION', () =>
      capture!.frames.some((x) => x.command.code === RequestCode.QUERY_DATA_VERSION),
    );
    const sent = capture.frames.find((x) => x.command.code === RequestCode.QUERY_DATA_VERSION)!;
    expect(parts(sent.raw)).toEqual(parts(f.raw));
  });

  it('unregister-broker-master (stop): same header', async () => {
    const { agent, capture } = await agentLike('register-broker-master', false);
    await agent.start();
    await agent.stop();
    const sent = capture.frames.find((x) => x.command.code === RequestCode.UNREGISTER_BROKER)!;
    expect(sent).toBeDefined();
    expect(parts(sent.raw)).toEqual(parts(fixture('unregister-broker-master').raw));
  });
});
