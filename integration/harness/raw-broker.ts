/**
 * A broker reduced to its NameServer traffic, in this process: REGISTER_BROKER frames sent over
 * the SDK's RemotingClient, one connection per node that stays open until closed. Scenarios use
 * it where they need what a real agent process cannot show, e.g. a broker whose registrations
 * stop while its sockets stay open (expiry by heartbeat timeout, not by connection close).
 */
import { RemotingClient } from '@ns/client';
import { RequestCode, ResponseCode } from '@ns/protocol';
import type { TestScope } from './scope.js';

export interface BrokerSpec {
  readonly clusterName: string;
  readonly brokerName: string;
  /** 0 = master. */
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly haServerAddr: string;
  readonly topics: readonly string[];
  /** 5.x per-broker expiry the node applies instead of 120 s. */
  readonly heartbeatTimeoutMillis?: number;
}

/** RegisterBrokerBody (request version >= 37), legacy JSON as a 4.9 broker writes it (§3.8). */
export function registerBrokerBody(spec: BrokerSpec, counter: number): Buffer {
  const table: Record<string, unknown> = {};
  for (const topic of spec.topics) {
    table[topic] = {
      order: false,
      perm: 6,
      readQueueNums: 4,
      topicFilterType: 'SINGLE_TAG',
      topicName: topic,
      topicSysFlag: 0,
      writeQueueNums: 4,
    };
  }
  return Buffer.from(
    JSON.stringify({
      filterServerList: [],
      topicConfigSerializeWrapper: {
        dataVersion: { counter, timestamp: Date.now() },
        topicConfigTable: table,
      },
    }),
    'utf8',
  );
}

export interface RegisterReply {
  readonly masterAddr: string | null;
  readonly haServerAddr: string | null;
}

export class RawBroker {
  readonly spec: BrokerSpec;
  readonly client: RemotingClient;
  #counter = 0;

  constructor(scope: TestScope, spec: BrokerSpec) {
    this.spec = spec;
    this.client = new RemotingClient({ requestTimeoutMs: 3_000, connectTimeoutMs: 3_000 });
    scope.defer(`close raw broker ${spec.brokerName}/${spec.brokerId}`, () => this.client.close());
  }

  /** One REGISTER_BROKER to `addr`; throws unless SUCCESS. */
  async registerTo(addr: string): Promise<RegisterReply> {
    this.#counter += 1;
    const s = this.spec;
    const reply = await this.client.invoke(addr, {
      code: RequestCode.REGISTER_BROKER,
      extFields: {
        brokerName: s.brokerName,
        brokerAddr: s.brokerAddr,
        clusterName: s.clusterName,
        haServerAddr: s.haServerAddr,
        brokerId: s.brokerId,
        compressed: false,
        bodyCrc32: 0,
        heartbeatTimeoutMillis: s.heartbeatTimeoutMillis,
      },
      body: registerBrokerBody(s, this.#counter),
    });
    if (reply.code !== ResponseCode.SUCCESS) {
      throw new Error(
        `register ${s.brokerName}/${s.brokerId} at ${addr}: code ${reply.code} ${reply.remark ?? ''}`,
      );
    }
    return {
      masterAddr: reply.extFields?.['masterAddr'] ?? null,
      haServerAddr: reply.extFields?.['haServerAddr'] ?? null,
    };
  }

  /** Registers with every node, in parallel like registerBrokerAll (§8.1). */
  async registerToAll(addrs: readonly string[]): Promise<RegisterReply[]> {
    return Promise.all(addrs.map((addr) => this.registerTo(addr)));
  }

  /** Whether the connection to `addr` is still open (the node has not closed it). */
  isConnected(addr: string): boolean {
    return this.client.isConnected(addr);
  }
}
