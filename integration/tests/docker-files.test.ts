/**
 * The Docker artefacts, checked without a Docker engine: the Dockerfile's COPY sources exist and
 * survive .dockerignore, compose.yaml only references services, files, ports and build contexts
 * that exist, and the image's entrypoint and HEALTHCHECK work when run the same way outside a
 * container (paths under /app mapped to the repository or to a temporary /app, loopback only), its
 * init included where this machine can run a process as PID 1 of its own PID namespace.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  copyInstructions,
  execForm,
  healthcheck,
  isDockerIgnored,
  parseDockerfile,
  parseDockerignore,
} from '../harness/dockerfile.js';
import { runToCompletion } from '../harness/managed-process.js';
import { startAddressService } from '../harness/address-service.js';
import { freePortPair } from '../harness/free-port.js';
import { runNsadmin } from '../harness/nsadmin.js';
import { startNameServers } from '../harness/name-server.js';
import { REPO_ROOT, requireBuilt } from '../harness/paths.js';
import { RawBroker } from '../harness/raw-broker.js';
import { uniqueName, useScope } from '../harness/scope.js';

const DOCKER_DIR = join(REPO_ROOT, 'docker');
const DOCKERFILE = join(DOCKER_DIR, 'Dockerfile');
const COMPOSE = join(DOCKER_DIR, 'compose.yaml');
/** In the image the repository lives at /app (WORKDIR /app, COPY --from=build /app /app). */
const IMAGE_APP_DIR = '/app/';
/** Where the image reads its configuration; the Dockerfile copies docker/config there. */
const IMAGE_CONFIG = '/etc/nameserver/namesrv.properties';
/** The HEALTHCHECK's script in the image; the Dockerfile copies docker/healthcheck.mjs there. */
const HEALTHCHECK_SCRIPT = '/app/docker/healthcheck.mjs';

const instructions = parseDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const entrypoint = execForm(instructions.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '');
/**
 * The entrypoint's parts: the init and its `--` (tini), node, node's own flags, the script (an
 * /app/… path) and its arguments.
 */
