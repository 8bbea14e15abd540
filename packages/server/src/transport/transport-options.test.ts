import { describe, expect, it } from 'vitest';
import { MAX_KEPT_CHUNKS } from '@ns/protocol';
import { defaultConfig } from '../config/index.js';
import type { NamesrvConfig } from '../config/index.js';
import { HELD_CHUNK_OVERHEAD_BYTES } from './connection.js';
import { partialFrameShare, transportOptionsOf } from './transport-options.js';

const MiB = 1024 * 1024;

function config(overrides: Partial<NamesrvConfig> = {}): NamesrvConfig {
  return { ...defaultConfig({ homeDir: '/nonexistent-home', env: {} }), ...overrides };
}

describe('partialFrameShare', () => {
  it('splits maxPartialFrameBytes between the serving processes, each keeping room for one whole frame', () => {
    const c = config({ maxFrameLength: 4 * MiB, maxPartialFrameBytes: 64 * MiB });
    expect(partialFrameShare(c, 1)).toBe(64 * MiB);
    expect(partialFrameShare(c, 4)).toBe(16 * MiB);
    expect(partialFrameShare(c, 3)).toBe(Math.floor((64 * MiB) / 3));
    // Never below one frame of the limit and its bookkeeping, however many processes share it.
    expect(partialFrameShare(c, 64)).toBe(4 * MiB + MAX_KEPT_CHUNKS * HELD_CHUNK_OVERHEAD_BYTES);
    expect(partialFrameShare(c, 0)).toBe(64 * MiB);
  });
});

describe('transportOptionsOf', () => {
  it('carries the limits of the config, in the transport units', () => {
    const c = config({
      maxFrameLength: 8 * MiB,
      maxHeaderLength: 12_345,
      serverChannelMaxIdleTimeSeconds: 7,
      maxPartialFrameBytes: 64 * MiB,
    });
    const o = transportOptionsOf(c, 2);
    expect(o).toMatchObject({
      maxFrameLength: 8 * MiB,
      maxHeaderLength: 12_345,
      idleTimeoutMillis: 7_000,
      partialFrameBudgetBytes: 32 * MiB,
      writeHardLimit: 64 * MiB,
    });
  });

  it('lets a connection queue two frames of the largest size before its writes overflow', () => {
    const o = transportOptionsOf(
      config({ maxFrameLength: 48 * MiB, maxPartialFrameBytes: 128 * MiB }),
    );
    expect(o.writeHardLimit).toBe(96 * MiB);
  });
});
