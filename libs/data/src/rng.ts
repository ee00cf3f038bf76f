/**
 * Small, fast, seeded pseudo-random numbers for shuffling and augmentation: SplitMix32-style seed
 * mixing and the Mulberry32 generator. Deterministic across platforms (32-bit integer math only).
 */

/** Mixes 32-bit words into one well-spread 32-bit seed (MurmurHash3 finaliser over a running state). */
export function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ (w >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + 0x6d2b79f5) | 0;
  }
  return h >>> 0;
}

/** A Mulberry32 generator: returns uniformly distributed unsigned 32-bit integers. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A uniform integer in [0, n) from a 32-bit generator (multiply-shift; bias below 2^-32 * n). */
export function below(next: () => number, n: number): number {
  return Math.floor((next() / 4294967296) * n);
}

/** Stream tags that keep the shuffle and augmentation randomness independent. */
export const STREAM_SHUFFLE = 0x5348;
export const STREAM_AUGMENT = 0x4147;

/** The row order of epoch `epoch` for `n` rows: a Fisher-Yates permutation seeded by (seed, epoch). */
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const next = mulberry32(mixSeed(seed, epoch, STREAM_SHUFFLE));
  for (let i = n - 1; i > 0; i--) {
    const j = below(next, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
