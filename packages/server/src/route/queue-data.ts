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
