#!/usr/bin/env node
/**
 * `ns-server`: the NameServer process (Java `mqnamesrv` / NamesrvStartup).
 *
 *   ns-server [-c FILE] [-p] [-h] [--<configKey>=<value>]...
 *
 * Output contract: logs are JSON lines on stderr; stdout carries only machine-readable output:
 * `-h` usage, `-p` properties, or, once both ports are bound, exactly one line
 * `{"event":"listening","host":…,"port":…,"httpPort":…}` that tests and harnesses wait for.
 *
 * Exit codes: 0 normal (including after SIGTERM/SIGINT/SIGHUP), 1 configuration error, 2 startup
 * failure (corrupt KV file, port in use), 3 forced exit on a second signal, 70 unexpected crash.
 * (Java uses -1/-2/-3; ours are positive so shells and supervisors read them plainly.)
 *
 * Stopping never hangs on stdout/stderr: a dead pipe (EPIPE) is ignored, and a pipe nobody reads
 * is waited for at most LOG_FLUSH_TIMEOUT_MS + STDIO_DRAIN_TIMEOUT_MS (1 s) after shutdown.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { ConfigError, formatConfigProperties, formatUsage, loadConfig } from './config/index.js';
import type { LoadConfigResult } from './config/index.js';
import { createLogger, flushLogger } from './logging.js';
import type { Logger } from './logging.js';
import { NameServer } from './name-server.js';
import { NameServerError } from './name-server-error.js';
import { exitAfterDrain, ignoreStdioErrors } from './stdio-exit.js';

const EXIT_OK = 0;
const EXIT_CONFIG = 1;
const EXIT_STARTUP = 2;
const EXIT_FORCED = 3;
const EXIT_CRASH = 70;

function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.write(text, () => {
      resolve();
    });
  });
}

/**
 * A -c file as UTF-8, refusing bytes that are not: decoded leniently, a Latin-1 `é` in a path
 * became U+FFFD and the node started quietly on another kvConfigPath (review finding). Java
 * reads the file as ISO-8859-1; non-ASCII values are rare, and an error beats a silent guess.
 */
function readConfigText(path: string): string {
  try {
    return UTF8_STRICT.decode(readFileSync(path));
  } catch (err) {
    if (err instanceof TypeError) {
      throw new Error(
        'not valid UTF-8 (save it as UTF-8, or write non-ASCII characters as \\uXXXX escapes)',
        { cause: err },
      );
    }
    throw err;
  }
}

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });

function loadOrExit(homeDir: string): LoadConfigResult | number {
  try {
    return loadConfig({
      argv: process.argv.slice(2),
      env: process.env,
      readFile: readConfigText,
      homeDir,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ns-server: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    throw err;
  }
}

/** How long a forced exit (second signal) waits for stdout/stderr to drain. */
const FORCED_EXIT_DRAIN_MS = 50;

/**
 * Stops the server on SIGTERM/SIGINT/SIGHUP (exit 0 once closed; a second signal forces exit 3).
 * SIGHUP as Java's mqnamesrv takes it (the JVM runs its shutdown hook): its default action ended
 * the process at once (exit 129), without closing connections or flushing the KV store.
 * Returns whether a stop was asked for: a signal during start() makes start() fail with "closed
 * during start()", which is then the stop the operator asked for, not a startup failure.
 */
function installSignalHandlers(server: NameServer, logger: Logger): () => boolean {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting without finishing shutdown');
      // The operator asked twice: give the warning a moment to reach the log, no more.
      exitAfterDrain(EXIT_FORCED, FORCED_EXIT_DRAIN_MS);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => {
        exitAfterDrain(EXIT_OK);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exitAfterDrain(EXIT_CRASH);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onSignal);
  return () => stopping;
}

async function main(): Promise<number | null> {
  ignoreStdioErrors();
  const homeDir = homedir();
  const loaded = loadOrExit(homeDir);
  if (typeof loaded === 'number') return loaded;
  if (loaded.help) {
    await writeStdout(formatUsage({ homeDir, env: process.env }));
    return EXIT_OK;
  }
  if (loaded.printOnly) {
    await writeStdout(formatConfigProperties(loaded.config));
    return EXIT_OK;
  }

  const config = loaded.config;
  const logger = createLogger({ level: config.logLevel, base: { name: 'ns-server' } });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    exitAfterDrain(EXIT_CRASH);
  });

  const server = new NameServer({
    config,
    logger,
    configOrigin: { sources: loaded.sources, defaults: { homeDir, env: process.env } },
  });
  const stopRequested = installSignalHandlers(server, logger);
  let address;
  try {
    address = await server.start();
  } catch (err) {
    // Stopped by a signal while starting: the signal handler's close() ends the process (0).
    if (stopRequested()) return null;
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err }, 'name server failed to start');
    await flushLogger(logger);
    process.stderr.write(`ns-server: ${message}\n`);
    return err instanceof NameServerError ? EXIT_STARTUP : EXIT_CRASH;
  }
  await writeStdout(
    JSON.stringify({
      event: 'listening',
      host: address.host,
      port: address.port,
      httpPort: address.httpPort,
    }) + '\n',
  );
  // Keep running; the signal handlers end the process.
  return null;
}

main().then(
  (code) => {
    if (code !== null) exitAfterDrain(code);
  },
  (err: unknown) => {
    process.stderr.write(
      `ns-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    exitAfterDrain(EXIT_CRASH);
  },
);
