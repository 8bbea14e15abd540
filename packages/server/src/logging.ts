/**
 * The server's logger: pino, JSON lines. The root logger is created once (main.ts, or a test)
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
  /** Where JSON lines go; default stderr (asynchronous, flushed by `flushLogger`). */
  destination?: DestinationStream;
  /** Extra bindings on every line (e.g. `{ name: 'ns-server' }`). */
  base?: Record<string, string | number>;
}

/**
 * Asynchronous stderr (SonicBoom): logging never blocks the request path. Keep the returned
 * stream when the process may exit abruptly, and call its `flushSync()` first.
 */
export function createStderrDestination(): ReturnType<typeof pino.destination> {
  return pino.destination({ dest: 2, sync: false });
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const destination = options.destination ?? createStderrDestination();
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

/** Writes out anything the logger still buffers (async destinations); safe to call on any logger. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    // A failed flush (e.g. stderr closed) must not turn a clean shutdown into a crash, so the
    // callback's error is ignored.
    logger.flush(() => {
      resolve();
    });
  });
}
