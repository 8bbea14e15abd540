/**
 * Broker-facing requests (§2.2): REGISTER_BROKER (103), UNREGISTER_BROKER (104),
 * QUERY_DATA_VERSION (322), BROKER_HEARTBEAT (904, 5.x), WIPE_WRITE_PERM_OF_BROKER (205),
 * ADD_WRITE_PERM_OF_BROKER (327): writes, run by the registry owner; and the read
 * GET_BROKER_MEMBER_GROUP (901, 5.x), answered where the request arrived.
 */
import {
  BodyDecodeError,
  bodyCrc32,
  decodeAddWritePermOfBrokerRequestHeader,
  decodeBrokerHeartbeatRequestHeader,
  decodeDataVersion,
  decodeGetBrokerMemberGroupRequestHeader,
  decodeQueryDataVersionRequestHeader,
  decodeRegisterBrokerBody,
  decodeRegisterBrokerRequestHeader,
  decodeUnRegisterBrokerRequestHeader,
  decodeWipeWritePermOfBrokerRequestHeader,
  encodeAddWritePermOfBrokerResponseHeader,
  encodeDataVersion,
  encodeGetBrokerMemberGroupResponseBody,
  encodeQueryDataVersionResponseHeader,
  encodeRegisterBrokerResponseHeader,
  encodeWipeWritePermOfBrokerResponseHeader,
  InflatedBodyTooLargeError,
  ORDER_TOPIC_CONFIG_NAMESPACE,
  REGISTER_BODY_MIN_VERSION,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { DataVersion, JavaLine, RegisterBrokerResult, RemotingCommand } from '@ns/protocol';
import type { KVReadStore, RouteReadStore, RouteWriteStore } from './deps.js';
import type { HandlerTable } from './handler.js';
import type { RequestContext, WritePace } from './request-context.js';
import type { LazyRegisterBody, RegisterBrokerRequest } from '../route/index.js';
import type { JavaLineProfile } from './java-line.js';
import { namedLimit } from './inflate-limit.js';
import { kvTableBodyInSteps, namespaceSnapshotInSteps } from './list-bodies-in-steps.js';
import type { NamespaceSource } from './list-bodies-in-steps.js';

export interface BrokerHandlerDeps {
  routeInfoManager: RouteWriteStore;
  line: JavaLineProfile;
  kvConfigManager: KVReadStore;
  /**
   * [5.x] `returnOrderTopicConfigToBroker` (default true; 4.9 always returns it), and
   * `maxInflatedRegisterBodyBytes` (default: the codec's MAX_INFLATED_REGISTER_BODY).
   */
  config(): { returnOrderTopicConfigToBroker: boolean; maxInflatedRegisterBodyBytes?: number };
}

/** Runs a write's steps straight through (no pace: nobody shares the event loop). */
const NEVER = (): boolean => false;

/** `steps`, stopping (yielding) only once `due` says the slice is used up. */
function* stopWhenDue<T>(
  steps: Generator<void, T, void>,
  due: () => boolean,
): Generator<void, T, void> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    if (due()) yield;
  }
}

/**
 * `answer` of the value of a write's steps (a generator from one of the managers' `…InSteps`
 * methods, made with `pace.due`): at once when it needs no stop or runs without a pace, otherwise
 * once its steps have run, `pace` handing the event loop back between them (the registry owner
 * shares it with the reads it serves).
 */
function afterSteps<T>(
  steps: Generator<void, T, void>,
  pace: WritePace | undefined,
  answer: (value: T) => RemotingCommand,
): RemotingCommand | Promise<RemotingCommand> {
  let step = steps.next();
  if (pace === undefined) {
    while (step.done !== true) step = steps.next();
    return answer(step.value);
  }
  if (step.done === true) return answer(step.value);
  const paced = pace;
  return (async () => {
    while (step.done !== true) {
      await paced.breathe();
      step = steps.next();
    }
    return answer(step.value);
  })();
}

