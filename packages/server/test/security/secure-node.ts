/**
 * A real NameServer for the security tests of the server, client, nsadmin and broker agent: any
 * acl*, tls* or limit settings, servingWorkers 1 (default) or more, on loopback with free ports.
 * Its log lines are captured (the audit logger's separately); counters are read from /metrics,
 * which adds up every serving process. With servingWorkers > 1 the workers run the compiled code
 * (`tsc -b` first) and log to stderr, so only /metrics and the answers are observable.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging.js';
import { NameServer } from '../../src/name-server.js';
import { AUDIT_LOGGER_NAME } from '../../src/security/audit-record.js';

export type Settings = Readonly<Record<string, string | number | boolean>>;

export interface SecureNode {
  readonly server: NameServer;
  readonly addr: string;
  readonly port: number;
  readonly httpPort: number;
  /** Every log line of this process's loggers, parsed. */
  readonly lines: Record<string, unknown>[];
  /** The lines of the audit logger (`component: namesrv.audit`). */
  readonly audit: Record<string, unknown>[];
  /** A counter or gauge from /metrics, summed over the series whose labels include `labels`. */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  close(): Promise<void>;
}

/** Defaults of the tests: loopback, free ports, its own files, no host tls.properties. */
const TEST_DEFAULTS: Settings = {
  bindAddress: '127.0.0.1',
  listenPort: 0,
  httpPort: 0,
  httpBindAddress: '127.0.0.1',
  servingWorkers: 1,
  logLevel: 'info',
  tlsConfigFile: '',
};

export async function startSecureNode(settings: Settings = {}): Promise<SecureNode> {
  const home = mkdtempSync(join(tmpdir(), 'ns-secure-'));
  const merged: Record<string, string | number | boolean> = {
    ...TEST_DEFAULTS,
    kvConfigPath: join(home, 'kvConfig.json'),
    configStorePath: join(home, 'namesrv.properties'),
    // Serving workers log to the test's stderr: only what matters, unless asked.
    ...(Number(settings['servingWorkers'] ?? 1) > 1 ? { logLevel: 'warn' } : {}),
    ...settings,
  };
  const config = loadConfig({
    argv: Object.entries(merged).map(([k, v]) => `--${k}=${String(v)}`),
    env: {},
    readFile: (p) => readFileSync(p, 'utf8'),
    homeDir: home,
  }).config;
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: config.logLevel,
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  const server = new NameServer({ config, logger, defaultMetrics: false });
  let address;
  try {
    address = await server.start();
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  const httpPort = address.httpPort!;
  return {
    server,
    addr: `127.0.0.1:${address.port}`,
    port: address.port,
    httpPort,
    lines,
    get audit() {
      return lines.filter((l) => l['component'] === AUDIT_LOGGER_NAME);
    },
    metric: async (name, labels = {}) =>
      sumSeries(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text(), name, labels),
    close: async () => {
      await server.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Sums the samples of `name` whose labels include `labels` in a Prometheus text exposition. */
export function sumSeries(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>>,
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      have.set(pair[1]!, pair[2]!);
    }
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[3]);
  }
  return sum;
}
