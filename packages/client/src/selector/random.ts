/**
 * Random sources for the selector. Production uses Math.random; tests inject a seeded generator
 * so spread and order assertions are deterministic and cannot flake.
 */

/** Returns a float in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** mulberry32: a small, fast, well-mixed 32-bit PRNG. Same seed, same sequence. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, bound), Java Random#nextInt(bound) semantics. */
export function randomInt(random: RandomSource, bound: number): number {
  return Math.min(bound - 1, Math.floor(random() * bound));
}

/** Fisher–Yates shuffle into a new array (Java: Collections.shuffle). */
export function shuffled<T>(items: readonly T[], random: RandomSource): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}
