/**
 * A pipe that is already full and that nobody reads: what a process's stdout/stderr is when the
 * reader stopped (a stalled `| consumer`, a supervisor that no longer drains its end). Built from
 * a FIFO: a non-blocking reader end is opened (and never read), a non-blocking writer fills the
 * pipe buffer until EAGAIN, and a separate blocking writer end, a file description of its own,
 * is handed to the child exactly as a shell pipe would be.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TestScope } from './scope.js';

export interface FullPipe {
  /** Writer end for the child's stdio (blocking, like a shell pipe). */
  readonly fd: number;
  /** Bytes already in the pipe (its whole capacity, 64 KiB on Linux by default). */
  readonly filled: number;
}

export async function fullPipe(scope: TestScope, name: string): Promise<FullPipe> {
  const dir = await scope.tempDir(name);
  const path = join(dir, 'stdio.fifo');
  execFileSync('mkfifo', [path]);
  // Reader first: opening a FIFO's writer end with no reader fails (ENXIO) or blocks.
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const filler = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  const fd = openSync(path, constants.O_WRONLY);
  // The reader stays open until cleanup: closed, the child would get EPIPE instead of a full pipe.
  scope.defer(`close ${path}`, () => {
    for (const f of [fd, filler, reader]) closeSync(f);
  });
  const chunk = Buffer.alloc(4096, 'x');
  let filled = 0;
  for (;;) {
    try {
      filled += writeSync(filler, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw err;
    }
  }
  return { fd, filled };
}
