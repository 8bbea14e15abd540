/**
 * The registry owner's side of incremental registrations: per broker (liveKey), the topic table
 * of its last body — the decode thread's "base" — as rows (topic-rows-table.ts), so a
 * re-registration that changed a few topics costs a few edits, here as in the decode thread.
 *
 * A delta names the base it was made against; it is applied only to the rows of that very base.
 * When the base kept here is another one (the broker came back on a connection of another
 * serving process, or the rows were dropped when the broker left), or the delta does not line up
 * with the rows, the answer is 'resend': the serving side decodes the body again, in full, and
 * sends that.
 *
 * The decode thread may decode a broker's body against another broker's base (a slave's first
 * body against its master's: see register-decoder-core.ts); the rows of that base are then found
 * under the other broker, and this broker gets rows of its own (rows are never edited in place,
 * so sharing their arrays is safe).
 */
import type { TopicConfig } from '@ns/protocol';
import type { PreDecodedBody } from '../handlers/request-context.js';
import type { RegisteredTopicTable } from '../route/types.js';
import { rowAt, topicNames, unseal } from '../serving/decode/decoded-registration.js';
import type {
  BodyExtras,
  DecodedRegistration,
  TopicRows,
} from '../serving/decode/decoded-registration.js';
import { nextRowsInSteps, TopicRowsTable } from './topic-rows-table.js';

interface Kept {
  id: string;
  rows: TopicRows;
  extras: BodyExtras;
  /** The table's keys when one differs from its row's topicName (never kept: no base). */
  keys?: readonly string[];
}

/** Changed topics named (a string and a TopicConfig each) between two questions to `pause`. */
const NAMES_PER_PAUSE_CHECK = 1024;

export class RegistrationBases {
  private readonly byKey = new Map<string, Kept>();
  private unbased = 0;

  /** Number of brokers with kept rows (tests, metrics). */
  get size(): number {
    return this.byKey.size;
  }

