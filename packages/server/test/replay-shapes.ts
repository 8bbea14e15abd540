/**
 * The shapes a fixture replay (replay.test.ts, replay-5.3.3.test.ts) runs its requests through:
 *
 * - `single`: one Dispatcher over the route, KV and config managers (handlers-harness.ts), the
 *   single-process view;
 * - `owner+replica`: a node with serving workers (servingWorkers > 1), in one process. Writes run
 *   in a RegistryOwner; reads are answered from a Replica that replays the owner's op batches,
 *   by a ServingNode — the very class a serving worker runs (cluster/worker-main.ts), with its
 *   read handlers (readHandlerTables), its REGISTER_BROKER path (bodies decoded in the decode
 *   thread, against the broker's previous body) and its access guard. What would cross the IPC
 *   channel crosses v8 serialization here, as `serialization: 'advanced'` does: the op batches
 *   (encoded by the node's own encodeOpParts), the forwarded write and the owner's answer, which
 *   reaches the serving side as an already encoded frame (worker-main.ts `result`).
 *
 * Either way a request's answer is the frame the transport would write for it
 * (`encodedFrame ?? encodeCommand`, transport/connection.ts), so cached route frames and frames
 * made in the owner are compared as sent.
 *
 * The clock is the replay's: every part of the node reads it, and a request's `receivedAt` (which
 * the transport stamps on every frame; the owner orders unregistrations against registrations
 * with it) is its recorded time.
 */
import { deserialize, serialize } from 'node:v8';
import { createResponse, encodeCommand } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import {
  asBuffer,
  decodeOpPart,
  encodeOpParts,
  fromWire,
  toWire,
} from '../src/cluster/messages.js';
import type { OwnerToWorker, WorkerToOwner } from '../src/cluster/messages.js';
import { javaLineProfile } from '../src/handlers/java-line.js';
import { notifyMinBrokerIdChanges } from '../src/handlers/min-broker-id-notifier.js';
import type { NotifyBroker } from '../src/handlers/min-broker-id-notifier.js';
import type { RequestContext } from '../src/handlers/request-context.js';
import { createSilentLogger } from '../src/logging.js';
import { createMetrics } from '../src/metrics.js';
import { RegistryOwner } from '../src/registry/registry-owner.js';
import type { ReplicaPeer } from '../src/registry/replica-set.js';
import type { DecodedRegistration } from '../src/serving/decode/decoded-registration.js';
import { Replica } from '../src/serving/replica.js';
import { ServingNode } from '../src/serving/serving-node.js';
import type { RegistryPort } from '../src/serving/serving-node.js';
import { ServingSecurity } from '../src/serving/serving-security.js';
import { transportOptionsOf } from '../src/transport/transport-options.js';
import { baseConfig, createHarness } from './handlers-harness.js';
import type { FakeClock, HarnessOptions } from './handlers-harness.js';

export type ReplayShape = 'single' | 'owner+replica';

export const REPLAY_SHAPES: readonly ReplayShape[] = ['single', 'owner+replica'];

export interface ReplayNodeOptions {
  clock: FakeClock;
  config: NonNullable<HarnessOptions['config']>;
  /** Receives what the node sends to brokers (NOTIFY_MIN_BROKER_ID_CHANGE). */
  notifyBroker?: NotifyBroker;
}

export interface ReplayNode {
  /** The node's answer to a request, as the frame written back (length prefix included); null: none. */
  answer(request: RemotingCommand, connectionId: number): Promise<Buffer | null>;
  /** The connection closed (the transport noticed); resolves once the tables reflect it. */
  connectionClosed(connectionId: number): Promise<void>;
  /** One expiry scan at the clock's time. */
  scanNotActiveBroker(): Promise<void>;
  close(): Promise<void>;
}

/** The bytes the transport writes for a response. */
export function sentFrame(response: RemotingCommand): Buffer {
  return response.encodedFrame ?? encodeCommand(response);
}

export async function startReplayNode(
  shape: ReplayShape,
  options: ReplayNodeOptions,
): Promise<ReplayNode> {
  return shape === 'single' ? singleNode(options) : ownerWithServingWorker(options);
}

