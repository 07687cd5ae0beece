/**
 * Seeded randomness for the whole engine: nothing in src/engine draws from the platform RNG; callers
 * pass an Rng, so the same seed always gives the same trace and the same cluster (sandbox ids,
 * uuids, MACs, pod name suffixes, ephemeral ports). The state is a plain number, kept in the
 * ClusterState so later operations continue the same sequence. Algorithm: mulberry32.
 */

export interface Rng {
  /** Uniform [0, 1). */
  next(): number
  /** Integer in [0, n). */
  int(n: number): number
  /** `n` lower-case hex digits. */
  hex(n: number): string
  /** RFC 4122 version-4 layout (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`). */
  uuid(): string
  /** A locally administered unicast MAC, as the kernel's eth_random_addr makes them. */
  mac(): string
  /** Characters drawn from an alphabet. */
  pick(alphabet: string, n: number): string
  /** The state to store and resume from. */
  state(): number
}

/**
 * A mulberry32 generator starting from `seed` (any 32-bit number).
 *
 * @example
 * const rng = createRng(42); rng.hex(8) // same 8 hex digits for every run with seed 42
 */
export function createRng(seed: number): Rng {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  const hex = (n: number): string => {
    let out = ''
    for (let i = 0; i < n; i++) out += int(16).toString(16)
    return out
  }
  return {
    next,
    int,
    hex,
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[int(4)]!}${hex(3)}-${hex(12)}`,
    mac: () => {
      const b = Array.from({ length: 6 }, () => int(256))
      b[0] = ((b[0]! & 0xfe) | 0x02) & 0xff
      return b.map((x) => x.toString(16).padStart(2, '0')).join(':')
    },
    pick: (alphabet, n) => {
      let out = ''
      for (let i = 0; i < n; i++) out += alphabet[int(alphabet.length)]!
      return out
    },
    state: () => s,
  }
}

/** The alphabet Kubernetes uses for generated name suffixes and pod-template-hash (no vowels). */
export const K8S_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** An integer in [lo, hi]. */
export function randomInt(rng: Pick<Rng, 'next'>, lo: number, hi: number): number {
  return lo + Math.floor(rng.next() * (hi - lo + 1))
}
