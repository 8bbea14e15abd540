#!/usr/bin/env node
/**
 * The image's HEALTHCHECK: GET /healthz on the HTTP admin port the name server really uses.
 *
 * The port is not a constant: a mounted namesrv.properties, a NAMESRV_* variable or an argument
 * may set listenPort (httpPort follows it: listenPort + 1), httpPort or httpBindAddress. So this
 * script finds the running name server (a `node … <this image>/packages/server/dist/main.js …`
 * process, from /proc/<pid>/cmdline) and asks the server's own config loader for its effective
 * configuration: `main.js <the same arguments> -p`, run in that process's directory with that
 * process's environment (once per process: see httpSettings). Then:
 * - httpPort=-1 (HTTP admin port disabled): nothing to probe, healthy (exit 0);
 * - httpPort=0 (a port the OS picked, unknowable from the configuration): likewise;
 * - else /healthz on httpBindAddress (127.0.0.1 for a wildcard address) must answer 2xx within
 *   PROBE_TIMEOUT_MS (exit 0), else exit 1.
 * A container running another command of the image (`--entrypoint` ns-addr-service, the broker
 * agent, the demo client) has no name server process: nothing to check, exit 0 (compose gives
 * those services their own healthcheck or disables it).
 *
 * Exit codes, as Docker reads them: 0 healthy, 1 unhealthy. Says why on stdout (`docker inspect`
 * shows it under .State.Health.Log).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The name server's entry point, next to this script in the image (/app/docker → /app/packages). */
const SERVER_MAIN = fileURLToPath(new URL('../packages/server/dist/main.js', import.meta.url));
/** How long `main.js -p` may take (about 0.3 s), and then /healthz; within HEALTHCHECK --timeout. */
const CONFIG_TIMEOUT_MS = 2_500;
const PROBE_TIMEOUT_MS = 2_000;
/** Arguments that make main.js print something and exit instead of serving. */
const NOT_SERVING = new Set(['-p', '--printConfigItem', '-h', '--help']);

function readOr(path, fallback) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** The NUL-separated list of /proc/<pid>/cmdline or /proc/<pid>/environ. */
function nulList(text) {
  const list = text.split('\0');
  if (list.at(-1) === '') list.pop();
  return list;
}

/** Running name servers: node processes whose script is SERVER_MAIN (not tini, not `-p` runs). */
function nameServers() {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const argv = nulList(readOr(`/proc/${entry}/cmdline`, ''));
    if (argv.length < 2 || !/^node/.test(basename(argv[0]))) continue;
    // node's own flags come first (--initial-old-space-size=256), then the script.
    const at = argv.findIndex((arg, i) => i > 0 && !arg.startsWith('-'));
    if (at < 0) continue;
    let cwd;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue; // ended meanwhile
    }
    if (resolve(cwd, argv[at]) !== SERVER_MAIN) continue;
    const args = argv.slice(at + 1);
    if (args.some((arg) => NOT_SERVING.has(arg))) continue;
    found.push({ pid: Number(entry), cwd, args });
  }
  return found;
}

/** The process's environment (what its config loader saw), else ours (the container's). */
function environmentOf(pid) {
  const text = readOr(`/proc/${pid}/environ`, null);
  if (text === null) return process.env;
  const env = {};
  for (const line of nulList(text)) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/**
 * The HTTP settings of a running name server, from `main.js <its args> -p` (about 0.3 s of CPU),
 * kept in a file under the temporary directory for this process (pid and start time): neither
 * httpPort nor httpBindAddress can change while it runs, so later checks only probe. Without a
 * writable temporary directory every check asks again.
 */
function httpSettings(server) {
  const stat = readOr(`/proc/${server.pid}/stat`, '');
  // Field 22, the start time; fields from the third on follow the `)` closing the command name.
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  const cache = join(tmpdir(), `ns-healthcheck-${server.pid}-${startTime}.json`);
  const cached = readOr(cache, null);
  if (cached !== null) {
    try {
      return JSON.parse(cached);
    } catch {
      // A partial write: ask again.
    }
  }
  const config = effectiveConfig(server);
  const settings = { httpPort: config.httpPort, httpBindAddress: config.httpBindAddress };
  try {
    if (startTime !== '') writeFileSync(cache, JSON.stringify(settings));
  } catch {
    // Read-only: no cache.
  }
  return settings;
}

/** The effective configuration of a running name server, from `main.js <its args> -p`. */
function effectiveConfig(server) {
  const out = execFileSync(process.execPath, [SERVER_MAIN, ...server.args, '-p'], {
    cwd: server.cwd,
    env: environmentOf(server.pid),
    encoding: 'utf8',
    timeout: CONFIG_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const config = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    // Java properties escapes (`\:`) in a value: the character itself.
    if (eq > 0) config[line.slice(0, eq)] = line.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return config;
}

function probeHost(bindAddress) {
  if (bindAddress === undefined || ['', '0.0.0.0', '::', '[::]'].includes(bindAddress)) {
    return '127.0.0.1';
  }
  return bindAddress.includes(':') && !bindAddress.startsWith('[')
    ? `[${bindAddress}]`
    : bindAddress;
}

/** '' when healthy, else why not. */
async function check(server) {
  let config;
  try {
    config = httpSettings(server);
  } catch (err) {
    const detail = String(err.stderr ?? '').trim() || err.message;
    return `pid ${server.pid}: could not read its configuration (main.js -p): ${detail}`;
  }
  const port = Number(config.httpPort);
  if (!Number.isInteger(port)) return `pid ${server.pid}: no httpPort in its configuration`;
  if (port === -1 || port === 0) {
    console.log(`pid ${server.pid}: httpPort=${port}, no HTTP admin port to probe`);
    return '';
  }
  const url = `http://${probeHost(config.httpBindAddress)}:${port}/healthz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    if (!res.ok) return `pid ${server.pid}: ${url} answered ${res.status}`;
    console.log(`pid ${server.pid}: ${url} ok`);
    return '';
  } catch (err) {
    return `pid ${server.pid}: ${url}: ${err.cause?.message ?? err.message}`;
  }
}

const servers = nameServers();
if (servers.length === 0) {
  console.log(`no name server process (${SERVER_MAIN}) in this container: nothing to check`);
  process.exit(0);
}
const problems = (await Promise.all(servers.map(check))).filter((p) => p !== '');
for (const problem of problems) console.log(problem);
process.exit(problems.length === 0 ? 0 : 1);
