/**
 * The encoded requests of one registration: built once per DataVersion and shared by every node
 * (Java encodes the body and computes its CRC once per round, then sends a separate command per
 * NameServer). Also the small QUERY_DATA_VERSION / heartbeat / UNREGISTER requests.
 */
import type { ExtFields } from '@ns/protocol';
import { RequestCode } from '@ns/protocol';
import type { DataVersion, TopicConfig } from '@ns/protocol';
import type { RemotingRequest } from '@ns/client';
import {
  bodyCrc32,
  encodeBrokerHeartbeatRequestHeader,
  encodeDataVersion,
  encodeQueryDataVersionRequestHeader,
  encodeRegisterBrokerBody,
  encodeRegisterBrokerRequestHeader,
  encodeUnRegisterBrokerRequestHeader,
} from './protocol-codecs.js';
import type { RegisterBrokerRequestHeader } from './protocol-codecs.js';
import type { ResolvedAgentOptions } from './options.js';
import { chunkDataVersion, planChunks } from './split-plan.js';

/** One REGISTER_BROKER of a registration. */
export interface RegistrationChunk {
  readonly index: number;
  readonly topicCount: number;
  /** The version this chunk carries (transitional for all but the last, see split-plan.ts). */
  readonly dataVersion: DataVersion;
  readonly request: RemotingRequest;
}

export interface RegistrationPayload {
  /** The broker's real DataVersion. */
  readonly dataVersion: DataVersion;
  readonly topicCount: number;
  /** Sent in order on one connection; a single element unless split. */
  readonly chunks: readonly RegistrationChunk[];
  /** Total body bytes over all chunks. */
  readonly bodyBytes: number;
}

function registerRequest(
  o: ResolvedAgentOptions,
  topics: readonly TopicConfig[],
  dataVersion: DataVersion,
): RemotingRequest {
  const body = encodeRegisterBrokerBody(
    {
      topicConfigSerializeWrapper: {
        dataVersion,
        topicConfigTable: new Map(topics.map((t) => [t.topicName, t])),
      },
      filterServerList: [...o.filterServerList],
    },
    { compressed: o.compressedRegister, version: o.version },
  );
  const header: RegisterBrokerRequestHeader = {
    brokerName: o.brokerName,
    brokerAddr: o.brokerAddr,
    clusterName: o.clusterName,
    haServerAddr: o.haServerAddr,
    brokerId: o.brokerId,
    compressed: o.compressedRegister,
    bodyCrc32: bodyCrc32(body),
  };
  if (o.heartbeatTimeoutMillis !== undefined)
    header.heartbeatTimeoutMillis = o.heartbeatTimeoutMillis;
  if (o.enableActingMaster !== undefined) header.enableActingMaster = o.enableActingMaster;
  if (o.zoneName !== undefined) header.zoneName = o.zoneName;
  return {
    code: RequestCode.REGISTER_BROKER,
    extFields: encodeRegisterBrokerRequestHeader(header, o.extFields),
    body,
  };
}

export function buildRegistrationPayload(
  o: ResolvedAgentOptions,
  table: ReadonlyMap<string, TopicConfig>,
  dataVersion: DataVersion,
): RegistrationPayload {
  let unsplit: RemotingRequest | undefined;
  const groups = planChunks({
    table,
    mode: o.splitRegistration,
    splitRegistrationSize: o.splitRegistrationSize,
    maxUnsplitBodyBytes: o.maxUnsplitBodyBytes,
    unsplitBodyBytes: () => {
      unsplit ??= registerRequest(o, [...table.values()], dataVersion);
      return unsplit.body?.length ?? 0;
    },
  });
  const chunks = groups.map((topics, index): RegistrationChunk => {
    const version = chunkDataVersion(dataVersion, index, groups.length);
    const request =
      groups.length === 1 && unsplit !== undefined ? unsplit : registerRequest(o, topics, version);
    return { index, topicCount: topics.length, dataVersion: version, request };
  });
  return {
    dataVersion,
    topicCount: table.size,
    chunks,
    bodyBytes: chunks.reduce((n, c) => n + (c.request.body?.length ?? 0), 0),
  };
}

function identity(o: ResolvedAgentOptions) {
  return {
    brokerName: o.brokerName,
    brokerAddr: o.brokerAddr,
    clusterName: o.clusterName,
    brokerId: o.brokerId,
  };
}

export function queryDataVersionRequest(
  o: ResolvedAgentOptions,
  dataVersion: DataVersion,
): RemotingRequest {
  return {
    code: RequestCode.QUERY_DATA_VERSION,
    extFields: encodeQueryDataVersionRequestHeader(identity(o), o.extFields),
    body: encodeDataVersion(dataVersion),
  };
}

export function brokerHeartbeatRequest(o: ResolvedAgentOptions): RemotingRequest {
  // Java 5.x sendHeartbeat fills only the three identity fields the NameServer reads.
  const extFields: ExtFields = encodeBrokerHeartbeatRequestHeader(
    { clusterName: o.clusterName, brokerAddr: o.brokerAddr, brokerName: o.brokerName },
    o.extFields,
  );
  return { code: RequestCode.BROKER_HEARTBEAT, extFields, body: null };
}

export function unregisterBrokerRequest(o: ResolvedAgentOptions): RemotingRequest {
  return {
    code: RequestCode.UNREGISTER_BROKER,
    extFields: encodeUnRegisterBrokerRequestHeader(identity(o), o.extFields),
    body: null,
  };
}
