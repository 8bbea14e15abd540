#!/usr/bin/env node
/**
 * ns-addr-service: serves the name server list over HTTP (see address-service.ts). Logs JSON lines
 * to stderr; prints exactly one `{"event":"listening","host":…,"port":…}` line on stdout once
 * listening, so scripts and test harnesses can read the real port when started with --port 0.
 * Exit codes: 0 after SIGTERM/SIGINT/SIGHUP, 1 when startup fails (cannot listen), 2 on bad
 * arguments, including a --file that cannot be read or holds no valid list and an --env variable
 * that is unset or malformed. Every failure also prints one plain `ns-addr-service: <message>`
 * line on stderr, whatever --log-level says. A dead or stuck stdout/stderr pipe never keeps it from
 * exiting (stdio-exit.ts).
 */
import { isIP } from 'node:net';
import { AddressService } from './address-service.js';
import type { AddressSource } from './address-source.js';
import { FileAddressSource, addressSourceFromEnv } from './address-source.js';
import { USAGE, parseAddressServiceArgs } from './cli-options.js';
import type { AddressServiceCliOptions } from './cli-options.js';
import { InvalidAddressListError } from '../errors.js';
import { createJsonLineLogger } from '../json-line-logger.js';
import type { Logger } from '../logger.js';
import { exitAfterDrain, ignoreStdioErrors } from '../stdio-exit.js';

async function main(): Promise<number> {
  ignoreStdioErrors();
  let options: AddressServiceCliOptions;
  try {
    options = parseAddressServiceArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(
      `ns-addr-service: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`,
    );
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = createJsonLineLogger((line) => process.stderr.write(line), options.logLevel).child({
    name: 'ns-addr-service',
  });

  let source: AddressSource;
  try {
    source =
      options.file !== undefined
        ? new StartCheckedSource(new FileAddressSource(options.file, { logger: log }), options.file)
        : addressSourceFromEnv(options.env ?? '');
  } catch (err) {
    // addressSourceFromEnv: the variable is unset, empty or not a list (the message names it).
    return fail(log, `--env: ${messageOf(err)}`, err, 2);
  }
  let service: AddressService;
  let stopped: Promise<NodeJS.Signals>;
  try {
    service = new AddressService({
      source,
      host: options.host,
      port: options.port,
      subgroup: options.subgroup,
      logger: log,
    });
    const { host, port } = await service.start();
    // Listening for the stop signals before the line that says we are up: whoever waits for it
    // may signal at once, and a write to a pipe lands before the next statement runs (CI: a
    // SIGHUP sent on reading the line found no handler on a loaded machine, and killed us).
    stopped = stopSignal();
    process.stdout.write(`${JSON.stringify({ event: 'listening', host, port })}\n`);
  } catch (err) {
    if (err instanceof SourceStartError) return fail(log, err.message, err.cause, 2);
    const code = (err as NodeJS.ErrnoException | null)?.code;
    const message =
      typeof code === 'string' && (err as NodeJS.ErrnoException).syscall === 'listen'
        ? `cannot listen on ${hostPortText(options.host, options.port)} (--host/--port): ${messageOf(err)}`
        : messageOf(err);
    return fail(log, message, err, 1);
  }

  const signal = await stopped;
  log.info({ signal }, 'shutting down');
  await service.close();
  log.info('stopped');
  return 0;
}

/** The first of SIGTERM, SIGINT or SIGHUP from now on. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    // Java's mqnamesrv runs its shutdown hook on SIGHUP too; its default action ended the process
    // at once (exit 129), without closing the listener or the file watch.
    process.once('SIGHUP', resolve);
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A startup failure: logged (for log collectors) and printed as one plain line on stderr, which
 * --log-level silent does not hide; returns the exit code.
 */
function fail(log: Logger, message: string, err: unknown, code: number): number {
  log.error({ err }, 'address service failed to start');
  process.stderr.write(`ns-addr-service: ${message}\n`);
  return code;
}

/** The --file could not give a list at start: a bad value of the flag (exit 2). */
class SourceStartError extends Error {
  override name = 'SourceStartError';
}

/**
 * The file source, with a failure of its first load told apart from a failure to listen (both
 * reject AddressService.start()), and described by the flag: `--file <path>: cannot read (…)`.
 */
class StartCheckedSource implements AddressSource {
  readonly #inner: AddressSource;
  readonly #file: string;
  constructor(inner: AddressSource, file: string) {
    this.#inner = inner;
    this.#file = file;
  }
  current(): readonly string[] {
    return this.#inner.current();
  }
  async start(): Promise<void> {
    try {
      await this.#inner.start();
    } catch (err) {
      // A list error names the file already ("nsaddr.txt holds no address").
      throw new SourceStartError(
        err instanceof InvalidAddressListError
          ? `--file: ${err.message}`
          : `--file ${this.#file}: cannot read (${messageOf(err)})`,
        { cause: err },
      );
    }
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

main().then(
  (code) => {
    exitAfterDrain(code);
  },
  (err: unknown) => {
    process.stderr.write(`ns-addr-service: unexpected error: ${String(err)}\n`);
    exitAfterDrain(1);
  },
);

/** `host:port` as a user writes it back: an IPv6 literal in brackets. */
function hostPortText(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
