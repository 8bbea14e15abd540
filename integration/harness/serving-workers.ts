/**
 * A node's serving worker processes (servingWorkers > 1), seen from outside through Linux /proc:
 * which processes they are, which of them serves a given connection, and whether they are gone.
 *
 * A node with workers hands each accepted connection to the least busy worker, and that worker
 * answers every read on it. A test that reads through one connection per node therefore reads
 * from one worker only; `readersOf` opens connections until it holds one on every worker of every
 * node, checking in /proc which process holds the server side of each, so "every node answers X"
 * becomes "every worker of every node answers X".
 */
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { RemotingClient } from '@ns/client';
import { RequestCode, ResponseCode } from '@ns/protocol';
import type { NameServerNode } from './name-server.js';
import type { TestScope } from './scope.js';
import { waitFor } from './wait-for.js';

/** The script a serving worker runs (packages/server/src/cluster/worker-main.ts, built). */
const WORKER_ENTRY = 'worker-main.js';

/** Linux /proc, where workers are found; elsewhere none is ever found (see readersOf). */
const HAS_PROC = existsSync('/proc/self/stat');

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** Process group (a terminal's Ctrl-C signals the whole foreground group). */
  readonly pgrp: number;
  /** R, S, D, Z (zombie: exited, not reaped yet), … */
  readonly state: string;
  /** Clock ticks after boot: with the pid, names one process even if the pid is reused. */
  readonly startTime: string;
}

/** /proc/<pid>/stat, or null when there is no such process. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    state: fields[0]!,
    startTime: fields[19]!,
  };
}

/** Whether the process `stat` names has exited (gone, a zombie, or its pid reused). */
export function hasExited(stat: ProcStat): boolean {
  const now = procStat(stat.pid);
  return now === null || now.state === 'Z' || now.startTime !== stat.startTime;
}

/** The running serving worker processes of the node process `ownerPid`, by pid. */
export function servingWorkers(ownerPid: number): ProcStat[] {
  const found: ProcStat[] = [];
  if (!HAS_PROC) return found;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat === null || stat.ppid !== ownerPid || stat.state === 'Z') continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.split('\0').some((arg) => arg.endsWith(WORKER_ENTRY))) found.push(stat);
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/** `127.0.0.1:port` as /proc/net/tcp writes it (little-endian address, hex port). */
function procNetAddress(port: number): string {
  return `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Inode of the server side of the loopback connection serverPort ← clientPort, if listed. */
function serverSocketInode(serverPort: number, clientPort: number): string | undefined {
  const local = procNetAddress(serverPort);
  const remote = procNetAddress(clientPort);
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[2] === remote) return f[9];
  }
  return undefined;
}

function holdsSocket(pid: number, inode: string): boolean {
  const target = `socket:[${inode}]`;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
    } catch {
      return false;
    }
  });
}

/** Reads from one node through one connection; `workerPid` is the process serving it. */
export interface NodeReader {
  /** `ns-1`, or `ns-1 worker 1234` on a node with serving workers. */
  readonly label: string;
  readonly node: NameServerNode;
  readonly addr: string;
  /** A client whose connection to `addr` stays on one process (closed at test cleanup). */
  readonly client: RemotingClient;
  /** Null on a single-process node. */
  readonly workerPid: number | null;
}

/** Bounds on a reader's connect, each request, and finding its worker: only hang guards. */
const READER_TIMEOUT_MS = 5_000;

function newClient(scope: TestScope, onSocket?: (s: Socket) => void): RemotingClient {
  const client = new RemotingClient({
    requestTimeoutMs: READER_TIMEOUT_MS,
    connectTimeoutMs: READER_TIMEOUT_MS,
    ...(onSocket !== undefined
      ? {
          socketFactory: ({ host, port }) => {
            const socket = connect({ host, port, noDelay: true });
            onSocket(socket);
            return socket;
          },
        }
      : {}),
  });
  scope.defer('close reader client', () => client.close());
  return client;
}

async function ask(client: RemotingClient, addr: string): Promise<void> {
  const reply = await client.invoke(addr, { code: RequestCode.GET_BROKER_CLUSTER_INFO });
  if (reply.code !== ResponseCode.SUCCESS) {
    throw new Error(`cluster info from ${addr}: code ${reply.code} ${reply.remark ?? ''}`);
  }
}

/**
 * One reader per process that answers clients: per node, one on each serving worker, or one on
 * the node itself when it runs as a single process. Connections that land on a worker already
 * covered stay open until cleanup, so the node hands the next one to another worker.
 */
export async function readersOf(
  scope: TestScope,
  nodes: readonly NameServerNode[],
): Promise<NodeReader[]> {
  const readers: NodeReader[] = [];
  for (const node of nodes) {
    const ownerPid = node.process.pid;
    if (ownerPid === undefined) throw new Error(`${node.name} has no pid`);
    const workers = servingWorkers(ownerPid).map((w) => w.pid);
    // A node started with an explicit count must run in that shape (1: no workers at all).
    const asked = node.options.servingWorkers;
    if (asked !== undefined && asked > 0 && workers.length !== (asked === 1 ? 0 : asked)) {
      throw new Error(
        `${node.name} (servingWorkers=${asked}) has ${workers.length} serving worker process(es)` +
          (HAS_PROC ? '' : ': they are found through Linux /proc, which this system lacks'),
      );
    }
    if (workers.length === 0) {
      const client = newClient(scope);
      await ask(client, node.addr);
      readers.push({ label: node.name, node, addr: node.addr, client, workerPid: null });
      continue;
    }
    const covered = new Set<number>();
    const seen: number[] = [];
    for (let attempt = 0; covered.size < workers.length; attempt += 1) {
      if (attempt >= workers.length * 4) {
        throw new Error(
          `${node.name}: ${attempt} connections landed on workers ${seen.join(', ')}, ` +
            `never on all of ${workers.join(', ')}`,
        );
      }
      let socket: Socket | undefined;
      const client = newClient(scope, (s) => (socket = s));
      // Answered: the connection has been handed to the worker that serves it.
      await ask(client, node.addr);
      const clientPort = socket?.localPort;
      if (clientPort === undefined) throw new Error(`${node.name}: reader socket has no port`);
      const pid = await waitFor(
        () => {
          const inode = serverSocketInode(node.port, clientPort);
          if (inode === undefined) return undefined;
          const holders = workers.filter((w) => holdsSocket(w, inode));
          return holders.length === 1 ? holders[0] : undefined;
        },
        {
          timeout: READER_TIMEOUT_MS,
          interval: 20,
          what: `the worker of ${node.name} serving connection from port ${clientPort}`,
        },
      );
      seen.push(pid);
      if (covered.has(pid)) continue;
      covered.add(pid);
      readers.push({
        label: `${node.name} worker ${pid}`,
        node,
        addr: node.addr,
        client,
        workerPid: pid,
      });
    }
  }
  return readers;
}