export function brokerHandlers(deps: BrokerHandlerDeps): HandlerTable {
  const routes = deps.routeInfoManager;
  const kv = deps.kvConfigManager;
  const { ok, fail, withHeader } = deps.line.respond;

  function registerBroker(
    request: RemotingCommand,
    ctx: RequestContext,
  ): RemotingCommand | Promise<RemotingCommand> {
    // Missing/unparsable required fields throw HeaderFieldError (→ SYSTEM_ERROR naming the field).
    const h = decodeRegisterBrokerRequestHeader(request.extFields);

    const crcMismatch = (): RemotingCommand =>
      // The response comes from RegisterBrokerResponseHeader, hence "extFields":{} (fixture
      // register-broker-crc32-mismatch).
      withHeader(request, ResponseCode.SYSTEM_ERROR, undefined, 'crc32 not match');
    const version = request.version;
    let lazyBody: LazyRegisterBody;
    const pre = ctx.preDecoded;
    if (pre !== undefined) {
      // Checked and decoded by the serving side's decode thread (registry/registration-bases.ts).
      if (pre.kind === 'crc-mismatch') return crcMismatch();
      if (pre.kind === 'undecodable') {
        throw pre.inflateLimit === undefined
          ? new BodyDecodeError(pre.message)
          : new InflatedBodyTooLargeError(pre.message, pre.inflateLimit);
      }
      lazyBody = {
        tag: pre.tag,
        decode: () => ({ topicConfigWrapper: pre.wrapper, filterServerList: pre.filterServerList }),
        ...(pre.changedSince === undefined ? {} : { changedSince: pre.changedSince }),
      };
    } else {
      // Java checks the CRC first (0 = "not checked").
      if (h.bodyCrc32 !== 0 && bodyCrc32(request.body) !== h.bodyCrc32) return crcMismatch();
      // A periodic re-registration usually resends the same body: the manager decodes it only
      // when it is not the one this broker registered last (or the topics changed since). A body
      // that does not decode throws BodyDecodeError → SYSTEM_ERROR with its message.
      const compressed = h.compressed;
      const rawBody = request.body;
      lazyBody = {
        tag: registerBodyTag(rawBody, version, compressed, h.bodyCrc32),
        decode() {
          const maxInflatedBytes = deps.config().maxInflatedRegisterBodyBytes;
          let body;
          try {
            body = decodeRegisterBrokerBody(rawBody, {
              compressed,
              version,
              ...(maxInflatedBytes === undefined ? {} : { maxInflatedBytes }),
            });
          } catch (err) {
            throw err instanceof InflatedBodyTooLargeError ? namedLimit(err) : err;
          }
          return {
            topicConfigWrapper: body.topicConfigSerializeWrapper,
            // Java's pre-3.0.11 path passes no filter-server list at all (null = untouched).
            filterServerList: version < REGISTER_BODY_MIN_VERSION ? null : body.filterServerList,
          };
        },
      };
    }
    const req: RegisterBrokerRequest = {
      clusterName: h.clusterName,
      brokerAddr: h.brokerAddr,
      brokerName: h.brokerName,
      brokerId: h.brokerId,
      // Java keeps a missing one as null: the broker has no HA address to hand to its slaves.
      haServerAddr: h.haServerAddr ?? null,
      brokerVersion: version,
      topicConfigWrapper: null,
      filterServerList: null,
      lazyBody,
      connectionId: ctx.connectionId,
      ...(ctx.receivedAt === undefined ? {} : { receivedAt: ctx.receivedAt }),
      heartbeatTimeoutMillis: h.heartbeatTimeoutMillis ?? null,
      enableActingMaster: h.enableActingMaster ?? null,
      zoneName: h.zoneName ?? null,
    };
    // The registry owner shares its event loop with reads: a large body is applied in slices,
    // and so is the encoding of a large ORDER_TOPIC_CONFIG namespace for its answer.
    const due = ctx.pace?.due ?? NEVER;
    return afterSteps(registerInSteps(request, req, due), ctx.pace, (response) => response);
  }

  function* registerInSteps(
    request: RemotingCommand,
    req: RegisterBrokerRequest,
    due: () => boolean,
  ): Generator<void, RemotingCommand, void> {
    const result = yield* routes.registerBrokerInSteps(req, due);
    // Java: the whole ORDER_TOPIC_CONFIG namespace, no body when the namespace does not exist.
    const orderConf =
      result !== null && deps.config().returnOrderTopicConfigToBroker
        ? yield* stopWhenDue(orderTopicConfigBody(), due)
        : null;
    return registered(request, result, orderConf);
  }

  function registered(
    request: RemotingCommand,
    result: RegisterBrokerResult | null,
    orderConf: Buffer | null,
  ): RemotingCommand {
    if (result === null) {
      // Java 5.x: the single-topic guard refused a first registration.
      return withHeader(request, ResponseCode.SYSTEM_ERROR, undefined, 'register broker failed');
    }
    const responseHeader: { haServerAddr?: string; masterAddr?: string } = {};
    if (result.haServerAddr !== null) responseHeader.haServerAddr = result.haServerAddr;
    if (result.masterAddr !== null) responseHeader.masterAddr = result.masterAddr;
    return withHeader(
      request,
      ResponseCode.SUCCESS,
      encodeRegisterBrokerResponseHeader(responseHeader),
      null,
      orderConf,
    );
  }

  /**
   * The ORDER_TOPIC_CONFIG namespace as a KVTable body, encoded again only after the namespace
   * changed: every master's registration carries it, and brokers re-register every 30 s. Encoded
   * in steps (the registry owner's pace stops between them): in one go, a namespace of 100,000
   * entries held the owner's loop for tens of milliseconds at the first registration after each
   * change, so a PUT_KV_CONFIG and a registration in turn stalled it at will (review finding).
   */
  let orderConfKept: { readonly stamp: number; readonly body: Buffer } | null = null;
  const orderConfSource: NamespaceSource = {
    entries: () => kv.namespaceEntries(ORDER_TOPIC_CONFIG_NAMESPACE),
    stamp: () => kv.namespaceStamp(ORDER_TOPIC_CONFIG_NAMESPACE),
    capacity: () => kv.namespaceTableCapacity(ORDER_TOPIC_CONFIG_NAMESPACE),
  };
  function* orderTopicConfigBody(): Generator<void, Buffer | null, void> {
    const stamp = kv.namespaceStamp(ORDER_TOPIC_CONFIG_NAMESPACE);
    if (stamp === null) return null;
    if (orderConfKept?.stamp === stamp) return orderConfKept.body;
    // The write queue holds every other write while this one runs: the namespace stands still.
    const snapshot = yield* namespaceSnapshotInSteps(orderConfSource);
    if (snapshot === null) return null;
    const body = yield* kvTableBodyInSteps(snapshot);
    orderConfKept = { stamp: snapshot.stamp, body };
    return body;
  }

  function unregisterBroker(request: RemotingCommand, ctx: RequestContext): RemotingCommand {
    // Java reads a missing field as null. 4.9.7 unboxes brokerId into a long first: without one
    // (or with an unparsable one) it fails, and so do we (HeaderFieldError → SYSTEM_ERROR naming
    // it). 5.3.3 only queues the request and answers SUCCESS whatever it holds.
    const h = decodeUnRegisterBrokerRequestHeader(request.extFields, deps.line.line);
    const { brokerName, brokerAddr, clusterName, brokerId } = h;
    if (
      brokerName === undefined ||
      brokerAddr === undefined ||
      clusterName === undefined ||
      brokerId === undefined
    ) {
      // Java then mostly trips over the null (swallowed, logged) once it has dropped the live
      // entry, before the broker tables; 4.9 without clusterName removes the id by address (its
      // tables ignore the cluster). Our entries are keyed by cluster and address, and a member is
      // removed only for the address it maps to: nothing here names one. Nothing changes.
      return ok(request);
    }
    routes.unregisterBroker(
      { brokerName, brokerAddr, clusterName, brokerId },
      {
        connectionId: ctx.connectionId,
        ...(ctx.receivedAt === undefined ? {} : { receivedAt: ctx.receivedAt }),
        // On the registry owner the topics of an emptied broker name go in slices.
        ...(ctx.pace === undefined ? {} : { maxTopicEdits: ctx.pace.removalsPerSlice }),
      },
    );
    // Java 4.9: synchronous and always SUCCESS (a stale or unknown broker is not an error).
    return ok(request);
  }

  function queryDataVersion(request: RemotingCommand, ctx: RequestContext): RemotingCommand {
    const java49 = deps.line.line === '4.9';
    // 5.3.3 hashes clusterName and brokerAddr into its live-table key: without either it fails
    // (HeaderFieldError → SYSTEM_ERROR naming it). 4.9.7 looks a null up like any address.
    const h = java49
      ? decodeQueryDataVersionRequestHeader(request.extFields, '4.9')
      : decodeQueryDataVersionRequestHeader(request.extFields);
    if (request.body === null && java49) {
      // 4.9.7: DataVersion.decode(null) throws → SYSTEM_ERROR; say what is wrong instead. 5.3.3
      // decodes no body as null: "changed", the live entry refreshed all the same.
      return fail(
        request,
        ResponseCode.SYSTEM_ERROR,
        'QUERY_DATA_VERSION without a DataVersion body',
      );
    }
    // Both lines: a body `null` parses to a null DataVersion, which no stored one equals.
    const sent =
      request.body === null || isJsonNullLiteral(request.body)
        ? null
        : decodeDataVersion(request.body);
    // 4.9 line: no broker lives at a null address, nor (our key is the cluster and the address,
    // see README) in a null cluster: "changed", nothing stored to send back.
    const result =
      h.clusterName === undefined || h.brokerAddr === undefined
        ? { changed: true, dataVersion: null }
        : routes.queryDataVersion(
            { clusterName: h.clusterName, brokerAddr: h.brokerAddr },
            sent,
            ctx.connectionId,
          );
    return withHeader(
      request,
      ResponseCode.SUCCESS,
      encodeQueryDataVersionResponseHeader({ changed: result.changed }),
      null,
      result.dataVersion === null
        ? null
        : encodeDataVersion(asWrittenBy(deps.line.line, result.dataVersion)),
    );
  }

  function brokerHeartbeat(request: RemotingCommand, ctx: RequestContext): RemotingCommand {
    const h = decodeBrokerHeartbeatRequestHeader(request.extFields);
    // Java 5.x: refresh the live entry if it exists; nothing else, always SUCCESS.
    routes.brokerHeartbeat(h.clusterName, h.brokerAddr, ctx.connectionId);
    return ok(request);
  }

  function wipeWritePermOfBroker(
    request: RemotingCommand,
    ctx: RequestContext,
  ): RemotingCommand | Promise<RemotingCommand> {
    const h = decodeWipeWritePermOfBrokerRequestHeader(request.extFields);
    // Java reads a missing broker name as null, which no QueueData has: 0 topics.
    if (h.brokerName === undefined) {
      return withHeader(
        request,
        ResponseCode.SUCCESS,
        encodeWipeWritePermOfBrokerResponseHeader({ wipeTopicCount: 0 }),
      );
    }
    return afterSteps(
      routes.wipeWritePermOfBrokerInSteps(h.brokerName, ctx.pace?.due ?? NEVER),
      ctx.pace,
      (wipeTopicCount) =>
        withHeader(
          request,
          ResponseCode.SUCCESS,
          encodeWipeWritePermOfBrokerResponseHeader({ wipeTopicCount }),
        ),
    );
  }

  function addWritePermOfBroker(
    request: RemotingCommand,
    ctx: RequestContext,
  ): RemotingCommand | Promise<RemotingCommand> {
    const h = decodeAddWritePermOfBrokerRequestHeader(request.extFields);
    // As for the wipe: 0 topics.
    if (h.brokerName === undefined) {
      return withHeader(
        request,
        ResponseCode.SUCCESS,
        encodeAddWritePermOfBrokerResponseHeader({ addTopicCount: 0 }),
      );
    }
    return afterSteps(
      routes.addWritePermOfBrokerInSteps(h.brokerName, ctx.pace?.due ?? NEVER),
      ctx.pace,
      (addTopicCount) =>
        withHeader(
          request,
          ResponseCode.SUCCESS,
          encodeAddWritePermOfBrokerResponseHeader({ addTopicCount }),
        ),
    );
  }

  return [
    [RequestCode.REGISTER_BROKER, registerBroker],
    [RequestCode.UNREGISTER_BROKER, unregisterBroker],
    [RequestCode.QUERY_DATA_VERSION, queryDataVersion],
    [RequestCode.BROKER_HEARTBEAT, brokerHeartbeat],
    [RequestCode.WIPE_WRITE_PERM_OF_BROKER, wipeWritePermOfBroker],
    [RequestCode.ADD_WRITE_PERM_OF_BROKER, addWritePermOfBroker],
  ];
}

