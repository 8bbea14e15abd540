/**
 * KV config requests (§2.2): PUT_KV_CONFIG (100), GET_KV_CONFIG (101), DELETE_KV_CONFIG (102),
 * GET_KVLIST_BY_NAMESPACE (219).
 */
import {
  decodeDeleteKVConfigRequestHeader,
  decodeGetKVConfigRequestHeader,
  decodeGetKVListByNamespaceRequestHeader,
  encodeGetKVConfigResponseHeader,
  RequestCode,
  ResponseCode,
} from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { HandlerTable } from './handler.js';
import type { KVConfigStore, KVReadStore } from './deps.js';
import { optionalString } from './header-fields.js';
import type { JavaLineProfile } from './java-line.js';
import {
  kvTableBodyInSteps,
  namespaceFitsOneGo,
  namespaceSnapshotInSteps,
} from './list-bodies-in-steps.js';
import type { NamespaceSource } from './list-bodies-in-steps.js';
import { runToEnd } from '../slices/slice-queue.js';
import type { SlicedJob, SliceQueue } from '../slices/slice-queue.js';

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

/** An encoded GET_KVLIST_BY_NAMESPACE body and the namespace stamp of the state it shows. */
interface KeptBody {
  readonly stamp: number;
  readonly body: Buffer;
}

/** The KV reads, answered where they arrive. */
export function kvConfigReadHandlers(deps: {
  kvConfigManager: KVReadStore;
  line: JavaLineProfile;
  /**
   * Where a namespace of SLICED_FROM entries or more, or of long keys and values (see
   * namespaceFitsOneGo), is copied, ordered and encoded, a slice at a time, so the lookups served
   * by the same event loop are answered in between. Absent: in one go.
   */
  slices?: SliceQueue;
}): HandlerTable {
  const kv = deps.kvConfigManager;
  const { ok, fail, withHeader } = deps.line.respond;
  /**
   * Namespace → its encoded GET_KVLIST_BY_NAMESPACE body and the stamp it was encoded at.
   * Encoding a namespace of 100,000 keys (in Java HashMap order) held the event loop 65 ms on
   * every request, repeats included; now only the first request after the namespace changed
   * builds it, in slices when it is large. It holds at most one body per namespace asked for
   * (together at most the size of the table encoded once), and a stale one is dropped when its
   * namespace is next asked for.
   */
  const bodies = new Map<string, KeptBody>();
  /** Namespaces being built in slices: a request at the same stamp waits for the same body. */
  const building = new Map<string, { stamp: number; body: Promise<Buffer | null> }>();

  function sourceOf(namespace: string): NamespaceSource {
    return {
      entries: () => kv.namespaceEntries(namespace),
      stamp: () => kv.namespaceStamp(namespace),
      capacity: () => kv.namespaceTableCapacity(namespace),
    };
  }

  /** The namespace's body, with the stamp of the state it shows; null: no such namespace. */
  function* namespaceBody(namespace: string): SlicedJob<KeptBody | null> {
    const snapshot = yield* namespaceSnapshotInSteps(sourceOf(namespace));
    if (snapshot === null) return null;
    return { stamp: snapshot.stamp, body: yield* kvTableBodyInSteps(snapshot) };
  }

  /** The body at the namespace's current stamp (null: no such namespace). */
  function encodedNamespace(namespace: string): Buffer | null | Promise<Buffer | null> {
    const stamp = kv.namespaceStamp(namespace);
    if (stamp === null) {
      bodies.delete(namespace);
      return null;
    }
    const kept = bodies.get(namespace);
    if (kept !== undefined && kept.stamp === stamp) return kept.body;
    const pending = building.get(namespace);
    if (pending !== undefined && pending.stamp === stamp) return pending.body;
    // Few entries is not enough: 2,000 values of 30 KB took 1.2 s in one go.
    const entries = kv.namespaceEntries(namespace);
    if (deps.slices === undefined || entries === null || namespaceFitsOneGo(entries)) {
      const built = runToEnd(namespaceBody(namespace));
      if (built !== null) bodies.set(namespace, built);
      return built?.body ?? null;
    }
    // The copy is taken when the job starts (and again if a write tears it), so the body may
    // show a later state than `stamp`'s: it is kept for the stamp of the state it shows.
    const body = deps.slices.run(namespaceBody(namespace)).then((built) => {
      if (built === null) return null;
      if (kv.namespaceStamp(namespace) === built.stamp) bodies.set(namespace, built);
      return built.body;
    });
    building.set(namespace, { stamp, body });
    const settled = (): void => {
      if (building.get(namespace)?.body === body) building.delete(namespace);
    };
    body.then(settled, settled);
    return body;
  }

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

  function getKVListByNamespace(
    request: RemotingCommand,
  ): RemotingCommand | Promise<RemotingCommand> {
    const { namespace } = decodeGetKVListByNamespaceRequestHeader(request.extFields);
    const answer = (body: Buffer | null): RemotingCommand =>
      body === null
        ? fail(
            request,
            ResponseCode.QUERY_NOT_FOUND,
            `No config item, Namespace: ${namespace ?? 'null'}`,
          )
        : ok(request, body);
    if (namespace === undefined) return answer(null);
    const body = encodedNamespace(namespace);
    return body instanceof Promise ? body.then(answer) : answer(body);
  }

  return [
    [RequestCode.GET_KV_CONFIG, getKVConfig],
    [RequestCode.GET_KVLIST_BY_NAMESPACE, getKVListByNamespace],
  ];
}
