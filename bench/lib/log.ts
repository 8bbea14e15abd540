/** Progress lines go to stderr so stdout stays free for a machine-readable summary. */
export type Log = (line: string) => void;

export function makeLog(start = performance.now()): Log {
  return (line) => {
    process.stderr.write(
      `[bench ${((performance.now() - start) / 1000).toFixed(1).padStart(6)}s] ${line}\n`,
    );
  };
}
