/**
 * Seeded pseudo-random numbers (mulberry32): every random process in the toolkit takes a seed or an Rng, so runs
 * are reproducible. Not for cryptography.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** A deterministic generator from a 32-bit seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}
