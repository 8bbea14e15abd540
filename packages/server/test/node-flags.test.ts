/**
 * Every launcher of a node passes the old-space floor (src/node-flags.ts): the bin, `pnpm start`,
 * the Docker image, and the owner for the serving workers it forks.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servingExecArgv } from '../src/cluster/serving-worker.js';
import { OLD_SPACE_FLOOR_FLAG, nodeFlagSet } from '../src/node-flags.js';

const repo = (path: string): string =>
  readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('the old-space floor on every launcher', () => {
  it('ns-server bin: run as a command, its header execs node with the flag (no `env -S`: BusyBox lacks it)', () => {
    const header = repo('packages/server/bin/ns-server.js').split('\n').slice(0, 2);
    expect(header).toEqual(['#!/bin/sh', `':' //; exec node ${OLD_SPACE_FLOOR_FLAG} "$0" "$@"`]);
    // The same header on a module that reports how node was started, run as npm's bin link runs
    // it (the kernel reads the #! line); node must take the rest of the file as JavaScript.
    const dir = mkdtempSync(join(tmpdir(), 'ns-bin-header-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
      const bin = join(dir, 'probe.js');
      writeFileSync(
        bin,
        `${header.join('\n')}\nconsole.log(JSON.stringify([process.execArgv, process.argv.slice(2)]));\n`,
      );
      chmodSync(bin, 0o755);
      const run = spawnSync(bin, ['--a', 'b c'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
      });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual([[OLD_SPACE_FLOOR_FLAG], ['--a', 'b c']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pnpm start', () => {
    const pkg = JSON.parse(repo('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toBe(`node ${OLD_SPACE_FLOOR_FLAG} scripts/start.mjs`);
  });

  it('the Docker image: its entrypoint runs node with the flag, and node accepts how it is given', () => {
    const dockerfile = repo('docker/Dockerfile');
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    // Under an init (tini) as PID 1, which runs node: see the Dockerfile.
    const node = entrypoint.indexOf('node');
    expect(entrypoint.slice(0, node)).toEqual(['/usr/bin/tini', '--']);
    const nodeFlags = entrypoint.slice(
      node + 1,
      entrypoint.indexOf('/app/packages/server/dist/main.js'),
    );
    expect(nodeFlags).toContain(OLD_SPACE_FLOOR_FLAG);
    // Every process of the image (entrypoint, HEALTHCHECK, the other commands) starts with the
    // image's NODE_OPTIONS: Node refuses some V8 flags there (--initial-old-space-size: exit 9).
    const nodeOptions = /^ENV NODE_OPTIONS="?([^"\n]*)"?$/m.exec(dockerfile)?.[1];
    const run = spawnSync(process.execPath, [...nodeFlags, '-e', '0'], {
      env: { ...process.env, NODE_OPTIONS: nodeOptions ?? '' },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it("serving workers: added to the owner's flags unless the operator set a floor", () => {
    expect(servingExecArgv([], undefined)).toContain(OLD_SPACE_FLOOR_FLAG);
    expect(servingExecArgv(['--initial-old-space-size=64'], undefined)).toEqual([
      '--initial-old-space-size=64',
      expect.stringMatching(/^--max-semi-space-size=/),
    ]);
    expect(servingExecArgv([], '--initial_old_space_size=512')).not.toContain(OLD_SPACE_FLOOR_FLAG);
  });
});

describe('nodeFlagSet', () => {
  it('finds a flag by name in the flags or NODE_OPTIONS, with - or _, and nothing else', () => {
    const name = '--max-semi-space-size';
    expect(nodeFlagSet(name, ['--max-semi-space-size=8'], undefined)).toBe(true);
    expect(nodeFlagSet(name, [], '--foo --max_semi_space_size=8')).toBe(true);
    expect(nodeFlagSet(name, [], '--max-semi-space-size 8')).toBe(true);
    expect(nodeFlagSet(name, ['--max-semi-space-sizes=8'], '--min-semi-space-size=1')).toBe(false);
    expect(nodeFlagSet(name, [], undefined)).toBe(false);
  });
});
