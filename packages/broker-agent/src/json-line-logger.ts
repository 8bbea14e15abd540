/**
 * A Logger writing one JSON object per line (pino-like: `level`, `time`, `msg`, fields), for the
 * CLI's stderr. Errors are flattened to name/code/message so lines stay small and parseable.
 */
import type { Logger, LogFn, LogLevel } from '@ns/client';

const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

export type JsonLineLevel = LogLevel | 'silent';

function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return value;
}

export function createJsonLineLogger(
  write: (line: string) => void,
  level: JsonLineLevel = 'info',
  bindings: Readonly<Record<string, unknown>> = {},
): Logger {
  const min = level === 'silent' ? Number.POSITIVE_INFINITY : LEVELS[level];
  const at =
    (name: LogLevel): LogFn =>
    (objOrMsg: object | string, msg?: string) => {
      if (LEVELS[name] < min) return;
      const fields: Record<string, unknown> = { level: name, time: Date.now(), ...bindings };
      if (typeof objOrMsg === 'string') {
        fields['msg'] = objOrMsg;
      } else {
        for (const [k, v] of Object.entries(objOrMsg)) fields[k] = plain(v);
        if (msg !== undefined) fields['msg'] = msg;
      }
      write(JSON.stringify(fields) + '\n');
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