function singleNode(options: ReplayNodeOptions): ReplayNode {
  const h = createHarness({
    clock: options.clock,
    config: options.config,
    ...(options.notifyBroker === undefined ? {} : { notifyBroker: options.notifyBroker }),
  });
  return {
    answer: (request, connectionId) => {
      const response = h.dispatch(request, { connectionId, remoteAddress: 'replay' });
      return Promise.resolve(response === null ? null : sentFrame(response));
    },
    connectionClosed: (connectionId) => {
      h.routes.onConnectionClosed(connectionId);
      return Promise.resolve();
    },
    scanNotActiveBroker: () => {
      h.routes.scanNotActiveBroker(options.clock.now());
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

/** What `serialization: 'advanced'` does to a message on the IPC channel. */
function overChannel<T>(message: T): T {
  return deserialize(serialize(message)) as T;
}

/**
 * The replays run while the test file is collected, where no test timeout applies: a write whose
 * batch never reaches the replica would wait forever. This turns that into an error.
 */
const ANSWER_DEADLINE_MS = 10_000;

async function withinDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer to ${what} within ${ANSWER_DEADLINE_MS} ms`));
    }, ANSWER_DEADLINE_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The op replay slice of a serving worker (worker-main.ts REPLAY_SLICE_MILLIS). */
const REPLAY_SLICE_MILLIS = 2;

async function ownerWithServingWorker(options: ReplayNodeOptions): Promise<ReplayNode> {
  const { clock } = options;
  const config = baseConfig(options.config);
  const silent = createSilentLogger();
  // The owner process (name-server.ts createOwner, with no KV file).
  const owner = new RegistryOwner({
    config,
    clock,
    loggerFor: () => silent,
    metrics: createMetrics({}, { defaultMetrics: false, role: 'owner' }),
    initialKV: new Map(),
    kvPersistence: { mode: 'none' },
    persistConfig: () => undefined,
    encodeOps: encodeOpParts,
  });
  if (options.notifyBroker !== undefined) {
    notifyMinBrokerIdChanges({
      routeInfoManager: owner.routes,
      send: options.notifyBroker,
      version: javaLineProfile(config.compatibilityLine).version,
      logger: silent,
    });
  }

  // The serving worker: its replica, fed with the owner's batches (serving-worker.ts sendOps →
  // worker-main.ts 'ops'), acknowledging each one (→ 'ack').
  const made: { replica?: Replica } = {};
  const peer: ReplicaPeer = {
    name: 'replay-worker',
    sendOps(seq, encoded, final) {
      const parts = encoded as Uint8Array[];
      parts.forEach((bytes, i) => {
        const msg = overChannel<OwnerToWorker>({
          t: 'ops',
          seq,
          final: final && i === parts.length - 1,
          end: i === parts.length - 1,
          bytes,
        });
        if (msg.t === 'ops')
          made.replica!.enqueue(msg.final ? msg.seq : 0, () => decodeOpPart(msg.bytes), msg.end);
      });
    },
  };
  await owner.addReplica(peer, (snapshot) => {
    const msg = overChannel<OwnerToWorker>({ t: 'snapshot', snapshot });
    if (msg.t !== 'snapshot') return;
    made.replica = new Replica(msg.snapshot, {
      sliceMillis: REPLAY_SLICE_MILLIS,
      onApplied: (seq) => {
        owner.replicas.ack(peer, seq);
      },
      onCorrupt: (err) => {
        throw err;
      },
    });
  });
  const replica = made.replica;
  if (replica === undefined) throw new Error('the owner did not hand out its snapshot');

  /** Connections whose close the owner heard, by id → its removal, under way. */
  const closing = new Map<number, (removal: Promise<unknown>) => void>();
  // A write crosses to the owner ('exec') and its answer comes back as a frame ('result').
  const exec = async (
    request: RemotingCommand,
    ctx: RequestContext,
    decoded: DecodedRegistration | undefined,
  ): Promise<RemotingCommand | null | 'resend'> => {
    const msg = overChannel<WorkerToOwner>({
      t: 'exec',
      rid: 0,
      connectionId: ctx.connectionId,
      remoteAddress: ctx.remoteAddress,
      receivedAt: ctx.receivedAt ?? clock.now(),
      cmd: toWire(request),
      ...(decoded === undefined ? {} : { decoded }),
    });
    if (msg.t !== 'exec') throw new Error('unreachable');
    const ownerCtx = {
      connectionId: msg.connectionId,
      remoteAddress: msg.remoteAddress,
      receivedAt: msg.receivedAt,
    };
    const command = fromWire(msg.cmd);
    const result = await (msg.decoded === undefined
      ? owner.execute(command, ownerCtx)
      : owner.register(command, ownerCtx, msg.decoded));
    if (result === 'resend' || result === null) return result;
    const frame = overChannel(result.encodedFrame ?? encodeCommand(result));
    const response = createResponse(request, { code: result.code });
    response.encodedFrame = asBuffer(frame);
    return response;
  };
  const registry: RegistryPort = {
    execute: (request, ctx) => exec(request, ctx, undefined) as Promise<RemotingCommand | null>,
    register: (request, ctx, decoded) => exec(request, ctx, decoded),
    connectionClosed: (id) => {
      const removal = owner.connectionClosed(id);
      closing.get(id)?.(removal);
      closing.delete(id);
    },
  };
  const metrics = createMetrics({}, { defaultMetrics: false, role: 'serving' });
  // No connection is adopted here, so no TLS handshake: TLS is off for the serving side's
  // security only (with it on, a certificate would be made). The node's config is untouched.
  const security = new ServingSecurity({
    config: { ...config, tlsServerMode: 'disabled' },
    logger: silent,
    auditLogger: silent,
    metrics: metrics.security,
    selfSigned: null,
  });
  const node = new ServingNode({
    state: replica,
    registry,
    loggerFor: () => silent,
    metrics,
    clock,
    startedAt: clock.now(),
    servingProcesses: 2,
    transport: transportOptionsOf(config, 2),
    name: 'w1',
    security,
  });
  // What the connection pool calls when a connection closes (ServingNode#closed: the route
  // watch, the decode thread's bases, then the owner once the connection's writes are in).
  const closedHook = (node as unknown as { closed?: (id: number) => void }).closed;
  if (typeof closedHook !== 'function') throw new Error('ServingNode#closed is gone: update me');

  return {
    answer: async (request, connectionId) => {
      const ctx: RequestContext = {
        connectionId,
        remoteAddress: 'replay',
        receivedAt: clock.now(),
      };
      const response = await withinDeadline(
        Promise.resolve(node.guarded.dispatch(request, ctx)),
        `request code ${request.code} on connection ${connectionId}`,
      );
      return response === null ? null : sentFrame(response);
    },
    connectionClosed: async (connectionId) => {
      const heard = new Promise<Promise<unknown>>((resolve) => closing.set(connectionId, resolve));
      closedHook.call(node, connectionId);
      await await heard;
    },
    scanNotActiveBroker: async () => {
      await owner.scanNotActiveBroker();
    },
    close: async () => {
      await node.close(0);
      await owner.idle();
    },
  };
}
