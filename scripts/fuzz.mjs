#!/usr/bin/env node
// Long fuzz run: `pnpm fuzz [iterations] [seed]` (default 2,000,000 iterations, random seed).
import { spawnSync } from 'node:child_process';

const iterations = process.argv[2] ?? '2000000';
const seed = process.argv[3] ?? String(Math.floor(Math.random() * 2 ** 31));
console.log(`fuzz: ${iterations} iterations, seed ${seed} (FUZZ_SEED=${seed} replays it)`);
const r = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--project', 'protocol', 'test/fuzz.test.ts'],
  { stdio: 'inherit', env: { ...process.env, FUZZ_ITERATIONS: iterations, FUZZ_SEED: seed } },
);
process.exit(r.status ?? 1);
