/**
 * Broker-facing requests (§2.2): REGISTER_BROKER (103), UNREGISTER_BROKER (104),
 * QUERY_DATA_VERSION (322), BROKER_HEARTBEAT (904, 5.x), GET_BROKER_MEMBER_GROUP (901, 5.x),
 * WIPE_WRITE_PERM_OF_BROKER (205), ADD_WRITE_PERM_OF_BROKER (327).
 */
import {
  ORDER_TOPIC_CONFIG_NAMESPACE,
  RequestCode,
  ResponseCode,
  ZONE_NAME_EXT_FIELD,
} from '@ns/protocol';
import {
  bodyCrc32,
  decodeDataVersion,
  decodeRegisterBrokerBody,
  encodeDataVersion,
  encodeGetBrokerMemberGroupResponseBody,
  encodeKVTable,
  REGISTER_BODY_MIN_VERSION,
} from './protocol-bodies.js';
import type { RemotingCommand } from '@ns/protocol';
import type { HandlerTable } from './handler.js';
import type { KVConfigStore, RouteStore } from './deps.js';
import type { RequestContext } from './request-context.js';
import {
  isTrue,
  optionalBoolean,
  optionalInt,
  optionalLong,
  optionalString,
  requiredLong,
  requiredString,
} from './header-fields.js';
import { fail, ok, withHeader } from './responses.js';

export interface BrokerHandlerDeps {
  routeInfoManager: RouteStore;
  kvConfigManager: KVConfigStore;
  /** [5.x] `returnOrderTopicConfigToBroker` (default true; 4.9 always returns it). */
  config(): { returnOrderTopicConfigToBroker: boolean };
}

