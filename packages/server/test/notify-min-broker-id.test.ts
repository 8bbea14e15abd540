/**
 * NOTIFY_MIN_BROKER_ID_CHANGE (905) end to end, with scripted brokers: a real NameServer
 * (supportActingMaster=true, notifyMinBrokerIdChanged=true, as NameServer E of the 5.3.3 capture),
 * the 5.3.3 slave's and master's registrations replayed from the capture, and a TCP listener
 * standing in for the slave's broker port. As in the capture: the slave registers, the master
 * registers (the group's smallest id drops to 0: the slave is told), the master's connection dies
 * (kill -9: the smallest id is back to 1: the slave is told again), both on one connection the
 * NameServer opened to the slave's address.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeFrame,
  decodeNotifyMinBrokerIdChangeRequestHeader,
  encodeCommand,
  FrameDecoder,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { loadConfig } from '../src/config/index.js';
import { NameServer } from '../src/name-server.js';
import { RawClient, waitFor } from './transport-helpers.js';

const FIXTURES = new URL('../../../fixtures/rocketmq-5.3.3/', import.meta.url);

/** The first frame of `code` a peer sent in a recording of the 5.3.3 capture. */
function recorded(recording: string, code: number): RemotingCommand {
  const text = readFileSync(new URL(`recordings/${recording}`, FIXTURES), 'utf8');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = JSON.parse(line) as { dir?: string; code?: number; hex?: string };
    if (f.dir === 'c2s' && f.code === code)
      return decodeFrame(Buffer.from(f.hex!, 'hex').subarray(4));
  }
  throw new Error(`no request ${code} in ${recording}`);
}

function fixtureFrame(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`${name}.request.hex`, FIXTURES), 'utf8').trim(), 'hex');
}

let dir = '';
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** A TCP listener standing in for a broker's port: decoded frames and connection count. */
async function scriptedBrokerPort(): Promise<{
  address: string;
  frames: RemotingCommand[];
  connections: () => number;
}> {
  const frames: RemotingCommand[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) frames.push(decodeFrame(frame));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { address: `127.0.0.1:${port}`, frames, connections: () => sockets.length };
}

async function nameServer(...argv: string[]): Promise<number> {
  dir = mkdtempSync(join(tmpdir(), 'ns-notify-'));
  const config = loadConfig({
    argv: ['--bindAddress=127.0.0.1', '--listenPort=0', '--httpPort=-1', ...argv],
    env: {},
    readFile: (p) => readFileSync(p, 'utf8'),
    homeDir: dir,
  }).config;
  const server = new NameServer({ config, defaultMetrics: false });
  cleanups.push(() => server.close());
  return (await server.start()).port;
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  cleanups.push(() => c.destroy());
  return c;
}

describe('NOTIFY_MIN_BROKER_ID_CHANGE to a scripted broker', () => {
  it('tells the slave when the master registers and when the master is gone, as Java 5.3.3', async () => {
    const port = await nameServer('--supportActingMaster=true', '--notifyMinBrokerIdChanged=true');
    const slavePort = await scriptedBrokerPort();

    // The captured slave registration (brokerId 1, enableActingMaster), at our listener's address.
    const slaveRegistration = recorded('s2b-broker-a-slave.jsonl', 103);
    slaveRegistration.extFields = {
      ...slaveRegistration.extFields!,
      brokerAddr: slavePort.address,
    };
    const slave = await client(port);
    expect((await slave.request(slaveRegistration)).code).toBe(ResponseCode.SUCCESS);

    // The captured master registration (brokerId 0, 127.0.0.1:28934, HA 127.0.0.1:28935).
    const master = await client(port);
    expect((await master.request(recorded('s2b-broker-a-master.jsonl', 103))).code).toBe(
      ResponseCode.SUCCESS,
    );
    await waitFor('the first 905 at the slave', () => slavePort.frames.length === 1);
    const registered = slavePort.frames[0]!;
    // Byte-equal to the frame Java sent, but for the sender's own request counter (opaque).
    const javaRegistered = fixtureFrame('notify-min-broker-id-change-master-registered');
    expect(
      encodeCommand({ ...registered, opaque: decodeFrame(javaRegistered.subarray(4)).opaque }),
    ).toEqual(javaRegistered);

    // kill -9 of the master: its connection closes, the group is left with the slave alone.
    master.destroy();
    await waitFor('the second 905 at the slave', () => slavePort.frames.length === 2);
    const killed = slavePort.frames[1]!;
    expect(decodeNotifyMinBrokerIdChangeRequestHeader(killed.extFields)).toEqual({
      minBrokerId: 1,
      minBrokerAddr: slavePort.address,
      offlineBrokerAddr: '127.0.0.1:28934',
    });
    // Java's frame, with the slave's address of this run in place of the captured one.
    const javaKilled = decodeFrame(
      fixtureFrame('notify-min-broker-id-change-master-killed').subarray(4),
    );
    expect(encodeCommand({ ...killed, opaque: javaKilled.opaque })).toEqual(
      encodeCommand({
        ...javaKilled,
        extFields: { ...javaKilled.extFields!, minBrokerAddr: slavePort.address },
      }),
    );
    expect(killed.opaque).not.toBe(registered.opaque);
    // One connection to the slave's port for both, as in the capture.
    expect(slavePort.connections()).toBe(1);
  });
});
