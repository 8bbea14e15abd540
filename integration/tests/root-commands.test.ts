/**
 * The commands the README gives for a checkout, run exactly as documented from the repository
 * root: `pnpm start [--key=value]` (with and without npm's `--` habit, stopped by a terminal-style
 * Ctrl-C to the whole process group) and `pnpm <cli> …` for each CLI. Also checks that every
 * package `bin` is a committed launcher, so `pnpm install` can link it before anything is built.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../harness/managed-process.js';
import type { CommandResult } from '../harness/managed-process.js';
import { startNameServer } from '../harness/name-server.js';
import { REPO_ROOT } from '../harness/paths.js';
import { locatePnpm, pnpmSpec } from '../harness/pnpm.js';
import type { TestScope } from '../harness/scope.js';
import { useScope } from '../harness/scope.js';

const PACKAGES = ['server', 'client', 'broker-agent'] as const;

interface Bin {
  readonly pkg: string;
  readonly name: string;
  /** Relative to the repository root. */
  readonly path: string;
}

async function packageBins(): Promise<Bin[]> {
  const bins: Bin[] = [];
  for (const pkg of PACKAGES) {
    const manifest = JSON.parse(
      await readFile(join(REPO_ROOT, 'packages', pkg, 'package.json'), 'utf8'),
    ) as { bin?: Record<string, string> };
    for (const [name, target] of Object.entries(manifest.bin ?? {})) {
      bins.push({ pkg, name, path: join('packages', pkg, target) });
    }
  }
  return bins;
}

let pnpm: string;

beforeAll(async () => {
  pnpm = await locatePnpm();
});

function runPnpm(scope: TestScope, args: readonly string[]): Promise<CommandResult> {
  return runToCompletion(
    { name: `pnpm ${args.slice(0, 2).join(' ')}`, entry: pnpm, args, timeoutMs: 60_000 },
    (p) => {
      scope.adopt(p);
    },
  );
}

describe('package bins', () => {
  it('are committed launchers outside dist/, so install links them before the build', async () => {
    const bins = await packageBins();
    expect(bins.map((b) => b.name).sort()).toEqual([
      'ns-addr-service',
      'ns-broker-agent',
      'ns-server',
      'nsadmin',
    ]);
    const tracked = await promisify(execFile)('git', ['ls-files', ...bins.map((b) => b.path)], {
      cwd: REPO_ROOT,
    });
    for (const bin of bins) {
      expect(bin.path, bin.name).not.toMatch(/(^|\/)dist\//);
      expect(tracked.stdout.split('\n'), `${bin.path} is not committed`).toContain(bin.path);
      const text = await readFile(join(REPO_ROOT, bin.path), 'utf8');
      // ns-server's passes node a flag (packages/server/src/node-flags.ts) through sh, which
      // execs node (BusyBox's env has no -S); test/node-flags.test.ts checks that line.
      const header =
        bin.name === 'ns-server'
          ? /^#!\/bin\/sh\n':' \/\/; exec node /
          : /^#!\/usr\/bin\/env node\n/;
      expect(header.test(text), bin.path).toBe(true);
    }
  });

  it('say in one line how to build when dist/ is missing', async () => {
    const scope = useScope();
    const dir = await scope.tempDir('unbuilt');
    for (const bin of await packageBins()) {
      // The launcher alone, in a package folder that has never been built.
      const copy = join(dir, bin.pkg, 'bin', `${bin.name}.js`);
      await mkdir(join(dir, bin.pkg, 'bin'), { recursive: true });
      await copyFile(join(REPO_ROOT, bin.path), copy);
      const r = await runToCompletion(
        { name: bin.name, entry: copy, args: ['--help'], timeoutMs: 20_000 },
        (p) => {
          scope.adopt(p);
        },
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      // One line (the harness strips the final newline).
      expect(r.stderr.split('\n')).toEqual([
        `${bin.name}: not built yet: run \`npx -y ${pnpmSpec()} build\` in the nameserver-ts checkout first`,
      ]);
    }
  });
});

describe('root commands (after pnpm build)', () => {
  it('each CLI starts with `pnpm <cli>` from the root', async () => {
    const scope = useScope();
    const usage: Record<string, [string[], string]> = {
      nsadmin: [['--help'], 'usage: nsadmin <command>'],
      'ns-server': [['-h'], 'Usage: ns-server'],
      'ns-broker-agent': [['--help'], 'Usage: ns-broker-agent'],
      'ns-addr-service': [['--help'], 'Usage: ns-addr-service'],
    };
    for (const [cli, [args, first]] of Object.entries(usage)) {
      const r = await runPnpm(scope, [cli, ...args]);
      expect(r.code, `pnpm ${cli} ${args.join(' ')}: ${r.stderr}`).toBe(0);
      // No pnpm banner in front: the usage is the first line.
      expect(r.stdout.startsWith(first), r.stdout.slice(0, 200)).toBe(true);
    }
  });

  it('passes arguments through unchanged: `pnpm nsadmin -n "a;b" clusterList --json`', async () => {
    const scope = useScope();
    const node = await startNameServer(scope, { name: 'ns-root-cmd' });
    // A second, dead address: the `;` must reach nsadmin inside one argument.
    const r = await runPnpm(scope, [
      'nsadmin',
      '-n',
      `${node.addr};127.0.0.1:1`,
      'clusterList',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ brokerAddrTable: {}, clusterAddrTable: {} });
  });

  for (const [label, extra] of [
    ['pnpm start --key=value', []],
    ['pnpm start -- --key=value', ['--']],
  ] as const) {
    it(`${label}: builds, serves, and exits 0 on Ctrl-C without an ELIFECYCLE`, async () => {
      const scope = useScope();
      const dir = await scope.tempDir('start');
      const proc = scope.spawn({
        name: label,
        entry: pnpm,
        args: [
          'start',
          ...extra,
          '--listenPort=0',
          '--bindAddress=127.0.0.1',
          '--httpPort=0',
          '--httpBindAddress=127.0.0.1',
          `--kvConfigPath=${join(dir, 'kvConfig.json')}`,
          `--configStorePath=${join(dir, 'namesrv.properties')}`,
        ],
        // A terminal sends Ctrl-C to its whole foreground process group: pnpm, any shell, node.
        processGroup: true,
      });
      // The build comes first and may take a while on a loaded machine.
      const listening = await proc.waitForEvent('listening', 90_000);
      expect(listening.port).toBeGreaterThan(0);
      expect(proc.stderr.lines().some((l) => l.startsWith('building (tsc -b'))).toBe(true);
      // The console is built with it (a fresh clone's first `pnpm start` serves it).
      const httpPort = Number(listening['httpPort']);
      const consolePage = await fetch(`http://127.0.0.1:${httpPort}/console/`);
      expect(consolePage.status).toBe(200);
      proc.signal('SIGINT');
      const exit = await proc.exited;
      expect(exit, proc.describe()).toEqual({ code: 0, signal: null });
      const all = `${proc.stdout.text()}\n${proc.stderr.text()}`;
      expect(all).not.toContain('ELIFECYCLE');
      expect(proc.stderr.text()).toContain('name server stopped');
    });
  }
});
