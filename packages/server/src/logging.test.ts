import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, createStderrDestination, flushLogger } from './logging.js';

/** A stream that accepts writes but completes none of them: a pipe nobody reads. */
function stuckStream(): Writable & { written: string[] } {
  const written: string[] = [];
  const stream = new Writable({
    // Never calls back: the write stays pending.
    write(chunk: Buffer) {
      written.push(chunk.toString('utf8'));
    },
  });
  return Object.assign(stream, { written });
}

describe('logging', () => {
  it('writes JSON lines with the time as ISO 8601 UTC, like the other programs', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l: string) => lines.push(l) } });
    logger.info({ a: 1 }, 'hello');
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 30, a: 1, msg: 'hello', pid: process.pid });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('flushLogger gives up on a destination that never drains, after its timeout', async () => {
    const stream = stuckStream();
    const logger = createLogger({ destination: createStderrDestination(stream) });
    logger.info('one');
    logger.info('two');
    const started = Date.now();
    await flushLogger(logger, 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(stream.written[0]).toContain('"msg":"one"');
  });

  it('flushLogger resolves once a working destination has written everything', async () => {
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        setTimeout(() => {
          written.push(chunk.toString('utf8'));
          callback();
        }, 5);
      },
    });
    const logger = createLogger({ destination: createStderrDestination(stream) });
    for (let i = 0; i < 5; i++) logger.info({ i }, 'line');
    await flushLogger(logger, 10_000);
    expect(written.filter((l) => l.includes('"msg":"line"'))).toHaveLength(5);
  });

  it('after a write error (EPIPE) the destination drops lines instead of throwing', async () => {
    let calls = 0;
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        calls += 1;
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const logger = createLogger({ destination: createStderrDestination(stream) });
    logger.info('first');
    await new Promise((resolve) => stream.once('error', resolve));
    expect(() => {
      logger.info('second');
    }).not.toThrow();
    await flushLogger(logger, 10_000);
    expect(calls).toBe(1);
  });
});