/** GET_BROKER_MEMBER_GROUP (901, 5.x): a read, answered from the route tables. */
export function brokerReadHandlers(deps: {
  routeInfoManager: RouteReadStore;
  line: JavaLineProfile;
}): HandlerTable {
  const { ok } = deps.line.respond;
  function getBrokerMemberGroup(request: RemotingCommand): RemotingCommand {
    const { clusterName, brokerName } = decodeGetBrokerMemberGroupRequestHeader(request.extFields);
    // Java reads a missing field as null: the cluster is only echoed; the lookup of a null broker
    // name throws in its ConcurrentHashMap, which it swallows: no addresses. fastjson leaves the
    // null members out of the body.
    const body =
      clusterName !== undefined && brokerName !== undefined
        ? encodeGetBrokerMemberGroupResponseBody({
            brokerMemberGroup: deps.routeInfoManager.getBrokerMemberGroup(clusterName, brokerName),
          })
        : memberGroupBodyWithout(clusterName, brokerName);
    // Java builds it with createResponseCommand(null) (code SYSTEM_ERROR, remark "not set any
    // response code") and then sets only the code: the remark goes out with the SUCCESS (fixture
    // get-broker-member-group of 5.3.3). 4.9 has no such request.
    return ok(request, body, 'not set any response code');
  }

  /** The body when a name is missing: its member left out, as fastjson leaves a null one out. */
  function memberGroupBodyWithout(clusterName?: string, brokerName?: string): Buffer {
    const brokerAddrs =
      brokerName === undefined
        ? new Map<number, string>()
        : deps.routeInfoManager.getBrokerMemberGroup('', brokerName).brokerAddrs;
    let text = encodeGetBrokerMemberGroupResponseBody({
      brokerMemberGroup: { cluster: clusterName ?? '', brokerName: brokerName ?? '', brokerAddrs },
    }).toString('utf8');
    // The body ends `,"brokerName":…,"cluster":…}}` (sorted members). A written string escapes
    // its quotes, so these exact texts can only be the members themselves.
    const noCluster = ',"cluster":""}}';
    if (clusterName === undefined) text = text.slice(0, -noCluster.length) + '}}';
    const noName = ',"brokerName":""';
    if (brokerName === undefined) {
      const at = text.lastIndexOf(noName);
      text = text.slice(0, at) + text.slice(at + noName.length);
    }
    return Buffer.from(text, 'utf8');
  }
  return [[RequestCode.GET_BROKER_MEMBER_GROUP, getBrokerMemberGroup]];
}