  resolve(key: string, decoded: DecodedRegistration): PreDecodedBody | 'resend' {
    const steps = this.resolveInSteps(key, decoded, NEVER);
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
    }
  }

  /**
   * `resolve` as a generator that yields (when `pause()` says so) while it builds the rows of a
   * delta that moved topics, so the registry owner can let reads run in between (issue 11). The
   * caller runs it to the end before anything else touches these bases.
   */
  *resolveInSteps(
    key: string,
    decoded: DecodedRegistration,
    pause: () => boolean,
  ): Generator<void, PreDecodedBody | 'resend', void> {
    switch (decoded.kind) {
      case 'sealed':
        return yield* this.resolveInSteps(key, unseal(decoded), pause);
      case 'crc-mismatch':
      case 'undecodable':
        return decoded;
      case 'unchanged': {
        const found = this.keptWithId(key, decoded.base);
        if (found === undefined) return 'resend';
        const kept = this.own(key, found);
        return this.body(kept.id, kept);
      }
      case 'full': {
        // Kept as they came: no name is made a string until the registration reads it.
        const extras = extrasOf(decoded);
        if (decoded.base === null) {
          // Not kept (old or empty bodies): a tag that never repeats, so never a fast path.
          this.byKey.delete(key);
          return this.body(`unbased:${++this.unbased}`, {
            rows: decoded.rows,
            extras,
            ...(decoded.keys === undefined ? {} : { keys: decoded.keys }),
          });
        }
        if (decoded.keys !== undefined) {
          // Renamed values never come with a base (see the codec's indexJson): a bug if they do.
          this.byKey.delete(key);
          return this.body(`unbased:${++this.unbased}`, {
            rows: decoded.rows,
            extras,
            keys: decoded.keys,
          });
        }
        const kept: Kept = { id: decoded.base, rows: decoded.rows, extras };
        this.byKey.set(key, kept);
        return this.body(kept.id, kept);
      }
      case 'delta': {
        const found = this.keptWithId(key, decoded.from);
        if (found === undefined) return 'resend';
        const rows = yield* nextRowsInSteps(found.rows, decoded, pause);
        if (rows === null) {
          // Does not line up with the rows (it cannot, unless the two sides lost step).
          this.byKey.delete(key);
          return 'resend';
        }
        const kept = this.own(key, found);
        // The changed topics' names and configs, for the registration's shortcut (only these
        // are looked at when nothing else touched the broker name's queues since).
        const upserts = decoded.upserts;
        const { nameAt } = topicNames(upserts);
        const names = new Array<string>(upserts.count);
        const configs = new Array<TopicConfig>(upserts.count);
        for (let i = 0; i < upserts.count; i++) {
          // A delta may change up to a quarter of a table (the codec decodes in full beyond):
          // 12,500 names and configs at 50,000 topics, a few ms made in one go.
          if (i % NAMES_PER_PAUSE_CHECK === NAMES_PER_PAUSE_CHECK - 1 && pause()) yield;
          names[i] = nameAt(i);
          configs[i] = rowAt(upserts, i, names[i]!);
        }
        const from = kept.id;
        kept.id = decoded.base;
        kept.rows = rows;
        kept.extras = extrasOf(decoded);
        return this.body(kept.id, kept, {
          tag: from,
          topics: names,
          configs,
          removed: decoded.removed,
        });
      }
    }
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  /** The rows of base `id`: this broker's, or (see the module comment) another broker's. */
  private keptWithId(key: string, id: string): Kept | undefined {
    const own = this.byKey.get(key);
    if (own !== undefined && own.id === id) return own;
    // Brokers are few (hundreds at most), and this runs once per first body of a broker.
    for (const kept of this.byKey.values()) if (kept.id === id) return kept;
    return undefined;
  }

  /** `found` if it is this broker's, else a Kept of this broker's own with the same rows. */
  private own(key: string, found: Kept): Kept {
    if (this.byKey.get(key) === found) return found;
    const kept: Kept = { id: found.id, rows: found.rows, extras: found.extras };
    this.byKey.set(key, kept);
    return kept;
  }

  private body(
    tag: string,
    kept: Pick<Kept, 'rows' | 'extras' | 'keys'>,
    changedSince?: {
      tag: string;
      topics: readonly string[];
      configs: readonly TopicConfig[];
      removed: readonly string[];
    },
  ): PreDecodedBody {
    const e = kept.extras;
    const wrapper: RegisteredTopicTable = {
      dataVersion: e.dataVersion,
      topicConfigTable: new TopicRowsTable(kept.rows, kept.keys),
    };
    if (e.mappingDataVersion !== undefined) wrapper.mappingDataVersion = e.mappingDataVersion;
    if (e.topicQueueMappingInfoMap !== undefined) {
      wrapper.topicQueueMappingInfoMap = e.topicQueueMappingInfoMap;
    }
    if (e.topicQueueMappingDetailMap !== undefined) {
      wrapper.topicQueueMappingDetailMap = e.topicQueueMappingDetailMap;
    }
    return {
      kind: 'body',
      tag,
      wrapper,
      filterServerList: e.filterServerList,
      ...(changedSince === undefined ? {} : { changedSince }),
    };
  }
}

const NEVER = (): boolean => false;

function extrasOf(d: BodyExtras): BodyExtras {
  return {
    dataVersion: d.dataVersion,
    filterServerList: d.filterServerList,
    ...(d.mappingDataVersion === undefined ? {} : { mappingDataVersion: d.mappingDataVersion }),
    ...(d.topicQueueMappingInfoMap === undefined
      ? {}
      : { topicQueueMappingInfoMap: d.topicQueueMappingInfoMap }),
    ...(d.topicQueueMappingDetailMap === undefined
      ? {}
      : { topicQueueMappingDetailMap: d.topicQueueMappingDetailMap }),
  };
}
