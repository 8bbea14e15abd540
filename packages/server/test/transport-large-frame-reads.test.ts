/**
 * A large frame (YIELDING_READ_MIN_FRAME_BYTES and up) is read at most
 * YIELDING_READ_BYTES_PER_TURN (and the chunk that crosses it, and one more the paused stream
 * keeps) per turn of the event loop: timers, other sockets and the registry's slices run between
 * two reads of a broker's 8 MiB registration, instead of waiting while libuv copies up to 2 MiB of
 * it per turn.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, encodeCommand, newExtFields } from '@ns/protocol';
import { YIELDING_READ_BYTES_PER_TURN } from '../src/transport/connection.js';
import { ECHO_CODE, startTestServer } from './transport-helpers.js';
import type { TestServer } from './transport-helpers.js';

let ts: TestServer | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await ts?.server.close(500);
  ts = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Sends `frame` from another process as fast as it can and waits for one answer; resolves with
 * the answer's length once that process saw it.
 */
function sendFromChild(port: number, frameFile: string): Promise<number> {
  const script = `
    const net = require('node:net'); const fs = require('node:fs');
    const frame = fs.readFileSync(${JSON.stringify(frameFile)});
    const s = net.connect(${port}, '127.0.0.1', () => s.write(frame));
    let got = 0;
    s.on('data', (d) => { got += d.length; if (got >= 4 && got >= 4 + d.readInt32BE(0) && got === d.length) { console.log(got); s.destroy(); } });
    s.on('error', (e) => { console.error(e.message); process.exit(2); });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`sender exited ${code}`)),
    );
  });
}

describe('reading a large frame', () => {
  it('takes at most YIELDING_READ_BYTES_PER_TURN and two socket reads per turn of the event loop', async () => {
    ts = await startTestServer({ maxFrameLength: 16 << 20 });
    const server = ts.server;
    const ext = newExtFields();
    ext.topic = 'large';
    const frame = encodeCommand(
      createRequest({ code: ECHO_CODE, opaque: 1, extFields: ext, body: Buffer.alloc(8 << 20, 7) }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'ns-large-frame-'));
    dirs.push(dir);
    const file = join(dir, 'frame.bin');
    writeFileSync(file, frame);

    // Every turn: how far the frame being assembled got since the previous turn.
    let last = 0;
    let maxStep = 0;
    let turnsWhilePartial = 0;
    let sampling = true;
    const sample = (): void => {
      if (!sampling) return;
      const held = server.connectionInfos()[0]?.partialFrameBytes ?? 0;
      if (held > 0) {
        turnsWhilePartial++;
        maxStep = Math.max(maxStep, held - last);
      }
      last = held;
      setImmediate(sample);
    };
    setImmediate(sample);
    const answered = await sendFromChild(ts.port, file);
    sampling = false;

    expect(answered).toBeGreaterThan(0); // the frame was read whole and answered
    expect(ts.dispatcher.seen.map((s) => s.code)).toEqual([ECHO_CODE]);
    // A socket read is at most 64 KiB: past the per-turn bytes, the read that crossed them and
    // one more (the stream keeps it once paused).
    const perTurn = YIELDING_READ_BYTES_PER_TURN + 2 * 64 * 1024;
    expect(maxStep).toBeLessThanOrEqual(perTurn);
    expect(turnsWhilePartial).toBeGreaterThanOrEqual(Math.floor((8 << 20) / perTurn));
  });
});
