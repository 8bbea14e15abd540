/**
 * The logging seam of @ns/client and @ns/broker-agent. Libraries never print unasked: every
 * component takes an optional Logger and defaults to NOOP_LOGGER. The shape is the subset of pino
 * the code uses, so a pino logger (or a child of one) can be passed in as is:
 * `log.warn({ url, err }, 'address service fetch failed')` — object first, constant message.
 */

export type LogFn = {
  (obj: object, msg?: string): void;
  (msg: string): void;
};

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every line (pino `child`). */
  child(bindings: Record<string, unknown>): Logger;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const noop: LogFn = () => undefined;

/** Discards everything. The default of every client component. */
export const NOOP_LOGGER: Logger = Object.freeze({
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: (): Logger => NOOP_LOGGER,
});

/** One recorded log call, as captured by {@link createMemoryLogger}. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly msg: string | undefined;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * A Logger that keeps records in memory (shared by its children, whose bindings are merged into
 * `fields`). Meant for tests that assert on what a component logged.
 */
export function createMemoryLogger(
  records: LogRecord[] = [],
  bindings: Readonly<Record<string, unknown>> = {},
): Logger & { readonly records: LogRecord[] } {
  const at =
    (level: LogLevel): LogFn =>
    (objOrMsg: object | string, msg?: string) => {
      if (typeof objOrMsg === 'string') {
        records.push({ level, msg: objOrMsg, fields: { ...bindings } });
      } else {
        records.push({ level, msg, fields: { ...bindings, ...objOrMsg } });
      }
    };
  return {
    records,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => createMemoryLogger(records, { ...bindings, ...more }),
  };
}
