/**
 * Spawns the built `ns-server` on 127.0.0.1 with port 0 and reads the real ports back from its one
 * `{"event":"listening",…}` stdout line. Each node gets its own temp directory for the KV file and
 * the config store, so no test touches the home directory or another test's state.
 */
import { join } from 'node:path';
import type { ManagedProcess, ProcessExit } from './managed-process.js';
import { requireBuilt } from './paths.js';
import type { TestScope } from './scope.js';
import { hasExited, servingWorkers } from './serving-workers.js';
import { waitFor } from './wait-for.js';

/**
 * Only a bound on a hang: a node usually starts in well under a second. With serving workers a
 * node is 1 + W processes booting at once, scenarios start three such nodes together, and a
 * heavily loaded 2-core machine took over 15 s for that.
 */
export const NAME_SERVER_START_TIMEOUT_MS = 30_000;
/** A stopped node's serving workers exit at once (their channel to the owner closed). */
const WORKERS_GONE_TIMEOUT_MS = 10_000;

export interface NameServerOptions {
  readonly name: string;
  /** Directory for kvConfig.json and namesrv.properties (a fresh temp dir when omitted). */
  readonly dataDir?: string;
  /** Listen on this port instead of 0 (a restart that must keep its address). */
  readonly port?: number;
  /**
   * `--servingWorkers=N`: 1 = one process; N > 1 = a registry owner plus N serving worker
   * processes. Omitted: the server's default (automatic, one per core beyond the first: 1 on a
   * 2-core machine, more elsewhere), so scenarios that depend on the shape must say which.
   */
  readonly servingWorkers?: number;
  /** Extra `--key=value` flags, e.g. `--scanNotActiveBrokerInterval=200`. */
  readonly extraArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface NameServerNode {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly httpPort: number;
  /** `127.0.0.1:port`, as clients and brokers write it. */
  readonly addr: string;
  readonly dataDir: string;
  readonly kvConfigPath: string;
  readonly options: NameServerOptions;
  readonly process: ManagedProcess;
}

function readPort(event: Readonly<Record<string, unknown>>, key: string, name: string): number {
  const value = event[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`${name}: listening line has no valid ${key}: ${JSON.stringify(event)}`);
  }
  return value;
}

export async function startNameServer(
  scope: TestScope,
  options: NameServerOptions,
): Promise<NameServerNode> {
  const entry = requireBuilt('server');
  const dataDir = options.dataDir ?? (await scope.tempDir(options.name));
  const kvConfigPath = join(dataDir, 'kvConfig.json');
  const proc = scope.spawn({
    name: options.name,
    entry,
    args: [
      `--listenPort=${options.port ?? 0}`,
      '--bindAddress=127.0.0.1',
      '--httpPort=0',
      '--httpBindAddress=127.0.0.1',
      `--kvConfigPath=${kvConfigPath}`,
      `--configStorePath=${join(dataDir, 'namesrv.properties')}`,
      ...(options.servingWorkers !== undefined
        ? [`--servingWorkers=${options.servingWorkers}`]
        : []),
      ...(options.extraArgs ?? []),
    ],
    env: { ...options.env },
  });
  const listening = await proc.waitForEvent('listening', NAME_SERVER_START_TIMEOUT_MS);
  const port = readPort(listening, 'port', options.name);
  return {
    name: options.name,
    host: '127.0.0.1',
    port,
    httpPort: readPort(listening, 'httpPort', options.name),
    addr: `127.0.0.1:${port}`,
    dataDir,
    kvConfigPath,
    options: { ...options, dataDir },
    process: proc,
  };
}

/** Starts `count` nodes in parallel, named `${prefix}-1` … */
export async function startNameServers(
  scope: TestScope,
  count: number,
  prefix: string,
  options: Omit<NameServerOptions, 'name' | 'dataDir' | 'port'> = {},
): Promise<NameServerNode[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startNameServer(scope, { ...options, name: `${prefix}-${i + 1}` }),
    ),
  );
}

/**
 * Stops a node: SIGTERM, or SIGKILL with `crash`. With serving workers the signal goes to the
 * owner process only, as a crash or a supervisor's stop would; resolves once the owner and every
 * worker it had are gone, so the node no longer answers anything.
 */
export async function stopNameServer(
  node: NameServerNode,
  options: { readonly crash?: boolean } = {},
): Promise<ProcessExit> {
  const pid = node.process.pid;
  const workers = pid === undefined || !node.process.isRunning ? [] : servingWorkers(pid);
  const exit = options.crash === true ? await node.process.kill() : await node.process.stop();
  await waitFor(() => workers.every(hasExited), {
    timeout: WORKERS_GONE_TIMEOUT_MS,
    what: `the serving workers of ${node.name} (${workers.map((w) => w.pid).join(', ')}) gone`,
  });
  return exit;
}

/**
 * Stops a node (stopNameServer) and starts it again with the same data directory, the same
 * options (serving workers, flags, environment) and, unless `newPort`, the same port (the one it
 * was given by the OS at first start).
 */
export async function restartNameServer(
  scope: TestScope,
  node: NameServerNode,
  options: {
    readonly crash?: boolean;
    readonly newPort?: boolean;
    readonly emptyData?: boolean;
  } = {},
): Promise<NameServerNode> {
  await stopNameServer(node, { crash: options.crash === true });
  const { servingWorkers, extraArgs, env } = node.options;
  return startNameServer(scope, {
    name: `${node.name}'`,
    ...(servingWorkers !== undefined ? { servingWorkers } : {}),
    ...(extraArgs !== undefined ? { extraArgs } : {}),
    ...(env !== undefined ? { env } : {}),
    ...(options.emptyData === true ? {} : { dataDir: node.dataDir }),
    ...(options.newPort === true ? {} : { port: node.port }),
  });
}

export function addressList(nodes: readonly NameServerNode[]): string {
  return nodes.map((n) => n.addr).join(';');
}
