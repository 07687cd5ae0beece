/** The engine's seeded RNG lives in src/engine/rng.ts; this path is kept for older imports. */
export { createRng, randomInt } from '../rng.ts'
export type { Rng } from '../rng.ts'
