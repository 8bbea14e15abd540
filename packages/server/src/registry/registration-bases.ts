/**
 * The registry owner's side of incremental registrations: per broker (liveKey), the topic table
 * of its last body — the decode thread's "base" — rebuilt from what the serving side decoded, so
 * a re-registration that changed a few topics costs a few edits, here as in the decode thread.
 *
 * A delta names the base it was made against; it is applied only to a table built from that very
 * base. When the base kept here is another one (the broker came back on a connection of another
 * serving process, or the table was dropped when the broker left), the answer is 'resend': the
 * serving side decodes the body again, in full, and sends that.
 */
import { applyRegisterBodyDeltaInSteps } from '@ns/protocol';
import type { TopicConfig, TopicConfigSerializeWrapper } from '@ns/protocol';
import type { PreDecodedBody } from '../handlers/request-context.js';
import { rowAt, topicNames, unseal } from '../serving/decode/decoded-registration.js';
import type {
  BodyExtras,
  DecodedRegistration,
  TopicRows,
} from '../serving/decode/decoded-registration.js';

/** Topics handled between two questions to `pause` (see resolveInSteps). */
const PAUSE_CHECK_EVERY = 256;
const NEVER = (): boolean => false;

interface Kept {
  id: string;
  /** Edited in place, or replaced by a new one (a delta with insertions). */
  table: Map<string, TopicConfig>;
  extras: BodyExtras;
}

export class RegistrationBases {
  private readonly byKey = new Map<string, Kept>();
  private unbased = 0;

  /**
   * @param topicName the string the route tables keep for a topic name (see
   *   RouteTables.topicName): the tables kept here use it, so that the brokers of a cluster, which
   *   register the same topics, do not each keep a copy of every name.
   */
  constructor(private readonly topicName: (name: string) => string = (name) => name) {}

  /** Number of brokers with a kept table (tests, metrics). */
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
   * `resolve` as a generator that yields (when `pause()` says so, asked every PAUSE_CHECK_EVERY
   * topics) while it builds or edits a large table, so the registry owner can let reads run in
   * between (issue 11). The caller runs it to the end before anything else touches these bases.
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
        const kept = this.byKey.get(key);
        if (kept === undefined || kept.id !== decoded.base) return 'resend';
        return this.body(kept.id, kept);
      }
      case 'full': {
        const rows = decoded.rows;
        const { nameAt } = topicNames(rows);
        const table = new Map<string, TopicConfig>();
        for (let i = 0; i < rows.count; i++) {
          if (i % PAUSE_CHECK_EVERY === PAUSE_CHECK_EVERY - 1 && pause()) yield;
          const name = this.topicName(nameAt(i));
          table.set(name, rowAt(rows, i, name));
        }
        const extras = extrasOf(decoded);
        if (decoded.base === null) {
          // Not kept (old or empty bodies): a tag that never repeats, so never a fast path.
          this.byKey.delete(key);
          return this.body(`unbased:${++this.unbased}`, { table, extras });
        }
        const kept: Kept = { id: decoded.base, table, extras };
        this.byKey.set(key, kept);
        return this.body(kept.id, kept);
      }
      case 'delta': {
        const kept = this.byKey.get(key);
        if (kept === undefined || kept.id !== decoded.from) return 'resend';
        const extras = extrasOf(decoded);
        let changed: string[];
        if (decoded.inserted.length === 0) {
          // Updates and removals only (the usual change): checked, then applied, in steps.
          const names = yield* namesInSteps(decoded.upserts, this.topicName, pause);
          if (!(yield* updateInSteps(kept.table, names, decoded.upserts, decoded.removed, pause))) {
            this.byKey.delete(key);
            return 'resend';
          }
          changed = names;
        } else {
          // Topics added or moved: the table is rebuilt in the body's order, in steps (a 50,000
          // topic broker adding one topic would otherwise hold the loop for tens of ms).
          const names = yield* namesInSteps(decoded.upserts, this.topicName, pause);
          const upserts = new Array<TopicConfig>(names.length);
          for (let i = 0; i < names.length; i++) {
            if (i % PAUSE_CHECK_EVERY === PAUSE_CHECK_EVERY - 1 && pause()) yield;
            upserts[i] = rowAt(decoded.upserts, i, names[i]!);
          }
          let table: Map<string, TopicConfig>;
          try {
            table = yield* applyRegisterBodyDeltaInSteps(
              kept.table,
              {
                kind: 'delta',
                ...extras,
                filterServerList: extras.filterServerList ?? [],
                upserts,
                removed: decoded.removed,
                inserted: decoded.inserted,
              },
              pause,
            );
          } catch {
            // Does not fit the table (it cannot, unless the two sides lost step): start afresh.
            this.byKey.delete(key);
            return 'resend';
          }
          kept.table = table;
          changed = names;
        }
        const from = kept.id;
        kept.id = decoded.base;
        kept.extras = extras;
        return this.body(kept.id, kept, {
          tag: from,
          topics: changed,
          removed: decoded.removed,
        });
      }
    }
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  private body(
    tag: string,
    kept: Pick<Kept, 'table' | 'extras'>,
    changedSince?: { tag: string; topics: readonly string[]; removed: readonly string[] },
  ): PreDecodedBody {
    const e = kept.extras;
    const wrapper: TopicConfigSerializeWrapper = {
      dataVersion: e.dataVersion,
      topicConfigTable: kept.table,
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

/**
 * A delta without insertions applied to `table` (as the codec's applyRegisterBodyDeltaInPlace
 * does, all or nothing: every topic is checked before the first edit), yielding between steps.
 * False when the delta does not fit the table (nothing was edited).
 */
function* updateInSteps(
  table: Map<string, TopicConfig>,
  names: readonly string[],
  upserts: TopicRows,
  removed: readonly string[],
  pause: () => boolean,
): Generator<void, boolean, void> {
  const gone = new Set(removed);
  let n = 0;
  for (const topic of gone) {
    if (++n % PAUSE_CHECK_EVERY === 0 && pause()) yield;
    if (!table.has(topic)) return false;
  }
  for (let i = 0; i < names.length; i++) {
    if (++n % PAUSE_CHECK_EVERY === 0 && pause()) yield;
    if (!table.has(names[i]!) || gone.has(names[i]!)) return false;
  }
  for (const topic of gone) {
    if (++n % PAUSE_CHECK_EVERY === 0 && pause()) yield;
    table.delete(topic);
  }
  for (let i = 0; i < names.length; i++) {
    if (++n % PAUSE_CHECK_EVERY === 0 && pause()) yield;
    table.set(names[i]!, rowAt(upserts, i, names[i]!));
  }
  return true;
}

/** The names of `rows` as strings (as `topicName` gives them), made in steps (see topicNames). */
function* namesInSteps(
  rows: TopicRows,
  topicName: (name: string) => string,
  pause: () => boolean,
): Generator<void, string[], void> {
  const { nameAt } = topicNames(rows);
  const names = new Array<string>(rows.count);
  for (let i = 0; i < rows.count; i++) {
    if (i % PAUSE_CHECK_EVERY === PAUSE_CHECK_EVERY - 1 && pause()) yield;
    names[i] = topicName(nameAt(i));
  }
  return names;
}
