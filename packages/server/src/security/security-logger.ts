/** A pino-compatible subset (object first, constant message second), as the handlers use. */
export interface SecurityLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
