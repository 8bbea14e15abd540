/**
 * KV config requests (§2.2): PUT_KV_CONFIG (100), GET_KV_CONFIG (101), DELETE_KV_CONFIG (102),
 * GET_KVLIST_BY_NAMESPACE (219).
 */
import {
  decodeDeleteKVConfigRequestHeader,
  decodeGetKVConfigRequestHeader,
  decodeGetKVListByNamespaceRequestHeader,
  encodeGetKVConfigResponseHeader,
  encodeKVTable,
  ORDER_TOPIC_CONFIG_NAMESPACE,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { HandlerTable } from './handler.js';
import type { KVConfigStore } from './deps.js';
import { optionalString } from './header-fields.js';
import type { JavaLineProfile } from './java-line.js';

export interface KvConfigHandlerDeps {
  kvConfigManager: KVConfigStore;
  line: JavaLineProfile;
  /** Called after an ORDER_TOPIC_CONFIG entry changed: routes embed it as `orderTopicConf`. */
  onOrderTopicConfChanged(topic: string): void;
}

export function kvConfigHandlers(deps: KvConfigHandlerDeps): HandlerTable {
  const kv = deps.kvConfigManager;
  const { ok, fail, withHeader } = deps.line.respond;

  function putKVConfig(request: RemotingCommand): RemotingCommand {
    const ext = request.extFields;
    // Java 5.x: `namespace or key is null` → SYSTEM_ERROR before touching the store; a null value
    // is stored (reads of it then say "not found").
    const namespace = optionalString(ext, 'namespace');
    const key = optionalString(ext, 'key');
    if (namespace === null || key === null) {
      return fail(request, ResponseCode.SYSTEM_ERROR, 'namespace or key is null');
    }
    kv.putKVConfig(namespace, key, optionalString(ext, 'value'));
    if (namespace === ORDER_TOPIC_CONFIG_NAMESPACE) deps.onOrderTopicConfChanged(key);
    return ok(request);
  }

  function getKVConfig(request: RemotingCommand): RemotingCommand {
    const { namespace, key } = decodeGetKVConfigRequestHeader(request.extFields);
    const value = kv.getKVConfig(namespace, key);
    if (value !== null) {
      return withHeader(request, ResponseCode.SUCCESS, encodeGetKVConfigResponseHeader({ value }));
    }
    // Java builds this response from GetKVConfigResponseHeader: "extFields":{} even when not found.
    return withHeader(
      request,
      ResponseCode.QUERY_NOT_FOUND,
      encodeGetKVConfigResponseHeader({}),
      `No config item, Namespace: ${namespace} Key: ${key}`,
    );
  }

  function deleteKVConfig(request: RemotingCommand): RemotingCommand {
    const { namespace, key } = decodeDeleteKVConfigRequestHeader(request.extFields);
    // Java: always SUCCESS; never removes an emptied namespace; persists even when nothing changed.
    kv.deleteKVConfig(namespace, key);
    if (namespace === ORDER_TOPIC_CONFIG_NAMESPACE) deps.onOrderTopicConfChanged(key);
    return ok(request);
  }

  function getKVListByNamespace(request: RemotingCommand): RemotingCommand {
    const { namespace } = decodeGetKVListByNamespaceRequestHeader(request.extFields);
    const table = kv.getKVListByNamespace(namespace);
    if (table === null) {
      return fail(request, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace}`);
    }
    return ok(request, encodeKVTable(table));
  }

  return [
    [RequestCode.PUT_KV_CONFIG, putKVConfig],
    [RequestCode.GET_KV_CONFIG, getKVConfig],
    [RequestCode.DELETE_KV_CONFIG, deleteKVConfig],
    [RequestCode.GET_KVLIST_BY_NAMESPACE, getKVListByNamespace],
  ];
}
