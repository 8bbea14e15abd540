/**
 * The NameServer admin API: every request code a NameServer serves to tools (reference §2.1),
 * with mqadmin's routing rules:
 *  - reads go to one node: the selected one (sticky, with connect failover) or `addr`;
 *  - writes that operators must repeat on each node (KV put/delete, wipe/add write perm, delete
 *    topic, register topic, update config) and GET_NAMESRV_CONFIG go to every node in parallel
 *    and return one NodeResult per node — the name servers do not replicate among themselves.
 *
 * Broker-side steps of mqadmin verbs (e.g. deleting a topic on the brokers) are not here: this
 * talks to name servers only.
 */
import type {
  BrokerMemberGroup,
  ClusterInfo,
  DataVersion,
  QueueData,
  RemotingCommand,
  TopicList,
  TopicRouteData,
} from '@ns/protocol';
import {
  decodeClusterInfo,
  decodeDataVersion,
  decodeGetBrokerMemberGroupResponseBody,
  decodeKVTable,
  decodeTopicList,
  decodeAddWritePermOfBrokerResponseHeader,
  decodeGetKVConfigResponseHeader,
  decodeQueryDataVersionResponseHeader,
  decodeWipeWritePermOfBrokerResponseHeader,
  encodeAddWritePermOfBrokerRequestHeader,
  encodeDataVersion,
  encodeDeleteKVConfigRequestHeader,
  encodeDeleteTopicFromNamesrvRequestHeader,
  encodeGetBrokerMemberGroupRequestHeader,
  encodeGetKVConfigRequestHeader,
  encodeGetKVListByNamespaceRequestHeader,
  encodeGetTopicsByClusterRequestHeader,
  encodePutKVConfigRequestHeader,
  encodeQueryDataVersionRequestHeader,
  encodeRegisterTopicRequestHeader,
  encodeWipeWritePermOfBrokerRequestHeader,
  encodeTopicRouteData,
  formatProperties,
  parseProperties,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import { NoNameServerError, ProtocolViolationError } from '../errors.js';
import type { NameServerCallOptions, NameServerClientOptions } from '../name-server-client.js';
import { NameServerClient } from '../name-server-client.js';
import { expectSuccess } from '../remoting/expect-success.js';
import type { RemotingRequest } from '../remoting/remoting-client.js';
import type { NodeResult } from './node-result.js';
import { fanOut } from './node-result.js';

/** Java admin tools use a 5 000 ms timeout (reference §7.4). */
export const DEFAULT_ADMIN_TIMEOUT_MS = 5_000;

export interface NameServerAdminOptions extends NameServerClientOptions {
  /** An existing client to use (not closed by `close()`); otherwise one is created. */
  readonly client?: NameServerClient;
}

export interface FanOutOptions {
  /** Nodes to send to; default every node of the current list. */
  readonly addrs?: readonly string[];
  /** Bound on the whole call, the wait for the address list included; default the client's. */
  readonly timeoutMs?: number;
}

export interface BrokerIdentity {
  readonly brokerName: string;
  readonly brokerAddr: string;
  readonly clusterName: string;
  readonly brokerId: number;
}

export interface QueryDataVersionResult {
  /** The name server has no live entry for the broker, or its DataVersion differs. */
  readonly changed: boolean;
  /** The name server's stored DataVersion, when it knows the broker. */
  readonly nameServerDataVersion: DataVersion | undefined;
}

type TopicListCode =
  | typeof RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER
  | typeof RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS
  | typeof RequestCode.GET_UNIT_TOPIC_LIST
  | typeof RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST
  | typeof RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST;

export class NameServerAdmin {
  readonly client: NameServerClient;
  readonly #ownsClient: boolean;

  constructor(options: NameServerAdminOptions = {}) {
    const { client, ...clientOptions } = options;
    this.#ownsClient = client === undefined;
    this.client =
      client ??
      new NameServerClient({
        ...clientOptions,
        timeoutMs: clientOptions.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS,
      });
  }

  /** The current name server list, in configured order (loads it on first use). */
  async addresses(): Promise<readonly string[]> {
    await this.client.start();
    return this.client.configuredAddresses;
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.client.close();
  }

  // ---- reads (one node) ----

  /** GET_BROKER_CLUSTER_INFO (106). */
  async getBrokerClusterInfo(options: NameServerCallOptions = {}): Promise<ClusterInfo> {
    const { addr, response } = await this.#read(
      { code: RequestCode.GET_BROKER_CLUSTER_INFO },
      options,
    );
    return decodeBody(response, addr, 'ClusterInfo', decodeClusterInfo);
  }

  /** GET_ROUTEINFO_BY_TOPIC (105), uncached. Throws TopicNotExistError on a miss. */
  getTopicRouteData(topic: string, options: NameServerCallOptions = {}): Promise<TopicRouteData> {
    return this.client.queryTopicRouteData(topic, options);
  }

  /** GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206). */
  getAllTopicList(options: NameServerCallOptions = {}): Promise<TopicList> {
    return this.#topicList(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, options);
  }

  /** GET_TOPICS_BY_CLUSTER (224). An unknown cluster gives an empty list. */
  async getTopicsByCluster(
    cluster: string,
    options: NameServerCallOptions = {},
  ): Promise<TopicList> {
    const { addr, response } = await this.#read(
      {
        code: RequestCode.GET_TOPICS_BY_CLUSTER,
        extFields: encodeGetTopicsByClusterRequestHeader({ cluster }),
      },
      options,
    );
    return decodeBody(response, addr, 'TopicList', decodeTopicList);
  }

  /** GET_SYSTEM_TOPIC_LIST_FROM_NS (304): cluster and broker names, plus one broker address. */
  getSystemTopicList(options: NameServerCallOptions = {}): Promise<TopicList> {
    return this.#topicList(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, options);
  }

  /** GET_UNIT_TOPIC_LIST (311). */
  getUnitTopicList(options: NameServerCallOptions = {}): Promise<TopicList> {
    return this.#topicList(RequestCode.GET_UNIT_TOPIC_LIST, options);
  }

  /** GET_HAS_UNIT_SUB_TOPIC_LIST (312). */
  getHasUnitSubTopicList(options: NameServerCallOptions = {}): Promise<TopicList> {
    return this.#topicList(RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, options);
  }

  /** GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST (313). */
  getHasUnitSubUnUnitTopicList(options: NameServerCallOptions = {}): Promise<TopicList> {
    return this.#topicList(RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, options);
  }

  /** GET_KV_CONFIG (101). Undefined when the name server has no such item (QUERY_NOT_FOUND). */
  async getKVConfig(
    namespace: string,
    key: string,
    options: NameServerCallOptions = {},
  ): Promise<string | undefined> {
    const code = RequestCode.GET_KV_CONFIG;
    const { addr, response } = await this.client.invokeAny(
      { code, extFields: encodeGetKVConfigRequestHeader({ namespace, key }) },
      options,
    );
    if (response.code === ResponseCode.QUERY_NOT_FOUND) return undefined;
    expectSuccess(response, code, addr);
    return decodeHeaderOf(response, addr, decodeGetKVConfigResponseHeader).value;
  }

  /** GET_KVLIST_BY_NAMESPACE (219). Undefined when the namespace does not exist. */
  async getKVListByNamespace(
    namespace: string,
    options: NameServerCallOptions = {},
  ): Promise<Map<string, string> | undefined> {
    const code = RequestCode.GET_KVLIST_BY_NAMESPACE;
    const { addr, response } = await this.client.invokeAny(
      { code, extFields: encodeGetKVListByNamespaceRequestHeader({ namespace }) },
      options,
    );
    if (response.code === ResponseCode.QUERY_NOT_FOUND) return undefined;
    expectSuccess(response, code, addr);
    return decodeBody(response, addr, 'KVTable', decodeKVTable).table;
  }

  /**
   * QUERY_DATA_VERSION (322): whether the name server's copy of the broker's DataVersion differs.
   * Side effect on the name server: refreshes the broker's liveness (see reference §2.2).
   */
  async queryDataVersion(
    broker: BrokerIdentity,
    dataVersion: DataVersion,
    options: NameServerCallOptions = {},
  ): Promise<QueryDataVersionResult> {
    const { addr, response } = await this.#read(
      {
        code: RequestCode.QUERY_DATA_VERSION,
        extFields: encodeQueryDataVersionRequestHeader({ ...broker }),
        body: encodeDataVersion(dataVersion),
      },
      options,
    );
    return {
      changed: decodeHeaderOf(response, addr, decodeQueryDataVersionResponseHeader).changed,
      nameServerDataVersion:
        response.body === null
          ? undefined
          : decodeBody(response, addr, 'DataVersion', decodeDataVersion),
    };
  }

  /** GET_BROKER_MEMBER_GROUP (901) [5.x]: the addresses registered under `brokerName`. */
  async getBrokerMemberGroup(
    clusterName: string,
    brokerName: string,
    options: NameServerCallOptions = {},
  ): Promise<BrokerMemberGroup> {
    const { addr, response } = await this.#read(
      {
        code: RequestCode.GET_BROKER_MEMBER_GROUP,
        extFields: encodeGetBrokerMemberGroupRequestHeader({ clusterName, brokerName }),
      },
      options,
    );
    return decodeBody(
      response,
      addr,
      'GetBrokerMemberGroupResponseBody',
      decodeGetBrokerMemberGroupResponseBody,
    ).brokerMemberGroup;
  }

  // ---- per-node (fan-out) ----

  /** PUT_KV_CONFIG (100) on every node. */
  putKVConfig(
    namespace: string,
    key: string,
    value: string,
    options: FanOutOptions = {},
  ): Promise<NodeResult<undefined>[]> {
    return this.#fanOutOk(
      {
        code: RequestCode.PUT_KV_CONFIG,
        extFields: encodePutKVConfigRequestHeader({ namespace, key, value }),
      },
      options,
      () => undefined,
    );
  }

  /** DELETE_KV_CONFIG (102) on every node. */
  deleteKVConfig(
    namespace: string,
    key: string,
    options: FanOutOptions = {},
  ): Promise<NodeResult<undefined>[]> {
    return this.#fanOutOk(
      {
        code: RequestCode.DELETE_KV_CONFIG,
        extFields: encodeDeleteKVConfigRequestHeader({ namespace, key }),
      },
      options,
      () => undefined,
    );
  }

  /** WIPE_WRITE_PERM_OF_BROKER (205) on every node; value = topics touched on that node. */
  wipeWritePermOfBroker(
    brokerName: string,
    options: FanOutOptions = {},
  ): Promise<NodeResult<number>[]> {
    return this.#fanOutOk(
      {
        code: RequestCode.WIPE_WRITE_PERM_OF_BROKER,
        extFields: encodeWipeWritePermOfBrokerRequestHeader({ brokerName }),
      },
      options,
      (response, addr) =>
        decodeHeaderOf(response, addr, decodeWipeWritePermOfBrokerResponseHeader).wipeTopicCount,
    );
  }

  /** ADD_WRITE_PERM_OF_BROKER (327) on every node; value = topics touched on that node. */
  addWritePermOfBroker(
    brokerName: string,
    options: FanOutOptions = {},
  ): Promise<NodeResult<number>[]> {
    return this.#fanOutOk(
      {
        code: RequestCode.ADD_WRITE_PERM_OF_BROKER,
        extFields: encodeAddWritePermOfBrokerRequestHeader({ brokerName }),
      },
      options,
      (response, addr) =>
        decodeHeaderOf(response, addr, decodeAddWritePermOfBrokerResponseHeader).addTopicCount,
    );
  }

  /**
   * DELETE_TOPIC_IN_NAMESRV (216) on every node: drops the topic's route (only the queues of
   * `clusterName`'s brokers when given). Brokers keep the topic and may register it again.
   */
  deleteTopicInNamesrv(
    topic: string,
    options: FanOutOptions & { readonly clusterName?: string } = {},
  ): Promise<NodeResult<undefined>[]> {
    return this.#fanOutOk(
      {
        code: RequestCode.DELETE_TOPIC_IN_NAMESRV,
        extFields: encodeDeleteTopicFromNamesrvRequestHeader({
          topic,
          ...(options.clusterName === undefined ? {} : { clusterName: options.clusterName }),
        }),
      },
      options,
      () => undefined,
    );
  }

  /**
   * REGISTER_TOPIC_IN_NAMESRV (217) [5.x] on every node. A 4.9 name server does not know the
   * code and never answers: expect a timeout there.
   */
  registerTopic(
    topic: string,
    queueDatas: readonly QueueData[],
    options: FanOutOptions = {},
  ): Promise<NodeResult<undefined>[]> {
    const body = encodeTopicRouteData(
      { queueDatas: [...queueDatas], brokerDatas: [], filterServerTable: new Map() },
      { standardJson: false },
    );
    return this.#fanOutOk(
      {
        code: RequestCode.REGISTER_TOPIC_IN_NAMESRV,
        extFields: encodeRegisterTopicRequestHeader({ topic }),
        body,
      },
      options,
      () => undefined,
    );
  }

  /** GET_NAMESRV_CONFIG (319) from every node (each has its own configuration). */
  getNamesrvConfig(options: FanOutOptions = {}): Promise<NodeResult<Map<string, string>>[]> {
    return this.#fanOutOk({ code: RequestCode.GET_NAMESRV_CONFIG }, options, (response) =>
      // Java clients read the body as a UTF-8 string and load it with Properties rules.
      response.body === null ? new Map() : parseProperties(response.body.toString('utf8')),
    );
  }

  /**
   * UPDATE_NAMESRV_CONFIG (318) on every node. Protected keys (config paths) are refused with
   * NO_PERMISSION (ResponseError with responseCode 16).
   */
  updateNamesrvConfig(
    properties: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
    options: FanOutOptions = {},
  ): Promise<NodeResult<undefined>[]> {
    const entries =
      properties instanceof Map
        ? [...(properties as ReadonlyMap<string, string>).entries()]
        : Object.entries(properties as Readonly<Record<string, string>>);
    // formatProperties writes ASCII only (\uXXXX escapes): the Java side loads ISO-8859-1.
    const body = Buffer.from(formatProperties(entries), 'latin1');
    return this.#fanOutOk(
      { code: RequestCode.UPDATE_NAMESRV_CONFIG, body },
      options,
      () => undefined,
    );
  }

  // ---- plumbing ----

  async #read(
    request: RemotingRequest,
    options: NameServerCallOptions,
  ): Promise<{ addr: string; response: RemotingCommand }> {
    return this.client.invokeAnyOk(request, options);
  }

  async #topicList(code: TopicListCode, options: NameServerCallOptions): Promise<TopicList> {
    const { addr, response } = await this.#read({ code }, options);
    return decodeBody(response, addr, 'TopicList', decodeTopicList);
  }

  async #fanOutOk<T>(
    request: RemotingRequest,
    options: FanOutOptions,
    read: (response: RemotingCommand, addr: string) => T,
  ): Promise<NodeResult<T>[]> {
    const timeoutMs = options.timeoutMs ?? this.client.timeoutMs;
    // The timeout bounds the whole call, as for one-node calls: an address source that does not
    // answer must not hold a write past it, and the nodes get what the wait left.
    const deadline = Date.now() + timeoutMs;
    if (options.addrs === undefined) await this.client.startWithin(timeoutMs);
    const addrs = options.addrs ?? this.client.configuredAddresses;
    if (addrs.length === 0) throw new NoNameServerError();
    const left = Math.max(1, deadline - Date.now());
    return fanOut(addrs, async (addr) => {
      const response = await this.client.remoting.invoke(addr, request, { timeoutMs: left });
      expectSuccess(response, request.code, addr);
      return read(response, addr);
    });
  }
}

function decodeBody<T>(
  response: RemotingCommand,
  addr: string,
  what: string,
  decode: (body: Buffer) => T,
): T {
  if (response.body === null) {
    throw new ProtocolViolationError(`${what} response from ${addr} has no body`, { addr });
  }
  try {
    return decode(response.body);
  } catch (err) {
    throw new ProtocolViolationError(`undecodable ${what} from ${addr}`, { cause: err, addr });
  }
}

/** Decodes a response header with the typed codec; a malformed one is the peer's fault. */
function decodeHeaderOf<T>(
  response: RemotingCommand,
  addr: string,
  decode: (ext: RemotingCommand['extFields']) => T,
): T {
  try {
    return decode(response.extFields);
  } catch (err) {
    throw new ProtocolViolationError(`malformed response header from ${addr}`, {
      cause: err,
      addr,
    });
  }
}
