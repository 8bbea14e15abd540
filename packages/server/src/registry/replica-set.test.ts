import { afterEach, describe, expect, it, vi } from 'vitest';
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

  it('a joining peer gets every batch but no write waits for it until it is admitted and caught up', async () => {
    const set = new ReplicaSet(encodeOpParts);
    const up = recordingPeer('up');
    const joining = recordingPeer('joining');
    set.add(up);
    set.publish([1]);
    set.ack(up, 1);
    set.join(joining);
    const seq = set.publish([2]);
    expect(joining.sent).toEqual([{ seq: 2, ops: [2], final: true }]);
    // Answered once the counted peer has it: the joining one (still booting) is not waited for.
    const answered = set.whenAcked(seq);
    set.ack(up, 2);
    await answered;
    // Admitted: it may serve only once it reflects write 2, answered before.
    let caughtUp: boolean | null = null;
    void set.admit(joining).then((v) => (caughtUp = v));
    await Promise.resolve();
    expect(caughtUp).toBeNull();
    // From now on writes wait for it too.
    const next = set.publish([3]);
    let third = false;
    void set.whenAcked(next).then(() => (third = true));
    set.ack(up, 3);
    set.ack(joining, 2);
    await Promise.resolve();
    expect(caughtUp).toBe(true);
    expect(third).toBe(false);
    set.ack(joining, 3);
    await vi.waitFor(() => expect(third).toBe(true));
  });

  it('admitting a peer that has already applied every batch answers true at once, with no write to come', async () => {
    const set = new ReplicaSet(encodeOpParts);
    const joining = recordingPeer('joining');
    set.join(joining);
    const seq = set.publish([1, 't1', 'b', 4, 4, 6, 0]);
    set.ack(joining, seq);
    // The node is idle from now on: nothing else would ever wake an admission left waiting.
    const within = (p: Promise<boolean>) =>
      Promise.race([
        p,
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 2000).unref()),
      ]);
    expect(await within(set.admit(joining))).toBe(true);
    // A peer joined with no batch since its snapshot is caught up too.
    const fresh = recordingPeer('fresh');
    set.join(fresh);
    expect(await within(set.admit(fresh))).toBe(true);
  });

  it('admitting a peer that left, or leaves before catching up, answers false', async () => {
    const set = new ReplicaSet(encodeOpParts);
    const gone = recordingPeer('gone');
    expect(await set.admit(gone)).toBe(false);
    const leaving = recordingPeer('leaving');
    set.join(leaving);
    set.publish([1]);
    const admitted = set.admit(leaving);
    set.remove(leaving);
    expect(await admitted).toBe(false);
  });

  describe('a counted peer that does not acknowledge in time', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('is reported once, when the oldest waiting write has waited lateAfterMillis; its removal lets the writes go', async () => {
      vi.useFakeTimers();
      const late: string[] = [];
      const set = new ReplicaSet({
        encode: encodeOpParts,
        lateAfterMillis: 1000,
        onLate: (peer, seq) => late.push(`${peer.name}@${seq}`),
        now: () => Date.now(),
      });
      const quick = recordingPeer('quick');
      const stuck = recordingPeer('stuck');
      const booting = recordingPeer('booting');
      set.add(quick);
      set.add(stuck);
      set.join(booting);
      let answered = false;
      void set.whenAcked(set.publish([1])).then(() => (answered = true));
      set.ack(quick, 1);
      await vi.advanceTimersByTimeAsync(999);
      expect(late).toEqual([]);
      // A second write behind the first: still one report per peer.
      void set.whenAcked(set.publish([2]));
      set.ack(quick, 2);
      await vi.advanceTimersByTimeAsync(1);
      expect(late).toEqual(['stuck@1']);
      await vi.advanceTimersByTimeAsync(5000);
      expect(late).toEqual(['stuck@1']);
      expect(answered).toBe(false);
      // Its process ended: removed, and the writes are answered.
      set.remove(stuck);
      await vi.advanceTimersByTimeAsync(0);
      expect(answered).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('nothing is reported when the peers acknowledge within the time', async () => {
      vi.useFakeTimers();
      const late: string[] = [];
      const set = new ReplicaSet({
        encode: encodeOpParts,
        lateAfterMillis: 1000,
        onLate: (peer) => late.push(peer.name),
        now: () => Date.now(),
      });
      const a = recordingPeer('a');
      set.add(a);
      for (let seq = 1; seq <= 5; seq++) {
        const acked = set.whenAcked(set.publish([seq]));
        await vi.advanceTimersByTimeAsync(900);
        set.ack(a, seq);
        await acked;
      }
      await vi.advanceTimersByTimeAsync(5000);
      expect(late).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
