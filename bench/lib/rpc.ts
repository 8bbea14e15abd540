/**
 * A minimal request/response connection for the orchestrator's own calls (registrations, route
 * checks, detection probes) — not for load. Independent of @ns/client on purpose: the harness
 * must keep working while the client SDK changes, and it must be able to send exact bytes.
 */
import * as net from 'node:net';
import { decodeFrame, FrameDecoder } from './ns.js';
import type { RemotingCommand } from './ns.js';
import { OPAQUE_BASE, opaqueDigitsOffset, patchOpaque } from './workload.js';

let nextOpaque = OPAQUE_BASE + 500_000_000;

interface Pending {
  resolve: (cmd: RemotingCommand) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class RpcConnection {
  readonly socket: net.Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder();
  private closedError: Error | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      for (const f of frames) {
        const cmd = decodeFrame(f);
        const p = this.pending.get(cmd.opaque);
        if (p === undefined) continue;
        this.pending.delete(cmd.opaque);
        clearTimeout(p.timer);
        p.resolve(cmd);
      }
    });
    socket.on('error', (err) => {
      this.closedError ??= err;
    });
    socket.on('close', () => {
      this.closedError ??= new Error('connection closed');
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(this.closedError);
      }
      this.pending.clear();
    });
  }

  static connect(host: string, port: number): Promise<RpcConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => resolve(new RpcConnection(socket)));
      socket.once('error', reject);
    });
  }

  /**
   * Sends `frame` (a JSON-header frame with a 10-digit opaque) with a fresh opaque patched in
   * place, and resolves with the response. The caller must not reuse `frame` concurrently.
   */
  send(frame: Buffer, timeoutMs = 30_000): Promise<RemotingCommand> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    const opaque = nextOpaque++;
    patchOpaque(frame, opaqueDigitsOffset(frame), opaque);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        reject(new Error(`request timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(opaque, { resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
