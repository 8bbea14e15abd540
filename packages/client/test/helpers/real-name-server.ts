/**
 * A real @ns/server NameServer started in-process on 127.0.0.1:0, plus a helper that registers
 * a broker through our own RemotingClient (a REGISTER_BROKER exactly like a 4.9.7 master sends).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TopicConfig } from '@ns/protocol';
import {
  bodyCrc32,
  encodeRegisterBrokerBody,
  encodeRegisterBrokerRequestHeader,
  RequestCode,
} from '@ns/protocol';
import { loadConfig, NameServer } from '@ns/server';
import { expectSuccess } from '../../src/remoting/expect-success.js';
import type { RemotingClient } from '../../src/remoting/remoting-client.js';

export interface RealNameServer {
  readonly addr: string;
  readonly server: NameServer;
  close(): Promise<void>;
}

/** `argv`: more command-line settings for the node (e.g. `--routeWatchMaxHoldMillis=300`). */
export async function startRealNameServer(argv: readonly string[] = []): Promise<RealNameServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-client-e2e-'));
  const { config } = loadConfig({
    argv: ['--bindAddress=127.0.0.1', '--listenPort=0', '--httpPort=-1', ...argv],
    env: {},
    readFile: () => '',
    homeDir: dir,
  });
  const server = new NameServer({ config, defaultMetrics: false });
  const { port } = await server.start();
  return {
    addr: `127.0.0.1:${port}`,
    server,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BrokerSpec {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerAddr: string;
  readonly brokerId?: number;
  readonly topics: readonly string[];
  readonly queues?: number;
}

/** Registers a broker with `topics` on `addr`, as a 4.9.7 broker does (uncompressed body). */
export async function registerBroker(
  remoting: RemotingClient,
  addr: string,
  spec: BrokerSpec,
): Promise<void> {
  const table = new Map<string, TopicConfig>();
  for (const topicName of spec.topics) {
    table.set(topicName, {
      topicName,
      readQueueNums: spec.queues ?? 4,
      writeQueueNums: spec.queues ?? 4,
      perm: 6,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
    });
  }
  const body = encodeRegisterBrokerBody(
    {
      topicConfigSerializeWrapper: {
        dataVersion: { counter: 1, timestamp: Date.now() },
        topicConfigTable: table,
      },
      filterServerList: [],
    },
    { version: remoting.version },
  );
  const response = await remoting.invoke(addr, {
    code: RequestCode.REGISTER_BROKER,
    extFields: encodeRegisterBrokerRequestHeader({
      brokerName: spec.brokerName,
      brokerAddr: spec.brokerAddr,
      clusterName: spec.clusterName,
      haServerAddr: spec.brokerAddr,
      brokerId: spec.brokerId ?? 0,
      compressed: false,
      bodyCrc32: bodyCrc32(body),
    }),
    body,
  });
  expectSuccess(response, RequestCode.REGISTER_BROKER, addr);
}
