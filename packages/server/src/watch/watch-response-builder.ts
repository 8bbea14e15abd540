/**
 * Builds WATCH_TOPIC_ROUTE responses, sharing work between watchers answered together.
 *
 * One builder lives for one batch of answers (one wakeup, one immediate answer, one expiry):
 * - each topic's entry (`{"route":…,"topic":…,"version":…}` or its gone form) is made once per
 *   flavour, around the route body the route cache encoded once;
 * - each distinct (flavour, serialize type, topic list) gets its body joined once; its first
 *   watcher gets a plainly encoded frame, and from the second on one prepared frame is shared, so
 *   each further watcher costs one copy with its opaque patched in (`preparedFrameBytes`).
 * 5,000 watchers of the same topics woken by one change: one route encoding per flavour, one frame
 * per serialize type, 5,000 copies.
 */
import {
  CURRENT_VERSION,
  encodeCommand,
  encodeWatchTopicRouteResponseHeader,
  goneTopicEntry,
  joinWatchTopicRouteResponse,
  prepareFrame,
  preparedFrameBytes,
  RemotingFlag,
  ResponseCode,
  watchedRouteEntry,
} from '@ns/protocol';
import type { ExtFields, PreparedFrame, RemotingCommand, SerializeType } from '@ns/protocol';
import type { RouteVersions } from './route-versions.js';

/** What a held watch keeps of its request (never the request itself: its body pins the chunk). */
export interface WatchRequestRef {
  readonly connectionId: number;
  readonly opaque: number;
  readonly serializeType: SerializeType;
  readonly standardJson: boolean;
}

/**
 * Largest watch answer body, well under a client's 16 MiB frame limit (one entry always goes,
 * whatever its size). Review finding: 1,000 topics of 110 broker groups made a 22 MB answer that
 * the client refused as a protocol violation, closing the connection, for ever.
 */
export const MAX_WATCH_ANSWER_BODY_BYTES = 4 * 1024 * 1024;

interface Entry {
  readonly bytes: Buffer;
  readonly isRoute: boolean;
}

export class WatchResponseBuilder {
  private readonly standardEntries = new Map<string, Entry>();
  private readonly legacyEntries = new Map<string, Entry>();
  private readonly frames = new Map<string, { prepared: PreparedFrame | null; body: Buffer }>();
  private readonly extFields: ExtFields;
  /** Route bodies encoded (or fetched from the route cache) by this builder; for tests. */
  bodiesFetched = 0;

  constructor(
    private readonly versions: RouteVersions,
    private readonly routeBody: (topic: string, standardJson: boolean) => Buffer | null,
  ) {
    // Shared by every response of the batch: nothing changes a response's header after encoding.
    this.extFields = encodeWatchTopicRouteResponseHeader({ epoch: versions.epoch });
  }

  /** The response carrying `topics` (each newer than the watcher holds) for `ref`. */
  response(ref: WatchRequestRef, topics: readonly string[]): RemotingCommand {
    const key = `${ref.standardJson ? 's' : 'l'}${ref.serializeType}${JSON.stringify(topics)}`;
    const shared = this.frames.get(key);
    if (shared === undefined) {
      // Most lists are answered once: encoding directly costs half of preparing a frame.
      const body = this.body(ref.standardJson, topics);
      this.frames.set(key, { prepared: null, body });
      const response = this.command(ref, body);
      response.encodedFrame = encodeCommand(response);
      return response;
    }
    const response = this.command(ref, shared.body);
    shared.prepared ??= prepareFrame(response);
    response.encodedFrame = preparedFrameBytes(shared.prepared, ref.opaque);
    return response;
  }

  private command(ref: WatchRequestRef, body: Buffer): RemotingCommand {
    return {
      code: ResponseCode.SUCCESS,
      language: 'JAVA',
      version: CURRENT_VERSION,
      opaque: ref.opaque,
      flag: RemotingFlag.RESPONSE,
      remark: null,
      extFields: this.extFields,
      body,
      serializeType: ref.serializeType,
    };
  }

  private body(standardJson: boolean, topics: readonly string[]): Buffer {
    const routes: Buffer[] = [];
    const gone: Buffer[] = [];
    let bytes = 0;
    for (const topic of topics) {
      const entry = this.entry(topic, standardJson);
      // The topics left out stay newer than what the client holds: its next watch, sent as soon
      // as this answer is applied, is answered with them at once.
      if (bytes > 0 && bytes + entry.bytes.length > MAX_WATCH_ANSWER_BODY_BYTES) break;
      bytes += entry.bytes.length;
      (entry.isRoute ? routes : gone).push(entry.bytes);
    }
    return joinWatchTopicRouteResponse(routes, gone);
  }

  private entry(topic: string, standardJson: boolean): Entry {
    const map = standardJson ? this.standardEntries : this.legacyEntries;
    let entry = map.get(topic);
    if (entry === undefined) {
      this.bodiesFetched++;
      const version = this.versions.version(topic);
      const route = this.routeBody(topic, standardJson);
      entry =
        route === null
          ? { bytes: goneTopicEntry(topic, version), isRoute: false }
          : { bytes: watchedRouteEntry(topic, version, route), isRoute: true };
      map.set(topic, entry);
    }
    return entry;
  }
}
