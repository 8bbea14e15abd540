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
  LEGACY_JSON,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { HandlerTable } from './handler.js';
import type { KVConfigStore, KVReadStore } from './deps.js';
import { optionalString } from './header-fields.js';
import type { JavaLineProfile } from './java-line.js';

/** The KV writes (run by the registry owner). Route caches hear of changes from the manager. */
export function kvConfigWriteHandlers(deps: {
  kvConfigManager: KVConfigStore;
  line: JavaLineProfile;
}): HandlerTable {
  const kv = deps.kvConfigManager;
  const { ok, fail } = deps.line.respond;

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
    return ok(request);
  }

  function deleteKVConfig(request: RemotingCommand): RemotingCommand {
    const { namespace, key } = decodeDeleteKVConfigRequestHeader(request.extFields);
    // Java: always SUCCESS; never removes an emptied namespace. Java also rewrites the file when
    // nothing changed; here a delete of a missing key records no op, so no file is written. A
    // missing field reads as null there, which no entry has.
    if (namespace !== undefined && key !== undefined) kv.deleteKVConfig(namespace, key);
    return ok(request);
  }

  return [
    [RequestCode.PUT_KV_CONFIG, putKVConfig],
    [RequestCode.DELETE_KV_CONFIG, deleteKVConfig],
  ];
}

/** The KV reads, answered where they arrive. */
export function kvConfigReadHandlers(deps: {
  kvConfigManager: KVReadStore;
  line: JavaLineProfile;
}): HandlerTable {
  const kv = deps.kvConfigManager;
  const { ok, fail, withHeader } = deps.line.respond;

  function getKVConfig(request: RemotingCommand): RemotingCommand {
    const { namespace, key } = decodeGetKVConfigRequestHeader(request.extFields);
    // A missing field reads as null in Java, which no entry has ("not found", naming null).
    const value =
      namespace === undefined || key === undefined ? null : kv.getKVConfig(namespace, key);
    if (value !== null) {
      return withHeader(request, ResponseCode.SUCCESS, encodeGetKVConfigResponseHeader({ value }));
    }
    // Java builds this response from GetKVConfigResponseHeader: "extFields":{} even when not found.
    return withHeader(
      request,
      ResponseCode.QUERY_NOT_FOUND,
      encodeGetKVConfigResponseHeader({}),
      `No config item, Namespace: ${namespace ?? 'null'} Key: ${key ?? 'null'}`,
    );
  }

  function getKVListByNamespace(request: RemotingCommand): RemotingCommand {
    const { namespace } = decodeGetKVListByNamespaceRequestHeader(request.extFields);
    const table = namespace === undefined ? null : kv.getKVListByNamespace(namespace);
    if (table === null || namespace === undefined) {
      return fail(
        request,
        ResponseCode.QUERY_NOT_FOUND,
        `No config item, Namespace: ${namespace ?? 'null'}`,
      );
    }
    return ok(request, encodeKVTable(table, LEGACY_JSON, kv.namespaceTableCapacity(namespace)));
  }

  return [
    [RequestCode.GET_KV_CONFIG, getKVConfig],
    [RequestCode.GET_KVLIST_BY_NAMESPACE, getKVListByNamespace],
  ];
}
