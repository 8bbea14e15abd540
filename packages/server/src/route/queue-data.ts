/**
 * QueueData values stored in the topic table are frozen and replaced, never edited in place: a
 * route handed out by `pickupTopicRouteData` can share them without copying, and nobody can change
 * a cached route behind the change notifications.
 */
import type { QueueData } from '@ns/protocol';

export function newQueueData(
  brokerName: string,
  readQueueNums: number,
  writeQueueNums: number,
  perm: number,
  topicSysFlag: number,
): Readonly<QueueData> {
  return Object.freeze({ brokerName, readQueueNums, writeQueueNums, perm, topicSysFlag });
}

/** Distinct QueueData kept per broker name (more: made without sharing, see QueueDataPool). */
const POOL_MAX_PER_BROKER_NAME = 256;

/**
 * Shares one frozen QueueData among every topic of a broker name with the same queue numbers,
 * perm and flag (a broker's topics mostly have the defaults: 10,000 topics, a handful of
 * distinct values). A new broker of 10,000 topics made 10,000 equal objects: about 0.6 MB that
 * every young-generation GC during the registration copied twice, and 64 bytes per (topic, broker
 * name) for the node's life. Sharing is invisible to readers: the objects are frozen and compared
 * by value (queueDataEquals), never by identity.
 */
export class QueueDataPool {
  private readonly byName = new Map<string, Map<number, Readonly<QueueData>>>();

  get(
    brokerName: string,
    readQueueNums: number,
    writeQueueNums: number,
    perm: number,
    topicSysFlag: number,
  ): Readonly<QueueData> {
    const key = poolKey(readQueueNums, writeQueueNums, perm, topicSysFlag);
    if (key < 0) return newQueueData(brokerName, readQueueNums, writeQueueNums, perm, topicSysFlag);
    let pool = this.byName.get(brokerName);
    if (pool === undefined) {
      pool = new Map();
      this.byName.set(brokerName, pool);
    }
    let qd = pool.get(key);
    if (qd === undefined) {
      qd = newQueueData(brokerName, readQueueNums, writeQueueNums, perm, topicSysFlag);
      // Bounded: a broker sending every topic with other numbers gets unshared objects.
      if (pool.size < POOL_MAX_PER_BROKER_NAME) pool.set(key, qd);
    }
    return qd;
  }

  /** The broker name hosts no topic any more: its shared objects go with it. */
  forget(brokerName: string): void {
    this.byName.delete(brokerName);
  }
}

/**
 * The four numbers as one safe integer (16 + 16 + 8 + 8 bits), or -1 when one is outside the
 * range every real broker uses (such a QueueData is simply not shared).
 */
function poolKey(r: number, w: number, perm: number, flag: number): number {
  if ((r | w) >>> 16 !== 0 || (perm | flag) >>> 8 !== 0) return -1;
  if (r !== (r | 0) || w !== (w | 0) || perm !== (perm | 0) || flag !== (flag | 0)) return -1;
  return ((r * 0x1_0000 + w) * 0x100 + perm) * 0x100 + flag;
}

/** Java `QueueData.equals` without building the candidate first (no allocation when equal). */
export function queueDataEquals(
  qd: Readonly<QueueData>,
  readQueueNums: number,
  writeQueueNums: number,
  perm: number,
  topicSysFlag: number,
): boolean {
  return (
    qd.readQueueNums === readQueueNums &&
    qd.writeQueueNums === writeQueueNums &&
    qd.perm === perm &&
    qd.topicSysFlag === topicSysFlag
  );
}