/**
 * Whether a body is the JSON text `null` (fastjson reads it as a null object, no error). Exported
 * for the other handler files that decode a body Java may receive as `null`.
 */
const JSON_NULL_TEXT = /^[ \t\n\r\f\b]*null[ \t\n\r\f\b]*$/;
export function isJsonNullLiteral(body: Buffer): boolean {
  return body.length >= 4 && body.length <= 64 && JSON_NULL_TEXT.test(body.toString('latin1'));
}

/**
 * A fingerprint of everything the decoded REGISTER_BROKER body depends on: request version,
 * compression, body length and CRC32 (the header's, already verified, when the broker sent one),
 * and the body's first and last bytes (where a JSON body's DataVersion and a changed tail show).
 */
export function registerBodyTag(
  body: Buffer | null,
  version: number,
  compressed: boolean,
  headerCrc32: number,
): string {
  if (body === null || body.length === 0) return `${version}|${compressed ? 1 : 0}|0`;
  const crc = headerCrc32 !== 0 ? headerCrc32 : bodyCrc32(body);
  const n = body.length;
  return (
    `${version}|${compressed ? 1 : 0}|${n}|${crc}|` +
    body.toString('latin1', 0, Math.min(n, 160)) +
    '|' +
    body.toString('latin1', Math.max(0, n - 64), n)
  );
}

/**
 * A stored DataVersion as the Java line writes it: 5.x's DataVersion always has a stateVersion
 * (0 when the broker sent none: a 4.9 broker, or a registration without a body); 4.9's has none,
 * so a 5.x broker's stateVersion is not echoed there.
 */
function asWrittenBy(line: JavaLine, v: DataVersion): DataVersion {
  return line === '5.x'
    ? { counter: v.counter, stateVersion: v.stateVersion ?? 0, timestamp: v.timestamp }
    : { counter: v.counter, timestamp: v.timestamp };
}
