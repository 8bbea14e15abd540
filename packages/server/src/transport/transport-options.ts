/** The transport settings a NamesrvConfig asks for (the same in every serving process). */
import type { NamesrvConfig } from '../config/index.js';
import { validateTransportOptions } from './remoting-server.js';
import { DEFAULT_TRANSPORT_OPTIONS } from './types.js';
import type { TransportOptions } from './types.js';

export function transportOptionsOf(config: NamesrvConfig): TransportOptions {
  const options: TransportOptions = {
    ...DEFAULT_TRANSPORT_OPTIONS,
    host: config.bindAddress,
    port: config.listenPort,
    maxFrameLength: config.maxFrameLength,
    idleTimeoutMillis: config.serverChannelMaxIdleTimeSeconds * 1000,
    backlog: config.serverSocketBacklog,
    // One response can be as large as a frame; never kill a peer for a single answer.
    writeHardLimit: Math.max(64 * 1024 * 1024, 2 * config.maxFrameLength),
  };
  validateTransportOptions(options);
  return options;
}
