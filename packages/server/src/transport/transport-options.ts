/** The transport settings a NamesrvConfig asks for (the same in every serving process). */
import { MAX_KEPT_CHUNKS } from '@ns/protocol';
import type { NamesrvConfig } from '../config/index.js';
import { HELD_CHUNK_OVERHEAD_BYTES } from './connection.js';
import { validateTransportOptions } from './remoting-server.js';
import { DEFAULT_TRANSPORT_OPTIONS } from './types.js';
import type { TransportOptions } from './types.js';

/**
 * `servingProcesses`: how many processes cut frames for this node; each gets an equal share of
 * `maxPartialFrameBytes`, never less than what one whole frame is charged (see README "Limits"):
 * its bytes plus the bookkeeping of the buffers it may sit in. With the bytes alone, a frame of
 * exactly maxFrameLength was over the budget by that bookkeeping and always refused (review).
 */
export function partialFrameShare(config: NamesrvConfig, servingProcesses: number): number {
  const share = Math.floor(config.maxPartialFrameBytes / Math.max(1, servingProcesses));
  return Math.max(share, config.maxFrameLength + MAX_KEPT_CHUNKS * HELD_CHUNK_OVERHEAD_BYTES);
}

export function transportOptionsOf(config: NamesrvConfig, servingProcesses = 1): TransportOptions {
  const options: TransportOptions = {
    ...DEFAULT_TRANSPORT_OPTIONS,
    host: config.bindAddress,
    port: config.listenPort,
    maxFrameLength: config.maxFrameLength,
    maxHeaderLength: config.maxHeaderLength,
    idleTimeoutMillis: config.serverChannelMaxIdleTimeSeconds * 1000,
    backlog: config.serverSocketBacklog,
    // One response can be as large as a frame; never kill a peer for a single answer.
    writeHardLimit: Math.max(64 * 1024 * 1024, 2 * config.maxFrameLength),
    maxInFlightPerConnection: config.maxInFlightPerConnection,
    partialFrameBudgetBytes: partialFrameShare(config, servingProcesses),
    partialFrameTimeoutMillis: config.partialFrameTimeoutMillis,
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
  };
  validateTransportOptions(options);
  return options;
}