const nodeAt = entrypoint?.indexOf('node') ?? -1;
const launcher = entrypoint?.slice(0, nodeAt) ?? [];
const scriptAt = entrypoint?.findIndex((w) => w.startsWith('/app/')) ?? -1;
const nodeFlags = entrypoint?.slice(nodeAt + 1, scriptAt) ?? [];
const script = entrypoint?.[scriptAt];
const scriptArgs = entrypoint?.slice(scriptAt + 1) ?? [];
const properties = Object.fromEntries(
  readFileSync(join(DOCKER_DIR, 'config', 'namesrv.properties'), 'utf8')
    .split('\n')
    .filter((l) => /^\s*[^#\s]/.test(l))
    .map((l) => {
      const at = l.indexOf('=');
      return [l.slice(0, at).trim(), l.slice(at + 1).trim()];
    }),
) as Record<string, string>;

/**
 * Whether this machine can run the entrypoint's init as PID 1 of a new PID namespace, as a
 * container does (needs the init installed and root, or user namespaces, for unshare).
 */
const pidNamespaces = ((): { ok: boolean; reason: string } => {
  if (process.platform !== 'linux') return { ok: false, reason: 'not Linux' };
  // (No init in the entrypoint is no reason to skip: the test then shows the hang.)
  if (launcher[0] !== undefined && !existsSync(launcher[0])) {
    return { ok: false, reason: `${launcher[0]} is not installed` };
  }
  const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], {
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    return { ok: false, reason: `unshare --pid: ${run.error?.message ?? run.stderr.trim()}` };
  }
  return { ok: true, reason: '' };
})();
if (!pidNamespaces.ok) {
  console.warn(`[docker-files] SKIPPED the PID 1 test: ${pidNamespaces.reason}`);
}

/** An /app/… path of the image, as a path in this checkout. */
function repoPathOf(imagePath: string): string {
  if (!imagePath.startsWith(IMAGE_APP_DIR)) throw new Error(`${imagePath} is not under /app`);
  return join(REPO_ROOT, imagePath.slice(IMAGE_APP_DIR.length));
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
}

function loadCompose(): Record<string, ComposeService> {
  const doc = parseYaml(readFileSync(COMPOSE, 'utf8'), { merge: true }) as {
    services?: Record<string, ComposeService>;
  };
  if (doc.services === undefined) throw new Error('compose.yaml has no services');
  return doc.services;
}

/** The ports a service listens on inside its container. */
function listenPorts(service: ComposeService): number[] {
  if (service.entrypoint === undefined) {
    // The image entrypoint: the name server with docker/config/namesrv.properties.
    return [Number(properties['listenPort']), Number(properties['httpPort'])];
  }
  const args = service.command ?? [];
  const at = args.indexOf('--port');
  return at >= 0 ? [Number(args[at + 1])] : [];
}

describe('docker/ artefacts (no Docker engine needed)', () => {
  it('Dockerfile: every COPY source exists in the build context and is not .dockerignored', () => {
    const ignore = parseDockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
    const copies = copyInstructions(instructions).filter((c) => c.from === null);
    expect(copies.length).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const copy of copies) {
      for (const source of copy.sources) {
        if (!existsSync(join(REPO_ROOT, source)))
          problems.push(`line ${copy.line}: ${source} missing`);
        if (isDockerIgnored(ignore, source))
          problems.push(`line ${copy.line}: ${source} is .dockerignored`);
      }
    }
    expect(problems).toEqual([]);
    // The build output must not come from the host: dist/ is ignored and built in the image.
    expect(isDockerIgnored(ignore, 'packages/server/dist/main.js')).toBe(true);
    expect(isDockerIgnored(ignore, 'packages/server/src/main.ts')).toBe(false);
  });

  it('Dockerfile: entrypoint and HEALTHCHECK name files and ports that exist', () => {
    expect(entrypoint).not.toBeNull();
    // node is not PID 1: the kernel ignores the SIGKILL a PID 1 sends itself (stdio-exit.ts). An
    // init the runtime stage installs runs it.
    expect(launcher).toEqual(['/usr/bin/tini', '--']);
    const runtimeRuns = instructions
      .slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'))
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args);
    expect(runtimeRuns.some((r) => /apt-get install\b[^&;]*\stini(\s|$)/.test(r))).toBe(true);
    expect(entrypoint![nodeAt]).toBe('node');
    // The old-space floor (packages/server/src/node-flags.ts) goes to node on its command line.
    expect(nodeFlags).toEqual(['--initial-old-space-size=256']);
    expect(scriptArgs.slice(0, 2)).toEqual(['-c', IMAGE_CONFIG]);
    expect(existsSync(repoPathOf(script!))).toBe(true);
    // The file baked in at the config path is docker/config/namesrv.properties.
    const configCopy = copyInstructions(instructions).find((c) => c.dest === IMAGE_CONFIG);
    expect(configCopy?.sources).toEqual(['docker/config/namesrv.properties']);
    // The probe is docker/healthcheck.mjs, copied into the image; the configured ports are EXPOSEd.
    const hc = healthcheck(instructions);
    expect(hc?.command).toEqual(['node', HEALTHCHECK_SCRIPT]);
    const probeCopy = copyInstructions(instructions).find((c) => c.dest === HEALTHCHECK_SCRIPT);
    expect(probeCopy?.sources).toEqual(['docker/healthcheck.mjs']);
    expect(existsSync(repoPathOf(HEALTHCHECK_SCRIPT))).toBe(true);
    const exposed = instructions
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/).map(Number));
    expect(exposed).toEqual(
      expect.arrayContaining([Number(properties['listenPort']), Number(properties['httpPort'])]),
    );
  });

  it('compose.yaml: services, build contexts, mounts, ports and dependencies are consistent', () => {
    const services = loadCompose();
    const names = Object.keys(services);
    const problems: string[] = [];
    const nameServers = names.filter((n) => services[n]!.entrypoint === undefined);
    expect(nameServers.length).toBe(3);
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build === undefined && svc.image === undefined) problems.push(`${name}: no image`);
      if (svc.build !== undefined) {
        const context = resolve(DOCKER_DIR, svc.build.context);
        if (!existsSync(context) || !statSync(context).isDirectory()) {
          problems.push(`${name}: build context ${context} missing`);
        }
        const dockerfile = join(context, svc.build.dockerfile ?? 'Dockerfile');
        if (dockerfile !== DOCKERFILE) problems.push(`${name}: builds ${dockerfile}, not ours`);
      }
      for (const volume of svc.volumes ?? []) {
        const [host, target] = volume.split(':');
        if (host!.startsWith('.') && !existsSync(resolve(DOCKER_DIR, host!))) {
          problems.push(`${name}: mounted ${host} missing`);
        }
        if (
          target === IMAGE_CONFIG &&
          resolve(DOCKER_DIR, host!) !== join(DOCKER_DIR, 'config', 'namesrv.properties')
        ) {
          problems.push(`${name}: mounts an unknown file as the name server config`);
        }
      }
      // Scripts run from the image must exist in the (built) checkout.
      for (const word of [...(svc.entrypoint ?? []), ...(svc.command ?? [])]) {
        if (word.startsWith(IMAGE_APP_DIR) && !existsSync(repoPathOf(word))) {
          problems.push(`${name}: ${word} does not exist (is the checkout built?)`);
        }
      }
      for (const port of svc.ports ?? []) {
        const containerPort = Number(port.split(':').pop());
        if (!listenPorts(svc).includes(containerPort)) {
          problems.push(`${name}: publishes ${containerPort}, which it does not listen on`);
        }
        if (!port.startsWith('127.0.0.1:')) problems.push(`${name}: ${port} not bound to loopback`);
      }
      // The image's HEALTHCHECK probes the name server; other commands must replace or disable it.
      if (svc.entrypoint !== undefined && svc.healthcheck === undefined) {
        problems.push(`${name}: runs another command but inherits the name server HEALTHCHECK`);
      }
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        const target = services[dep];
        if (target === undefined) {
          problems.push(`${name}: depends on unknown service ${dep}`);
          continue;
        }
        const hasHealthcheck =
          target.healthcheck === undefined
            ? target.entrypoint === undefined
            : target.healthcheck.disable !== true;
        if (condition === 'service_healthy' && !hasHealthcheck) {
          problems.push(`${name}: waits for ${dep} to be healthy, but it has no healthcheck`);
        }
        if (
          !['service_healthy', 'service_started', 'service_completed_successfully'].includes(
            condition,
          )
        ) {
          problems.push(`${name}: unknown condition ${condition}`);
        }
      }
      // host:port references (flags, env, URLs) must name a service and a port it listens on.
      const texts = [...(svc.command ?? []), ...Object.values(svc.environment ?? {})];
      for (const text of texts) {
        for (const m of text.matchAll(/(?:^|[=;/])([a-z][a-z0-9-]*):(\d+)/g)) {
          const [host, port] = [m[1]!, Number(m[2])];
          const target = services[host];
          if (target === undefined) problems.push(`${name}: refers to unknown host ${host}`);
          else if (!listenPorts(target).includes(port) && !host.startsWith(name)) {
            problems.push(
              `${name}: ${host}:${port}, but ${host} listens on ${listenPorts(target).join(',')}`,
            );
          }
        }
      }
    }
    // The address service's list names the three name servers.
    const list = readFileSync(join(DOCKER_DIR, 'config', 'nsaddr.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .join(';');
    expect(list.split(';').sort()).toEqual(
      nameServers.map((n) => `${n}:${properties['listenPort']}`).sort(),
    );
    expect(problems).toEqual([]);
  });

  it('the image runs a supported Node.js LTS line', () => {
    const arg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    const image = arg?.args.slice('NODE_IMAGE='.length);
    // 20 left maintenance in April 2026; 22 and 24 are the LTS lines users run.
    expect(image).toMatch(/^node:(22|24)(\.\d+)*-bookworm-slim$/);
    expect(instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args)).toEqual([
      '${NODE_IMAGE} AS build',
      '${NODE_IMAGE} AS runtime',
    ]);
  });

  it('the config store and the KV file of every compose node are on a volume its user can write', async () => {
    const scope = useScope();
    // The runtime stage: everything after the last FROM.
    const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
    const runtime = instructions.slice(lastFrom);
    const user = runtime.filter((i) => i.keyword === 'USER').pop()?.args;
    expect(user, 'the runtime stage sets an unprivileged USER').toBe('node');
    const volumes = runtime
      .filter((i) => i.keyword === 'VOLUME')
      .flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
    const ownedByUser = runtime
      .filter((i) => i.keyword === 'RUN')
      .flatMap((i) =>
        [...i.args.matchAll(/chown\s+(?:-R\s+)?([\w-]+)(?::[\w-]+)?\s+((?:\/\S+\s*)+)/g)]
          .filter((m) => m[1] === user)
          .flatMap((m) => m[2]!.trim().split(/\s+/)),
      );

    const services = loadCompose();
    const problems: string[] = [];
    for (const [name, svc] of Object.entries(services)) {
      if (svc.entrypoint !== undefined) continue; // not a name server
      // The effective configuration, from the server's own parser (-p), with the file mounted at
      // the config path read from the checkout.
      const mounted = (svc.volumes ?? []).find((v) => v.split(':')[1] === IMAGE_CONFIG);
      const configFile = resolve(
        DOCKER_DIR,
        mounted?.split(':')[0] ?? join('config', 'namesrv.properties'),
      );
      const args = [...scriptArgs, ...(svc.command ?? []), '-p'].map((a) =>
        a === IMAGE_CONFIG ? configFile : a,
      );
      const printed = await runToCompletion(
        {
          name: `${name} -p`,
          nodeArgs: nodeFlags,
          entry: repoPathOf(script!),
          args,
          timeoutMs: 15_000,
        },
        (p) => scope.adopt(p),
      );
      expect(printed.code, printed.stderr).toBe(0);
      const effective = Object.fromEntries(
        printed.stdout
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      for (const key of ['configStorePath', 'kvConfigPath']) {
        // Back to the container's view: the mapped -c file is IMAGE_CONFIG in there.
        const path = effective[key] === configFile ? IMAGE_CONFIG : (effective[key] as string);
        const dir = dirname(path);
        if (path === IMAGE_CONFIG) problems.push(`${name}: ${key} is the read-only -c file`);
        if (!volumes.includes(dir)) problems.push(`${name}: ${key} ${path} is not in a VOLUME`);
        if (!ownedByUser.includes(dir)) {
          problems.push(`${name}: ${key} ${path}: ${dir} is not chowned to ${user}`);
        }
        for (const volume of svc.volumes ?? []) {
          const [, target, mode] = volume.split(':');
          if ((target === dir || target === path) && mode === 'ro') {
            problems.push(`${name}: ${key} ${path} is mounted read-only (${volume})`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('compose.yaml: every command flag and environment variable is one its program reads', async () => {
    const scope = useScope();
    const services = loadCompose();
    const problems: string[] = [];
    const helpOf = new Map<string, string>();
    for (const [name, svc] of Object.entries(services)) {
      const script = svc.entrypoint?.find((w) => w.startsWith(IMAGE_APP_DIR));
      if (script === undefined) continue;
      const path = repoPathOf(script);
      if (script.endsWith('.mjs')) {
        // The demo client has no flags; its settings are environment variables it reads.
        const source = readFileSync(path, 'utf8');
        for (const key of Object.keys(svc.environment ?? {})) {
          if (!source.includes(`process.env.${key}`) && !source.includes(`'${key}'`)) {
            problems.push(`${name}: ${key} is not read by ${script}`);
          }
        }
        continue;
      }
      let help = helpOf.get(path);
      if (help === undefined) {
        const result = await runToCompletion(
          { name: `${name} --help`, entry: path, args: ['--help'], timeoutMs: 15_000 },
          (p) => scope.adopt(p),
        );
        expect(result.code, `${script} --help`).toBe(0);
        help = result.stdout;
        helpOf.set(path, help);
      }
      for (const word of svc.command ?? []) {
        const flag = /^(--[a-z][a-z0-9-]*)/i.exec(word)?.[1];
        if (flag !== undefined && !new RegExp(`${flag}(?![a-z0-9-])`, 'i').test(help)) {
          problems.push(`${name}: ${script} has no ${flag} flag`);
        }
      }
      // Files named on the command line under /etc/nameserver must be mounted (or a directory
      // holding them).
      for (const word of svc.command ?? []) {
        const file = /(\/etc\/nameserver\/\S+)$/.exec(word)?.[1];
        const mounts = (svc.volumes ?? []).map((v) => v.split(':')[1]!);
        if (file !== undefined && !mounts.some((m) => file === m || file.startsWith(`${m}/`))) {
          problems.push(`${name}: ${file} is not mounted`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the image entrypoint runs outside Docker, and its HEALTHCHECK probes the port the node really uses', async () => {
    const scope = useScope();
    const dir = await scope.tempDir('entrypoint');
    expect(repoPathOf(script!)).toBe(requireBuilt('server'));
    const hc = healthcheck(instructions)!;
    // The image's layout under a temporary /app: the probe script, and the server's main.js (a
    // link to the build), a path no other node of the suite runs, so the probe finds only ours.
    const app = join(dir, 'app');
    const inApp = (imagePath: string) => join(app, imagePath.slice(IMAGE_APP_DIR.length));
    const probeScript = inApp(hc.command[1]!);
    const main = inApp(script!);
    await mkdir(dirname(probeScript), { recursive: true });
    await mkdir(dirname(main), { recursive: true });
    await copyFile(repoPathOf(hc.command[1]!), probeScript);
    await symlink(requireBuilt('server'), main);
    const cacheDir = join(dir, 'tmp');
    await mkdir(cacheDir);
    const probe = async (name: string) => {
      const run = await runToCompletion(
        {
          name,
          entry: probeScript,
          args: hc.command.slice(2),
          // Where it keeps what it learnt of a node (once per process).
          env: { TMPDIR: cacheDir },
          timeoutMs: 20_000,
        },
        (p) => scope.adopt(p),
      );
      return { code: run.code, output: run.stdout + run.stderr };
    };

    // No name server in the container (another command run with --entrypoint): nothing to check.
    const none = await probe('healthcheck-no-node');
    expect(none).toEqual({ code: 0, output: expect.stringContaining('no name server process') });

    // A user's mounted namesrv.properties: the image's, with another listenPort and no httpPort
    // (so listenPort + 1), loopback only, the KV file in the temp dir.
    const port = await freePortPair('127.0.0.1');
    const userConfig = join(dir, 'namesrv.properties');
    await writeFile(
      userConfig,
      readFileSync(join(DOCKER_DIR, 'config', 'namesrv.properties'), 'utf8')
        .replace(/^listenPort=.*$/m, `listenPort=${port}`)
        .replace(/^httpPort=.*\n/m, '')
        .replace(/^(bindAddress|httpBindAddress)=.*$/gm, '$1=127.0.0.1')
        .replace(/^kvConfigPath=.*$/m, `kvConfigPath=${join(dir, 'kvConfig.json')}`),
    );
    // The entrypoint's arguments, with the mounted file and the volume mapped to the temp dir.
    const args = scriptArgs.map((a) =>
      a === IMAGE_CONFIG
        ? userConfig
        : a.replace(/^--configStorePath=.*/, `--configStorePath=${join(dir, 'store.properties')}`),
    );
    expect(args).toEqual(['-c', userConfig, `--configStorePath=${join(dir, 'store.properties')}`]);
    const start = async (name: string, env: Record<string, string> = {}) => {
      const proc = scope.spawn({ name, nodeArgs: nodeFlags, entry: main, args, env });
      return { proc, listening: await proc.waitForEvent('listening', 15_000) };
    };

    const node = await start('image-entrypoint');
    expect([node.listening['port'], node.listening['httpPort']]).toEqual([port, port + 1]);
    const healthy = await probe('healthcheck-up');
    expect(healthy).toEqual({
      code: 0,
      output: expect.stringContaining(`http://127.0.0.1:${port + 1}/healthz ok`),
    });
    // Its HTTP settings are kept for the next checks of this process: one `main.js -p` per node.
    expect((await readdir(cacheDir)).filter((f) => f.startsWith('ns-healthcheck-'))).toEqual([
      expect.stringMatching(new RegExp(`^ns-healthcheck-${node.proc.child.pid}-\\d+\\.json$`)),
    ]);
    expect((await probe('healthcheck-again')).code).toBe(0);
    // A node that does not answer (stopped) is unhealthy.
    node.proc.child.kill('SIGSTOP');
    try {
      const frozen = await probe('healthcheck-frozen');
      expect(frozen).toEqual({
        code: 1,
        output: expect.stringContaining(`http://127.0.0.1:${port + 1}/healthz: `),
      });
    } finally {
      node.proc.child.kill('SIGCONT');
    }
    await node.proc.stop();
    expect(node.proc.exit).toEqual({ code: 0, signal: null });

    // httpPort=-1 in the node's environment (the probe's own lacks it): no HTTP port to probe.
    const noHttp = await start('image-entrypoint-no-http', { NAMESRV_HTTP_PORT: '-1' });
    expect(noHttp.listening['httpPort']).toBeNull();
    const disabled = await probe('healthcheck-no-http');
    expect(disabled).toEqual({ code: 0, output: expect.stringContaining('httpPort=-1') });
    await noHttp.proc.stop();
    expect(noHttp.proc.exit).toEqual({ code: 0, signal: null });
  });

  it.skipIf(!pidNamespaces.ok)(
    'as PID 1 of a PID namespace (a container), the entrypoint still ends a node stuck in a KV write (status 137)',
    async () => {
      const scope = useScope();
      const dir = await scope.tempDir('pid1');
      const kvConfigPath = join(dir, 'kvConfig.json');
      // The KV thread writes <kvConfigPath>.<host>-<pid>.tmp first: a FIFO there (nobody reads
      // it) blocks it in open() for ever. node is PID 2 under the init, PID 1 without one.
      for (const pid of [1, 2])
        execFileSync('mkfifo', [`${kvConfigPath}.${hostname()}-${pid}.tmp`]);
      const command = [
        ...launcher,
        process.execPath,
        ...nodeFlags,
        requireBuilt('server'),
        `--kvConfigPath=${kvConfigPath}`,
        `--configStorePath=${join(dir, 'store.properties')}`,
        '--listenPort=0',
        '--bindAddress=127.0.0.1',
        '--httpPort=-1',
        '--servingWorkers=1',
        '--shutdownTimeoutMillis=100',
      ];
      const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...command], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
        child.once('close', (code, signal) => done({ code, signal })),
      );
      /** The namespace's PID 1 (unshare's child), as this machine numbers it. */
      const init = (): number =>
        Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim());
      scope.defer('kill the PID namespace', () => {
        // Killing its PID 1 from outside ends every process of the namespace.
        if (child.exitCode === null && child.signalCode === null) process.kill(init(), 'SIGKILL');
        return exited;
      });
      const deadline = Date.now() + 20_000;
      while (!stdout.includes('"listening"')) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no listening line: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const port = (JSON.parse(stdout.split('\n')[0]!) as { port: number }).port;
      const addr = `127.0.0.1:${port}`;
      // The write is answered only once on disk, so never: do not wait for it.
      void runNsadmin(
        scope,
        ['updateKvConfig', '-n', addr, '-s', 'NS', '-k', 'k', '-v', 'v'],
        60_000,
      );
      // Applied in memory (and handed to the KV thread) once a read returns it.
      for (;;) {
        const read = await runNsadmin(scope, ['getKvConfig', '-n', addr, '-s', 'NS', '-k', 'k']);
        if (/\sv\s*$/m.test(read.stdout)) break;
        if (Date.now() > deadline) throw new Error(`the KV write never applied: ${read.stdout}`);
      }
      // SIGTERM to the container's PID 1, as `docker stop` and Kubernetes send it.
      process.kill(init(), 'SIGTERM');
      const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000).unref());
      const exit = await Promise.race([exited, timeout]);
      expect(exit, `stderr:\n${stderr}`).toEqual({ code: 137, signal: null });
      expect(stderr).toContain('ending with SIGKILL');
    },
    60_000,
  );

  it('the demo client prints the node and route it got, from a list and via the address service', async () => {
    const scope = useScope();
    const nodes = await startNameServers(scope, 3, uniqueName('ns'));
    const addrs = nodes.map((n) => n.addr);
    const topic = uniqueName('DemoTopic');
    const brokerName = uniqueName('broker');
    await new RawBroker(scope, {
      clusterName: uniqueName('cluster'),
      brokerName,
      brokerId: 0,
      brokerAddr: '127.0.0.1:46911',
      haServerAddr: '127.0.0.1:46912',
      topics: [topic],
    }).registerToAll(addrs);
    const service = await startAddressService(scope, { name: uniqueName('addr'), addrs });
    const demo = join(DOCKER_DIR, 'demo', 'demo-client.mjs');
    const base = { DEMO_TOPIC: topic, DEMO_ITERATIONS: '3', DEMO_INTERVAL_MS: '20' };
    for (const [label, env] of [
      ['list', { ...base, NAMESRV_ADDR: addrs.join(';') }],
      ['address-service', { ...base, NAMESRV_ADDR: '', NS_ADDRESS_SERVICE_URL: service.url }],
    ] as const) {
      const run = await runToCompletion(
        { name: `demo-client (${label})`, entry: demo, args: [], env, timeoutMs: 30_000 },
        (p) => scope.adopt(p),
      );
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l['event'])).toEqual([
        'started',
        'route',
        'route',
        'route',
        'stopped',
      ]);
      expect([...(lines[0]!['addresses'] as string[])].sort()).toEqual([...addrs].sort());
      for (const line of lines.filter((l) => l['event'] === 'route')) {
        expect(addrs).toContain(line['node']);
        expect(line['brokers']).toEqual([
          expect.objectContaining({ brokerName, addrs: { '0': '127.0.0.1:46911' } }),
        ]);
      }
    }
  });
});
