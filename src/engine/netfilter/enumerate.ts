/**
 * Every outcome a run with random choices can reach, with its probability: a depth-first
 * walk over the sequence of `decide(p, label)` answers. Each run is replayed from the
 * start with a forced prefix of answers, so `run` must be deterministic given them (pass
 * it a freshly seeded RNG for anything else). Branches of probability 0 are not explored;
 * the probabilities of the outcomes sum to 1.
 */

export interface Choice {
  readonly label: string
  readonly probability: number
  readonly taken: boolean
}

export interface EnumeratedOutcome<T> {
  readonly probability: number
  readonly result: T
  /** The answers given to decide(), in call order. */
  readonly choices: readonly Choice[]
}

export type Decide = (probability: number, label: string) => boolean

/**
 * Enumerate all outcomes of `run`.
 * @example enumerateOutcomes((d) => (d(0.5, 'a') ? 'x' : d(0.5, 'b') ? 'y' : 'z')).map((o) => [o.result, o.probability])
 * // [['x', 0.5], ['y', 0.25], ['z', 0.25]]
 */
export function enumerateOutcomes<T>(run: (decide: Decide) => T, opts: { maxRuns?: number } = {}): EnumeratedOutcome<T>[] {
  const maxRuns = opts.maxRuns ?? 10_000
  const out: EnumeratedOutcome<T>[] = []
  // The forced answers of the next run: the previous run's, up to its last open branch, flipped.
  const prefix: boolean[] = []
  for (let runs = 0; runs < maxRuns; runs++) {
    const choices: Choice[] = []
    /** Index of the last choice that was a real branch point (0 < p < 1) and was taken. */
    let lastTaken = -1
    let probability = 1
    const given = prefix.length
    const decide: Decide = (p, label) => {
      const i = choices.length
      const q = Math.min(1, Math.max(0, p))
      const forced = q >= 1 ? true : q <= 0 ? false : undefined
      const taken = forced ?? (i < given ? prefix[i]! : true)
      choices.push({ label, probability: q, taken })
      if (forced === undefined && taken) lastTaken = i
      probability *= taken ? q : 1 - q
      return taken
    }
    const result = run(decide)
    out.push({ probability, result, choices })
    // Next sequence: drop trailing "not taken" (or unbranchable) answers, flip the last "taken" one.
    if (lastTaken < 0) return out
    prefix.length = lastTaken
    for (let i = 0; i < lastTaken; i++) prefix[i] = choices[i]!.taken
    prefix.push(false)
  }
  return out
}
