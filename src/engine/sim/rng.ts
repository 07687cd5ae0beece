/**
 * Seeded randomness for the engine. Nothing in src/engine calls Math.random(): callers pass
 * an Rng, so the same seed always gives the same trace.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
}

/** mulberry32: small, fast, good enough for choosing ports and load-balancing branches. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    },
  }
}

/** An integer in [lo, hi]. */
export function randomInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng.next() * (hi - lo + 1))
}
