/** `QueueData`: one broker name's queues of a topic (§3.2). */
import type { QueueData } from './types.js';
import { type JsonFlavour, writeString } from '../json/fastjson-writer.js';
import { asRecord, readInt, readRequiredString } from '../json/read-fields.js';

export function readQueueData(v: unknown, where: string): QueueData {
  const rec = asRecord(v, where);
  return {
    brokerName: readRequiredString(rec, 'brokerName', where),
    readQueueNums: readInt(rec, 'readQueueNums', where, 0),
    writeQueueNums: readInt(rec, 'writeQueueNums', where, 0),
    perm: readInt(rec, 'perm', where, 0),
    // Java: spelled `topicSynFlag` before 4.9.0; accept either.
    topicSysFlag:
      rec['topicSysFlag'] !== undefined
        ? readInt(rec, 'topicSysFlag', where, 0)
        : readInt(rec, 'topicSynFlag', where, 0),
  };
}

/** Sorted: brokerName, perm, readQueueNums, topicSysFlag, writeQueueNums. */
export function writeQueueData(q: QueueData, flavour: JsonFlavour): string {
  return (
    `{"brokerName":${writeString(q.brokerName, flavour)},"perm":${q.perm},` +
    `"readQueueNums":${q.readQueueNums},"topicSysFlag":${q.topicSysFlag},` +
    `"writeQueueNums":${q.writeQueueNums}}`
  );
}
