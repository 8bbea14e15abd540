import { describe, expect, it } from 'vitest';
import { decodeOpPart, encodeOpParts } from '../cluster/messages.js';
import { ReplicaSet } from './replica-set.js';
import type { ReplicaPeer } from './replica-set.js';

interface Sent {
  seq: number;
  ops: unknown[];
  final: boolean;
}

function recordingPeer(name: string): ReplicaPeer & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    name,
    sent,
    sendOps(seq, encoded, final) {
      const parts = encoded as Uint8Array[];
      parts.forEach((bytes, i) => {
        sent.push({ seq, ops: decodeOpPart(bytes), final: final && i === parts.length - 1 });
      });
    },
  };
}

describe('ReplicaSet', () => {
  it('streams parts of the next batch ahead of it; only the final part is numbered for the ack', async () => {
    const set = new ReplicaSet(encodeOpParts);
    const a = recordingPeer('a');
    const b = recordingPeer('b');
    set.add(a);
    set.add(b);
    set.stream([1, 't1', 'b', 4, 4, 6, 0]);
    set.stream([1, 't2', 'b', 4, 4, 6, 0]);
    // Everything went out while the write ran: the final part is empty, and still sent.
    const seq = set.publish([]);
    expect(seq).toBe(1);
    for (const peer of [a, b]) {
      expect(peer.sent).toEqual([
        { seq: 1, ops: [1, 't1', 'b', 4, 4, 6, 0], final: false },
        { seq: 1, ops: [1, 't2', 'b', 4, 4, 6, 0], final: false },
        { seq: 1, ops: [], final: true },
      ]);
    }
    const acked = set.whenAcked(seq);
    let done = false;
    void acked.then(() => (done = true));
    set.ack(a, 1);
    await Promise.resolve();
    expect(done).toBe(false);
    set.ack(b, 1);
    await acked;
  });

  it('streams nothing without peers or ops', () => {
    const set = new ReplicaSet(encodeOpParts);
    set.stream([1, 't1', 'b', 4, 4, 6, 0]);
    const peer = recordingPeer('late');
    set.add(peer);
    set.stream([]);
    expect(peer.sent).toEqual([]);
    expect(set.publish([2, 't1', 'b'])).toBe(1);
    expect(peer.sent).toEqual([{ seq: 1, ops: [2, 't1', 'b'], final: true }]);
  });
});
