import { describe, expect, it } from 'vitest';
import { AddressServiceError } from '../src/errors.js';
import { createJsonLineLogger } from '../src/json-line-logger.js';

describe('createJsonLineLogger', () => {
  it('writes one JSON object per line with bindings, fields and serialised errors', () => {
    const lines: string[] = [];
    const log = createJsonLineLogger((l) => lines.push(l), 'info').child({ name: 'svc' });
    log.debug({ a: 1 }, 'hidden');
    log.info({ port: 1 }, 'listening');
    log.warn({ err: new AddressServiceError('u', 'timeout', 'slow') }, 'failed');
    log.error('plain');
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const [info, warn, error] = lines.map((l) => JSON.parse(l));
    expect(info).toMatchObject({ level: 30, name: 'svc', port: 1, msg: 'listening' });
    // ISO 8601 UTC, as ns-server's pino lines.
    expect(info.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(warn.err).toMatchObject({
      type: 'AddressServiceError',
      message: 'slow',
      code: 'NS_ADDRESS_SERVICE',
    });
    expect(error).toMatchObject({ level: 50, msg: 'plain' });
  });

  it('adds error stacks (and those of causes) only at level debug or trace', () => {
    const err = new Error('cannot connect', { cause: new Error('ECONNREFUSED') });
    const at = (level: 'info' | 'debug' | 'trace') => {
      const lines: string[] = [];
      createJsonLineLogger((l) => lines.push(l), level).warn({ err }, 'failed');
      return JSON.parse(lines[0]!).err;
    };
    expect(at('info')).toEqual({
      type: 'Error',
      message: 'cannot connect',
      cause: { type: 'Error', message: 'ECONNREFUSED' },
    });
    for (const level of ['debug', 'trace'] as const) {
      const logged = at(level);
      expect(logged.stack).toContain('Error: cannot connect\n    at ');
      expect(logged.cause.stack).toContain('Error: ECONNREFUSED\n    at ');
    }
  });

  it('writes nothing when silent', () => {
    const lines: string[] = [];
    const log = createJsonLineLogger((l) => lines.push(l), 'silent');
    log.error({ x: 1 }, 'nope');
    expect(lines).toEqual([]);
  });
});
