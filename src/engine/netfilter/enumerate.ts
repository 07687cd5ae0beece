/**
 * Every outcome a run with random choices can reach, with its probability: a depth-first
 * walk over the sequence of `decide(p, label)` answers, "taken" first. Each run is replayed
 * from the start with a forced prefix of answers, so `run` must be deterministic given them
 * (pass it a freshly seeded RNG for anything else). Branches of probability 0 are not
 * explored; the probabilities of the outcomes sum to 1.
 *
 * A run may also fork instead of replaying (the `fork` argument): before a decision that can
 * go either way it saves its state, and the run that gives the other answer there resumes
 * from that state when the same walk starts, skipping the way to it. A run that saves nothing
 * (or a walk that never asks to resume) is replayed; the outcomes are the same either way.
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
 * How a run forks rather than replays (netfilter/eval.ts WalkFork is one). Within a run,
 * walks that may decide call `resume` when they start; before a decide() with 0 < p < 1 the
 * walk calls `save` with its state. A later run that flips that decision gets the state back
 * from `resume` at the same walk (same place in the run, same key, same decisions before it);
 * the walk continues from it and decide() from that decision; a state is handed back at most
 * once. A run must be deterministic up to each walk's start given the answers before it, as
 * for replaying.
 */
export interface Fork<S> {
  resume(key: string): S | undefined
  save(state: S): void
}

interface Saved<S> {
  readonly state: S
  /** The walk that saved it: its place among the run's walks, its key, the decisions before it. */
  readonly walk: number
  readonly key: string
  readonly start: number
}

/** A finished run's answers, with the probability and last branch taken before each (to resume into it). */
interface Answers {
  readonly choices: readonly Choice[]
  readonly before: readonly number[]
  readonly lastTakenBefore: readonly number[]
}

/**
 * Enumerate all outcomes of `run`. With `replay: true` the run gets no fork and every run is
 * replayed from the start (what a run that ignores `fork` gets anyway).
 * @example enumerateOutcomes((d) => (d(0.5, 'a') ? 'x' : d(0.5, 'b') ? 'y' : 'z')).map((o) => [o.result, o.probability])
 * // [['x', 0.5], ['y', 0.25], ['z', 0.25]]
 */
export function enumerateOutcomes<T, S = unknown>(run: (decide: Decide, fork?: Fork<S>) => T, opts: { maxRuns?: number; replay?: boolean } = {}): EnumeratedOutcome<T>[] {
  const maxRuns = opts.maxRuns ?? 10_000
  const out: EnumeratedOutcome<T>[] = []
  // The forced answers of the next run: the previous run's, up to its last open branch, flipped.
  const prefix: boolean[] = []
  /** States saved before decisions, by decision index: valid while the answers before it stay. */
  const saved: (Saved<S> | undefined)[] = []
  let prev: Answers | undefined
  for (let runs = 0; runs < maxRuns; runs++) {
    let choices: Choice[] = []
    let before: number[] = []
    let lastTakenBefore: number[] = []
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
      before.push(probability)
      lastTakenBefore.push(lastTaken)
      if (forced === undefined && taken) lastTaken = i
      probability *= taken ? q : 1 - q
      return taken
    }
    // The decision this run flips (the last one forced), and the state saved just before it.
    const flip = given - 1
    const target = flip >= 0 ? saved[flip] : undefined
    let walks = 0
    let walk = { index: -1, key: '', start: 0 }
    const fork: Fork<S> | undefined = opts.replay
      ? undefined
      : {
          resume: (key) => {
            walk = { index: walks++, key, start: choices.length }
            if (!target || !prev || target.walk !== walk.index || target.key !== key || target.start !== choices.length) return undefined
            // The walk starts at the flipped decision: the answers it skips are the last run's
            // (those before the walk are too: this run gave them again).
            choices = prev.choices.slice(0, flip)
            before = prev.before.slice(0, flip)
            lastTakenBefore = prev.lastTakenBefore.slice(0, flip)
            probability = prev.before[flip]!
            lastTaken = prev.lastTakenBefore[flip]!
            saved[flip] = undefined
            return target.state
          },
          save: (state) => {
            const i = choices.length
            if (i >= given) saved[i] = { state, walk: walk.index, key: walk.key, start: walk.start }
          },
        }
    const result = run(decide, fork)
    out.push({ probability, result, choices })
    // Next sequence: drop trailing "not taken" (or unbranchable) answers, flip the last "taken" one.
    if (lastTaken < 0) return out
    prefix.length = lastTaken
    for (let i = 0; i < lastTaken; i++) prefix[i] = choices[i]!.taken
    prefix.push(false)
    // States saved after the flipped decision belong to the branch just finished.
    saved.length = Math.min(saved.length, lastTaken + 1)
    prev = { choices, before, lastTakenBefore }
  }
  return out
}