export function brokerHandlers(deps: BrokerHandlerDeps): HandlerTable {
  const routes = deps.routeInfoManager;
  const kv = deps.kvConfigManager;

  function registerBroker(request: RemotingCommand, ctx: RequestContext): RemotingCommand {
    const ext = request.extFields;
    const brokerName = requiredString(ext, 'brokerName');
    const brokerAddr = requiredString(ext, 'brokerAddr');
    const clusterName = requiredString(ext, 'clusterName');
    const haServerAddr = requiredString(ext, 'haServerAddr');
    const brokerId = requiredLong(ext, 'brokerId');
    const compressed = isTrue(ext?.['compressed']);
    const expectedCrc = optionalInt(ext, 'bodyCrc32') ?? 0;

    // Java checks the CRC first (0 = "not checked"); the response comes from
    // RegisterBrokerResponseHeader, hence "extFields":{} (fixture register-broker-crc32-mismatch).
    if (expectedCrc !== 0 && bodyCrc32(request.body) !== expectedCrc) {
      return withHeader(request, ResponseCode.SYSTEM_ERROR, [], 'crc32 not match');
    }

    // A body that does not decode throws BodyDecodeError → SYSTEM_ERROR with its message.
    const body = decodeRegisterBrokerBody(request.body, { compressed, version: request.version });
    const result = routes.registerBroker({
      clusterName,
      brokerAddr,
      brokerName,
      brokerId,
      haServerAddr,
      topicConfigWrapper: body.topicConfigSerializeWrapper,
      // Java's pre-3.0.11 path passes no filter-server list at all (null = leave untouched).
      filterServerList: request.version < REGISTER_BODY_MIN_VERSION ? null : body.filterServerList,
      connectionId: ctx.connectionId,
      heartbeatTimeoutMillis: optionalLong(ext, 'heartbeatTimeoutMillis'),
      enableActingMaster: optionalBoolean(ext, 'enableActingMaster'),
      zoneName: optionalString(ext, ZONE_NAME_EXT_FIELD),
    });
    if (result === null) {
      // Java 5.x: the single-topic guard refused a first registration.
      return withHeader(request, ResponseCode.SYSTEM_ERROR, [], 'register broker failed');
    }
    // Java: the whole ORDER_TOPIC_CONFIG namespace, no body when the namespace does not exist.
    const orderConf = deps.config().returnOrderTopicConfigToBroker
      ? kv.getKVListByNamespace(ORDER_TOPIC_CONFIG_NAMESPACE)
      : null;
    return withHeader(
      request,
      ResponseCode.SUCCESS,
      // Java HashMap order of these two keys (fixture register-broker-slave).
      [
        ['haServerAddr', result.haServerAddr],
        ['masterAddr', result.masterAddr],
      ],
      null,
      orderConf === null ? null : encodeKVTable(orderConf),
    );
  }

  function unregisterBroker(request: RemotingCommand, ctx: RequestContext): RemotingCommand {
    const ext = request.extFields;
    routes.unregisterBroker(
      {
        brokerName: requiredString(ext, 'brokerName'),
        brokerAddr: requiredString(ext, 'brokerAddr'),
        clusterName: requiredString(ext, 'clusterName'),
        brokerId: requiredLong(ext, 'brokerId'),
      },
      { connectionId: ctx.connectionId },
    );
    // Java 4.9: synchronous and always SUCCESS (a stale or unknown broker is not an error).
    return ok(request);
  }

  function queryDataVersion(request: RemotingCommand): RemotingCommand {
    const ext = request.extFields;
    requiredString(ext, 'brokerName');
    const brokerAddr = requiredString(ext, 'brokerAddr');
    const clusterName = requiredString(ext, 'clusterName');
    requiredLong(ext, 'brokerId');
    if (request.body === null) {
      // Java: DataVersion.decode(null) throws → SYSTEM_ERROR; say what is wrong instead.
      return fail(
        request,
        ResponseCode.SYSTEM_ERROR,
        'QUERY_DATA_VERSION without a DataVersion body',
      );
    }
    const result = routes.queryDataVersion(
      { clusterName, brokerAddr },
      decodeDataVersion(request.body),
    );
    return withHeader(
      request,
      ResponseCode.SUCCESS,
      [['changed', result.changed ? 'true' : 'false']],
      null,
      result.dataVersion === null ? null : encodeDataVersion(result.dataVersion),
    );
  }

  function brokerHeartbeat(request: RemotingCommand): RemotingCommand {
    const ext = request.extFields;
    const clusterName = requiredString(ext, 'clusterName');
    const brokerAddr = requiredString(ext, 'brokerAddr');
    requiredString(ext, 'brokerName');
    // Java 5.x: refresh the live entry if it exists; nothing else, always SUCCESS.
    routes.brokerHeartbeat(clusterName, brokerAddr);
    return ok(request);
  }

  function getBrokerMemberGroup(request: RemotingCommand): RemotingCommand {
    const clusterName = requiredString(request.extFields, 'clusterName');
    const brokerName = requiredString(request.extFields, 'brokerName');
    const group = routes.getBrokerMemberGroup(clusterName, brokerName);
    return ok(request, encodeGetBrokerMemberGroupResponseBody({ brokerMemberGroup: group }));
  }

  function wipeWritePermOfBroker(request: RemotingCommand): RemotingCommand {
    const brokerName = requiredString(request.extFields, 'brokerName');
    const count = routes.wipeWritePermOfBroker(brokerName);
    return withHeader(request, ResponseCode.SUCCESS, [['wipeTopicCount', String(count)]]);
  }

  function addWritePermOfBroker(request: RemotingCommand): RemotingCommand {
    const brokerName = requiredString(request.extFields, 'brokerName');
    const count = routes.addWritePermOfBroker(brokerName);
    return withHeader(request, ResponseCode.SUCCESS, [['addTopicCount', String(count)]]);
  }

  return [
    [RequestCode.REGISTER_BROKER, registerBroker],
    [RequestCode.UNREGISTER_BROKER, unregisterBroker],
    [RequestCode.QUERY_DATA_VERSION, queryDataVersion],
    [RequestCode.BROKER_HEARTBEAT, brokerHeartbeat],
    [RequestCode.GET_BROKER_MEMBER_GROUP, getBrokerMemberGroup],
    [RequestCode.WIPE_WRITE_PERM_OF_BROKER, wipeWritePermOfBroker],
    [RequestCode.ADD_WRITE_PERM_OF_BROKER, addWritePermOfBroker],
  ];
}
