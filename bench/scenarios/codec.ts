/** Runs the codec micro-benchmarks (codec-child.ts) in a fresh process and collects them. */
import { fileURLToPath } from 'node:url';
import { forkTs } from '../lib/processes.js';
import type { Profile } from '../lib/profile.js';
import type { Log } from '../lib/log.js';

export interface CodecCase {
  name: string;
  bytes: number;
  opsPerSec: number;
  usPerOp: number;
  mbPerSec: number;
}

const CHILD = fileURLToPath(new URL('./codec-child.ts', import.meta.url));

export async function runCodec(profile: Profile, log: Log): Promise<CodecCase[]> {
  const child = forkTs(CHILD, [JSON.stringify(profile.codec)]);
  const budget = (profile.codec.warmupMs + profile.codec.measureMs) * 10 + 30_000;
  const cases = await new Promise<CodecCase[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('codec benchmarks timed out'));
    }, budget);
    child.on('message', (m: { type?: string; cases?: CodecCase[] }) => {
      if (m.type === 'codec' && m.cases !== undefined) {
        clearTimeout(timer);
        resolve(m.cases);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`codec benchmarks exited with code ${code}`));
    });
  });
  for (const c of cases) {
    log(
      `codec ${c.name}: ${c.opsPerSec.toFixed(0)} ops/s (${c.usPerOp.toFixed(2)} µs/op, ${c.bytes} B)`,
    );
  }
  return cases;
}
