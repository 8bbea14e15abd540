/**
 * The server's logger: pino, JSON lines, `time` as ISO 8601 UTC (the same line shape as the
 * JSON-line logger of the other programs). The root logger is created once (main.ts, or a test)
 * and components receive child loggers (`{ component: 'transport' }`); nothing imports a global.
 *
 * The CLI writes logs to stderr so stdout stays machine-readable (it carries only the
 * `{"event":"listening",…}` line and `-p` output).
 */
import pino from 'pino';
import type { DestinationStream, LevelWithSilent, Logger as PinoLogger } from 'pino';

/** The logger type every server component takes. */
export type Logger = PinoLogger;

export type LogLevel = LevelWithSilent;

export interface CreateLoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; default stderr (see `createStderrDestination`). */
  destination?: DestinationStream;
  /** Extra bindings on every line (e.g. `{ name: 'ns-server' }`). */
  base?: Record<string, string | number>;
}

/** How long `flushLogger` waits for a destination that does not take its bytes. */
export const LOG_FLUSH_TIMEOUT_MS = 500;

/** A destination pino can flush: `flush(cb)` calls back once every line so far is written. */
export interface FlushableDestination extends DestinationStream {
  flush(cb: (err?: Error) => void): void;
}

/**
 * Log lines to `stream` (default process.stderr) through Node's own stdio stream: synchronous for
 * a file or a terminal, non-blocking for a pipe (what the reader has not taken yet waits in
 * memory).
 *
 * Not pino.destination() (SonicBoom): its exit hook flushes synchronously and retries EPIPE and
 * EAGAIN forever (Atomics.wait), so a process whose stderr reader had died (`ns-server | tee`,
 * then Ctrl-C) or stopped reading never exited, and ignored further signals. Here a write error
 * (EPIPE) turns the destination off instead of throwing, and nothing ever waits without a bound.
 */
export function createStderrDestination(
  stream: NodeJS.WritableStream & { writableLength: number } = process.stderr,
): FlushableDestination {
  let failed = false;
  // Without a listener, EPIPE on stderr would be an uncaught exception, i.e. a crash whose report
  // could not be written anywhere either.
  stream.on('error', () => {
    failed = true;
  });
  return {
    write(line: string): void {
      if (!failed) stream.write(line);
    },
    flush(cb: (err?: Error) => void): void {
      if (failed || stream.writableLength === 0) {
        cb();
        return;
      }
      // Write callbacks run in order, so this one runs once everything before it is written
      // (or failed).
      stream.write('', () => {
        cb();
      });
    },
  };
}

/** One stderr destination per process, however many loggers share it (one error listener). */
let stderrDestination: FlushableDestination | null = null;

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const destination = options.destination ?? (stderrDestination ??= createStderrDestination());
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/** A logger that drops everything; for tests and embedders that do not care. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Waits until the logger's destination has written what it buffers, or `timeoutMs` passed (a
 * pipe nobody reads never drains: shutdown must not wait for it). Never rejects: a failed flush
 * (stderr closed) must not turn a clean shutdown into a crash.
 */
export function flushLogger(logger: Logger, timeoutMs = LOG_FLUSH_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
