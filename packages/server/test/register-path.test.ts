/**
 * A serving side's writes reach the registry owner in the order they arrived on their
 * connection, although a registration first waits for its body to be decoded in another thread:
 * an unregister (or the close) right behind a registration never overtakes it.
 */
import { describe, expect, it } from 'vitest';
import { RequestCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import type { RegisterBodyDecoder } from '../src/serving/decode/register-body-decoder.js';
import type { DecodedRegistration } from '../src/serving/decode/decoded-registration.js';
import { RegisterPath } from '../src/serving/register-path.js';
import type { RegisterTarget } from '../src/serving/register-path.js';
import { registerRequest, request } from './handlers-harness.js';

/** A decoder whose decodes finish when the test says so. */
function slowDecoder(): {
  decoder: RegisterBodyDecoder;
  finish(i: number): void;
  /** Decode `i` finishes with `d`. */
  finishWith(i: number, d: DecodedRegistration): void;
  fail(i: number): void;
  forgotten: string[];
  /** The (key, base) of every full decode of a kept base asked for. */
  fullOf: [string, string][];
} {
  const pending: { resolve(d: DecodedRegistration): void; reject(e: Error): void }[] = [];
  const forgotten: string[] = [];
  const fullOf: [string, string][] = [];
  const decoder = {
    decode: () =>
      new Promise<DecodedRegistration>((resolve, reject) => pending.push({ resolve, reject })),
    decodeBaseInFull: (key: string, base: string) => {
      fullOf.push([key, base]);
      return new Promise<DecodedRegistration>((resolve, reject) =>
        pending.push({ resolve, reject }),
      );
    },
    forget: (key: string) => forgotten.push(key),
    connectionClosed: () => undefined,
  } as unknown as RegisterBodyDecoder;
  return {
    decoder,
    finish: (i) => {
      pending[i]!.resolve({ kind: 'unchanged', base: `b${i}` });
    },
    finishWith: (i, d) => {
      pending[i]!.resolve(d);
    },
    fail: (i) => {
      pending[i]!.reject(new Error('decode thread exited'));
    },
    forgotten,
    fullOf,
  };
}

function recordingTarget(seen: string[], resendFirst = false): RegisterTarget {
  let resend = resendFirst;
  const answer = (cmd: RemotingCommand): RemotingCommand => ({ ...cmd, flag: 1 });
  return {
    execute: (cmd) => {
      seen.push(`exec ${cmd.code}`);
      return Promise.resolve(answer(cmd));
    },
    register: (cmd, _ctx, decoded) => {
      seen.push(`register ${decoded.kind === 'unchanged' ? decoded.base : decoded.kind}`);
      if (resend) {
        resend = false;
        return Promise.resolve('resend');
      }
      return Promise.resolve(answer(cmd));
    },
  };
}

const ctx = (connectionId: number) => ({ connectionId, remoteAddress: '127.0.0.1:1' });
const settle = () => new Promise((r) => setImmediate(r));

describe('RegisterPath', () => {
  it('holds later writes of a connection behind a registration being decoded', async () => {
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen), d.decoder, () => 1 << 20);
    const r1 = path.register(registerRequest(), ctx(1));
    const r2 = path.register(registerRequest(), ctx(1));
    const un = path.write(request(RequestCode.UNREGISTER_BROKER), ctx(1));
    const other = path.write(request(RequestCode.PUT_KV_CONFIG), ctx(2));
    await other;
    expect(seen).toEqual([`exec ${RequestCode.PUT_KV_CONFIG}`]);
    d.finish(1); // the second decode finishes first: still handed over second
    await settle();
    expect(seen).toEqual([`exec ${RequestCode.PUT_KV_CONFIG}`]);
    d.finish(0);
    await Promise.all([r1, r2, un]);
    await settle();
    expect(seen).toEqual([
      `exec ${RequestCode.PUT_KV_CONFIG}`,
      'register b0',
      'register b1',
      `exec ${RequestCode.UNREGISTER_BROKER}`,
    ]);
  });

  it('a registration its connection closed behind is dropped; the unregister and the close still go, in order', async () => {
    // The registration is not applied: its answer has no reader, and it would bind the broker to
    // a dead connection whose close then removes the broker, although it may have registered
    // again meanwhile on a new connection.
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen), d.decoder, () => 1 << 20);
    const r1 = path.register(registerRequest(), ctx(1));
    const un = path.write(request(RequestCode.UNREGISTER_BROKER), ctx(1));
    const r2 = path.register(registerRequest(), ctx(1));
    let closed = false;
    path.connectionClosed(1, () => {
      closed = true;
      seen.push('closed');
    });
    // A registration on another connection is not affected.
    const fresh = path.register(registerRequest(), ctx(2));
    d.finish(2);
    await fresh;
    expect(seen).toEqual(['register b2']);
    d.finish(1);
    d.finish(0);
    await expect(Promise.all([r1, un, r2])).resolves.toEqual([
      null,
      expect.objectContaining({ code: RequestCode.UNREGISTER_BROKER }),
      null,
    ]);
    await settle();
    expect(seen).toEqual(['register b2', `exec ${RequestCode.UNREGISTER_BROKER}`, 'closed']);
    expect(closed).toBe(true);
    // A later connection (ids are never reused) registers as usual.
    const later = path.register(registerRequest(), ctx(3));
    d.finish(3);
    await later;
    expect(seen.at(-1)).toBe('register b3');
  });

  it('a failed decode answers with an error and does not block the connection', async () => {
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen), d.decoder, () => 1 << 20);
    const r = path.register(registerRequest(), ctx(1));
    const un = path.write(request(RequestCode.UNREGISTER_BROKER), ctx(1));
    d.fail(0);
    await expect(r).rejects.toThrow('decode thread exited');
    await un;
    expect(seen).toEqual([`exec ${RequestCode.UNREGISTER_BROKER}`]);
  });

  it("on 'resend' registers again from the decode thread's full decode of that base", async () => {
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen, true), d.decoder, () => 1 << 20);
    const r = path.register(registerRequest({ cluster: 'C', brokerAddr: 'x:1' }), ctx(1));
    d.finish(0);
    await settle();
    await settle();
    d.finish(1);
    expect((await r)?.flag).toBe(1);
    expect(seen).toEqual(['register b0', 'register b1']);
    // The body may have been moved to the thread: the thread decodes its copy (base b0) in full.
    expect(d.fullOf).toEqual([['C\u0000x:1', 'b0']]);
    expect(d.forgotten).toEqual([]);
  });

  it("a write or the close behind a registration sent back ('resend') waits for its retry", async () => {
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen, true), d.decoder, () => 1 << 20);
    const r = path.register(registerRequest({ cluster: 'C', brokerAddr: 'x:1' }), ctx(1));
    d.finish(0); // handed over, answered 'resend': the full decode of b0 (decode 1) is pending
    await settle();
    await settle();
    expect(d.fullOf).toEqual([['C\u0000x:1', 'b0']]);
    const un = path.write(
      request(RequestCode.UNREGISTER_BROKER, {
        ext: { clusterName: 'C', brokerAddr: 'x:1', brokerName: 'b', brokerId: '0' },
      }),
      ctx(1),
    );
    path.connectionClosed(1, () => seen.push('closed'));
    await settle();
    // Neither may reach the owner before the retry: the retry would bring the broker back.
    expect(seen).toEqual(['register b0']);
    d.finish(1);
    await Promise.all([r, un]);
    await settle();
    // The connection closed before the retry was handed over: the retry is dropped (see the test
    // of a registration its connection closed behind), the unregister and the close go after it.
    expect(seen).toEqual(['register b0', `exec ${RequestCode.UNREGISTER_BROKER}`, 'closed']);
    await expect(r).resolves.toBeNull();
  });

  it('a failed retry after a resend still lets the connection go on', async () => {
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen, true), d.decoder, () => 1 << 20);
    const r = path.register(registerRequest({ cluster: 'C', brokerAddr: 'x:1' }), ctx(1));
    d.finish(0);
    await settle();
    await settle();
    const un = path.write(request(RequestCode.UNREGISTER_BROKER), ctx(1));
    d.fail(1); // the full decode fails (the thread exited)
    await expect(r).rejects.toThrow('decode thread exited');
    await un;
    expect(seen).toEqual(['register b0', `exec ${RequestCode.UNREGISTER_BROKER}`]);
  });

  it("on 'resend' of a sealed delta, registers again from the full decode of the base it names", async () => {
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen, true), d.decoder, () => 1 << 20);
    const r = path.register(registerRequest({ cluster: 'C', brokerAddr: 'x:1' }), ctx(1));
    d.finishWith(0, { kind: 'sealed', of: 'delta', base: 's7', bytes: new Uint8Array(1) });
    await settle();
    await settle();
    d.finish(1);
    expect((await r)?.flag).toBe(1);
    expect(seen).toEqual(['register sealed', 'register b1']);
    expect(d.fullOf).toEqual([['C\u0000x:1', 's7']]);
  });

  it("on 'resend' of a sealed full (which names no base the owner could lack), decodes the body again", async () => {
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen, true), d.decoder, () => 1 << 20);
    const r = path.register(registerRequest({ cluster: 'C', brokerAddr: 'x:1' }), ctx(1));
    d.finishWith(0, { kind: 'sealed', of: 'full', base: 's8', bytes: new Uint8Array(1) });
    await settle();
    await settle();
    d.finish(1);
    expect((await r)?.flag).toBe(1);
    expect(d.fullOf).toEqual([]);
    expect(d.forgotten).toEqual(['C\u0000x:1']);
  });

  it("an UNREGISTER_BROKER makes the decode thread forget the broker's base as it arrives", async () => {
    const seen: string[] = [];
    const d = slowDecoder();
    const path = new RegisterPath(recordingTarget(seen), d.decoder, () => 1 << 20);
    const r = path.register(registerRequest({ cluster: 'C', brokerAddr: 'x:1' }), ctx(1));
    const unregister = (ext: Record<string, string>) =>
      path.write(request(RequestCode.UNREGISTER_BROKER, { ext }), ctx(1));
    const un = unregister({ clusterName: 'C', brokerAddr: 'x:1', brokerName: 'b', brokerId: '0' });
    // Told at once (after the registration's decode was sent, before any later one), while the
    // unregister itself still waits behind the registration.
    expect(d.forgotten).toEqual(['C\u0000x:1']);
    expect(seen).toEqual([]);
    // A header the owner will refuse names no broker: nothing to forget.
    const bad = unregister({ brokerName: 'b' });
    expect(d.forgotten).toEqual(['C\u0000x:1']);
    d.finish(0);
    await Promise.all([r, un, bad]);
    expect(seen).toEqual([
      'register b0',
      `exec ${RequestCode.UNREGISTER_BROKER}`,
      `exec ${RequestCode.UNREGISTER_BROKER}`,
    ]);
  });
});
