/**
 * A tiny JSON-lines Logger for the CLIs (ns-addr-service, ns-broker-agent), so the client package
 * needs no logging dependency. Lines have ns-server's (pino's) shape: numeric level, `time` as ISO
 * 8601 UTC (as ns-server's `isoTime`), bindings, fields, msg. Errors under `err` are serialised
 * with type, message, code and cause; their stack only at level debug or trace, since an operator
 * reading "cannot connect to 10.0.0.1:9876" gains nothing from Node's socket frames.
 */
import type { LogFn, Logger, LogLevel } from './logger.js';

const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

export type LogLevelOrSilent = LogLevel | 'silent';

function serialise(value: unknown, withStack: boolean): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (withStack && value.stack !== undefined) out.stack = value.stack;
    if (value.cause !== undefined) out.cause = serialise(value.cause, withStack);
    return out;
  }
  return value;
}

export function createJsonLineLogger(
  write: (line: string) => void,
  level: LogLevelOrSilent = 'info',
  bindings: Readonly<Record<string, unknown>> = {},
): Logger {
  const threshold = level === 'silent' ? Infinity : LEVELS[level];
  const withStack = threshold <= LEVELS.debug;
  const at = (name: LogLevel): LogFn => {
    if (LEVELS[name] < threshold) return () => undefined;
    return (objOrMsg: object | string, msg?: string) => {
      const fields: Record<string, unknown> = {};
      if (typeof objOrMsg === 'string') {
        msg = objOrMsg;
      } else {
        for (const [k, v] of Object.entries(objOrMsg)) fields[k] = serialise(v, withStack);
      }
      const line = {
        level: LEVELS[name],
        time: new Date().toISOString(),
        ...bindings,
        ...fields,
        msg,
      };
      write(`${JSON.stringify(line)}\n`);
    };
  };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => createJsonLineLogger(write, level, { ...bindings, ...more }),
  };
}
