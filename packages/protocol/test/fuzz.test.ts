import { describe, expect, it } from 'vitest';
import { runFuzz } from './fuzz-harness.js';
import { BODY_PARSERS } from './fuzz-body-parsers.js';

// CI runs 100,000 iterations; `pnpm fuzz` runs more (FUZZ_ITERATIONS, FUZZ_SEED).
const ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 100_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed);

describe('fuzz', () => {
  it(`${ITERATIONS} mutated frames: only typed errors, no hang`, { timeout: 600_000 }, () => {
    const result = runFuzz({ iterations: ITERATIONS, seed: SEED, bodyParsers: BODY_PARSERS });
    // The mutations must actually reach every layer, or the test proves nothing.
    expect(result.frames).toBeGreaterThan(ITERATIONS / 4);
    expect(result.frameErrors).toBeGreaterThan(ITERATIONS / 20);
    expect(result.bodiesParsed + result.bodyErrors).toBeGreaterThan(ITERATIONS / 20);
    expect(result.bodyErrors).toBeGreaterThan(0);
  });
});
