import { describe, expect, it } from 'vitest';
import { runBodyFuzz, runFuzz } from './fuzz-harness.js';
import { BODY_DECODERS, BODY_PARSERS } from './fuzz-body-parsers.js';

// CI runs 100,000 iterations of each; `pnpm fuzz` runs more (FUZZ_ITERATIONS, FUZZ_SEED).
const ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 100_000);
// A seed of its own per Node.js major: CI's passes on Node 20, 22 and 24 try three input sets, not
// the same one three times. The test names carry it, so a failure says how to rerun it.
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed + (NODE_MAJOR === 20 ? 0 : NODE_MAJOR));

/** No single decode of an input of at most ~1 MiB may take this long (superlinear work). */
const MAX_DECODE_MS = 2_000;

describe('fuzz', () => {
  it(
    `${ITERATIONS} mutated frames (FUZZ_SEED=${SEED}): only typed errors, no hang`,
    { timeout: 600_000 },
    async () => {
      const result = await runFuzz({
        iterations: ITERATIONS,
        seed: SEED,
        bodyParsers: BODY_PARSERS,
      });
      // The mutations must actually reach every layer, or the test proves nothing.
      expect(result.frames).toBeGreaterThan(ITERATIONS / 4);
      expect(result.frameErrors).toBeGreaterThan(ITERATIONS / 20);
      expect(result.bodiesParsed + result.bodyErrors).toBeGreaterThan(ITERATIONS / 20);
      expect(result.bodyErrors).toBeGreaterThan(0);
    },
  );

  it(
    `${ITERATIONS} mutated bodies through every body decoder (FUZZ_SEED=${SEED}): only typed errors, re-encodable results, no hang`,
    { timeout: 600_000 },
    async () => {
      const result = await runBodyFuzz({
        iterations: ITERATIONS,
        seed: SEED,
        decoders: BODY_DECODERS,
      });
      expect(result.decodes).toBeGreaterThanOrEqual(ITERATIONS);
      const names = BODY_DECODERS.map((d) => d.name);
      expect([...result.byDecoder.keys()]).toEqual(names);
      // Every decoder is fed its share, and the mutations reach past its first check: some
      // inputs decode, some are refused with a typed error.
      const share = Math.floor(ITERATIONS / names.length);
      for (const [name, s] of result.byDecoder) {
        expect(s.inputs, name).toBeGreaterThanOrEqual(share);
        expect(s.accepted, `${name} accepted`).toBeGreaterThan(s.inputs / 100);
        expect(s.rejected, `${name} rejected`).toBeGreaterThan(s.inputs / 100);
        expect(
          s.maxMs,
          `${name}: slowest decode (largest input ${s.maxInputBytes} B)`,
        ).toBeLessThan(MAX_DECODE_MS);
      }
    },
  );
});
