/**
 * "All outcomes": every result the random choices of a trace (`-m statistic --mode random`)
 * can lead to, each with its probability.
 *
 * Two ways to get them. `traceAllOutcomes` traces every choice sequence in full and merges
 * runs sharing a result (same verdict, destination and translations); the first run's steps
 * represent them. `enumerateAtDecisionHook` traces once, finds the hook run that made the
 * random choices (kube-proxy's KUBE-SVC-* chain, in PREROUTING or OUTPUT), and enumerates only
 * that hook's choices with `processHook`, from the netns, packet, clock and RNG state the hook
 * started from: every outcome's probability and what the hook did (DNAT, SNAT, verdict)
 * without a trace each. The hook's table walk is forked at each choice (netfilter/eval.ts
 * WalkFork): an outcome walks on from where its choice was made, so a 100-endpoint cascade
 * costs 100 rule walks, not 5,050. A full trace of one outcome is `replay`.
 *
 * Simplification: the branches after the deciding hook are assumed to make no random choice
 * the first trace did not make (a packet DNATed to one endpoint does not meet another
 * load-balanced Service on its way). When the first trace itself chooses in more than one
 * hook run, every choice sequence is traced in full instead.
 */
import { enumerateOutcomes } from '../netfilter/enumerate.ts'
import type { Choice, Decide, Fork } from '../netfilter/enumerate.ts'
import { processHook } from '../netfilter/hooks.ts'
import type { HookOutcome, NfEnv } from '../netfilter/hooks.ts'
import type { WalkFork, WalkSnapshot } from '../netfilter/eval.ts'
import type { Hook, TableName } from '../netfilter/types.ts'
import type { World } from '../model/types.ts'
import { createRng } from '../rng.ts'
import type { Rng } from '../rng.ts'
import { netfilterEnv, simulate, simulateWithDecisionPoints } from './simulate.ts'
import type { DecisionPoint, SimOptions, SimResult } from './simulate.ts'
import type { NetfilterStep, Outcome, RuleEval, SendSpec } from './trace.ts'

export type OutcomeOptions = Omit<SimOptions, 'decide' | 'rng'>

/**
 * How the deciding hook's outcomes are enumerated: `fork` (the default) forks its table walk at
 * each random choice; `replay` runs the hook from its start once per outcome. Same outcomes.
 */
export type HookEnumeration = 'fork' | 'replay'

export function traceAllOutcomes(world: World, send: SendSpec, opts: OutcomeOptions = {}): Outcome[] {
  const runs = enumerateOutcomes((decide) => simulate(world, send, { ...opts, decide }))
  const merged = new Map<string, Outcome>()
  for (const r of runs) {
    if (r.probability === 0) continue
    const o = r.result.outcome
    const key = outcomeKey(o)
    const prev = merged.get(key)
    if (prev) merged.set(key, { ...prev, probability: prev.probability + r.probability })
    else merged.set(key, { probability: r.probability, ...o, steps: r.result.steps })
  }
  return [...merged.values()]
}

function outcomeKey(o: Omit<Outcome, 'probability' | 'steps'>): string {
  return JSON.stringify([o.verdict, o.deliveredTo, o.deliveredNetns, o.dnat, o.snat, o.masquerade, o.encapsulated, o.dropReason, o.reply?.verdict ?? null])
}

/** One outcome of the random choices, known without tracing it in full. */
export interface ChoiceOutcome {
  readonly probability: number
  /** The answers to every decide() call up to the last one of the deciding hook: `replayChoices` takes them. */
  readonly choices: readonly Choice[]
  /** Where the random choices were made; null when the trace made none. */
  readonly at: { readonly netns: string; readonly hook: Hook; readonly path: 'routed' | 'bridge' } | null
  /** The deciding hook's verdict for this outcome (null: no deciding hook). */
  readonly verdictAtHook: HookOutcome['verdict'] | null
  /** Destination NAT of the request by the end of the deciding hook (`ip:port`). */
  readonly dnat: string | null
  /**
   * Source NAT of the request by the end of the deciding hook. Source NAT usually comes later
   * (POSTROUTING): with `method: 'hook'` a null here says nothing about it, the full trace does.
   */
  readonly snat: string | null
  readonly masquerade: boolean
  /**
   * The rules that matched at the deciding hook for this outcome, in walk order (the jumps, the
   * statistic rule that picked, the DNAT): the path to show in a list. The missed rules and the
   * rest of the trace are in the replay.
   */
  readonly matched: readonly MatchedAtHook[]
}

/** A rule that matched at a hook, with the chain it is in. */
export interface MatchedAtHook {
  readonly table: TableName
  readonly chain: string
  readonly rule: RuleEval
}

/** The matched rules of a hook run (the misses are left behind: a long list keeps only these). */
function matchedIn(step: NetfilterStep | undefined): MatchedAtHook[] {
  const out: MatchedAtHook[] = []
  for (const walk of step?.chains ?? []) for (const rule of walk.rules) if (rule.result === 'matched') out.push({ table: walk.table, chain: walk.chain, rule })
  return out
}

export interface ChoiceOutcomes {
  /**
   * How the outcomes were found: `none`, the trace makes no random choice (one outcome);
   * `hook`, one hook run makes them and only it was enumerated; `full`, several hook runs
   * make them and every choice sequence was traced in full.
   */
  readonly method: 'none' | 'hook' | 'full'
  /** Most specific first: the order `traceAllOutcomes` lists them in. Probabilities sum to 1. */
  readonly outcomes: readonly ChoiceOutcome[]
  /** The full trace for one outcome's choices (the traces already made are reused). */
  replay(choices: readonly Choice[]): SimResult
}

/**
 * A decide() that gives `answers` in order, then what enumerateOutcomes gives a first run:
 * taken, unless the probability forces it (p ≤ 0 is never taken, p ≥ 1 always).
 */
export function decideFrom(answers: readonly Pick<Choice, 'taken'>[]): Decide {
  let i = 0
  return (p) => {
    const given = answers[i++]
    if (given !== undefined) return given.taken
    const q = Math.min(1, Math.max(0, p))
    return q >= 1 ? true : q <= 0 ? false : true
  }
}

function choicesKey(choices: readonly Pick<Choice, 'taken'>[]): string {
  let k = ''
  for (const c of choices) k += c.taken ? '1' : '0'
  return k
}

/**
 * Every outcome of a trace's random choices, enumerated where they are made (see the module
 * comment), with a full trace of any of them on demand.
 * @example enumerateAtDecisionHook(world, { from: 'client', to: '10.96.0.10', proto: 'udp', dport: 53 }).outcomes.map((o) => [o.dnat, o.probability])
 * // [['10.244.1.3:53', 0.5], ['10.244.2.2:53', 0.5]]
 */
export function enumerateAtDecisionHook(world: World, send: SendSpec, options: OutcomeOptions & { readonly enumerate?: HookEnumeration } = {}): ChoiceOutcomes {
  const { enumerate = 'fork', ...opts } = options
  const first = simulateWithDecisionPoints(world, send, { ...opts, decide: decideFrom([]) })
  const firstTrace: SimResult = { steps: first.steps, world: first.world, outcome: first.outcome }
  const traced = new Map<string, SimResult>()
  const replay = (choices: readonly Choice[]): SimResult => {
    const key = choicesKey(choices)
    let r = traced.get(key)
    if (!r) {
      r = simulate(world, send, { ...opts, decide: decideFrom(choices) })
      traced.set(key, r)
    }
    return r
  }
  const branching = first.decisionPoints.filter((p) => p.branching)
  const point = branching[0]
  // Answers after the deciding hook's are the defaults decideFrom gives: the same trace.
  traced.set(choicesKey(point && branching.length === 1 ? first.answers.slice(0, point.decisionsBefore + point.decisions) : first.answers), firstTrace)
  if (!point) {
    const o = first.outcome
    const at = first.decisionPoints[0]
    return {
      method: 'none',
      outcomes: [{ probability: 1, choices: first.answers, at: at ? where(at) : null, verdictAtHook: at?.result?.verdict ?? null, dnat: o.dnat, snat: o.snat, masquerade: o.masquerade, matched: matchedIn(at?.result?.step) }],
      replay,
    }
  }
  if (branching.length > 1) return { method: 'full', outcomes: fullTraces(world, send, opts, traced), replay }

  const before = first.answers.slice(0, point.decisionsBefore)
  // One environment for every run of the hook; each run brings its answers, its fork and an
  // RNG in the state the hook started from.
  const ask: { decide: Decide; fork: Fork<WalkSnapshot> | undefined; rng: Rng } = { decide: () => true, fork: undefined, rng: createRng(point.rngState) }
  const fork: WalkFork = { resume: (key) => ask.fork?.resume(key), save: (s) => ask.fork?.save(s) }
  const env: NfEnv = { ...netfilterEnv(point.netns, point.now, (p, label) => ask.decide(p, label), () => ask.rng.next()), matchedOnly: true, ...(enumerate === 'fork' && { fork }) }
  const runs = enumerateOutcomes<HookOutcome, WalkSnapshot>(
    (decide, f) => {
      ask.decide = decide
      ask.fork = f
      ask.rng = createRng(point.rngState)
      return processHook(point.netns, point.hook, point.packet, env, point.path)
    },
    { replay: enumerate === 'replay' },
  )
  const merged = new Map<string, { -readonly [K in keyof ChoiceOutcome]: ChoiceOutcome[K] }>()
  for (const r of runs) {
    if (r.probability === 0) continue
    const o = atHook(point, r.result)
    const p = r.result.packet
    const key = `${r.result.verdict} ${o.dnat} ${o.snat} ${o.masquerade} ${p.src} ${p.dst} ${p.sport} ${p.dport} ${p.mark}`
    const prev = merged.get(key)
    if (prev) prev.probability += r.probability
    else merged.set(key, { probability: r.probability, choices: [...before, ...r.choices], at: where(point), verdictAtHook: r.result.verdict, ...o, matched: matchedIn(r.result.step) })
  }
  return { method: 'hook', outcomes: [...merged.values()], replay }
}

function where(p: DecisionPoint): NonNullable<ChoiceOutcome['at']> {
  return { netns: p.netnsName, hook: p.hook, path: p.path }
}

/** The request's translations after the hook, as the tracer books them (simulate.ts noteNat). */
function atHook(p: DecisionPoint, res: HookOutcome): Pick<ChoiceOutcome, 'dnat' | 'snat' | 'masquerade'> {
  let dnat = p.before.dnat ?? null
  let snat = p.before.snat ?? null
  let masquerade = p.before.masquerade
  if (p.phase === 'request') {
    for (const c of res.nat) {
      if (c.kind === 'DNAT' && dnat === null) dnat = c.to
      if ((c.kind === 'SNAT' || c.kind === 'MASQUERADE') && snat === null) snat = c.to
      if (c.kind === 'MASQUERADE') masquerade = true
    }
  }
  return { dnat, snat, masquerade }
}

/** Choices in several hook runs: trace every sequence (as traceAllOutcomes), keeping the traces. */
function fullTraces(world: World, send: SendSpec, opts: OutcomeOptions, traced: Map<string, SimResult>): ChoiceOutcome[] {
  const runs = enumerateOutcomes((decide) => simulateWithDecisionPoints(world, send, { ...opts, decide }))
  const merged = new Map<string, { -readonly [K in keyof ChoiceOutcome]: ChoiceOutcome[K] }>()
  for (const r of runs) {
    traced.set(choicesKey(r.choices), { steps: r.result.steps, world: r.result.world, outcome: r.result.outcome })
    if (r.probability === 0) continue
    const o = r.result.outcome
    const key = outcomeKey(o)
    const prev = merged.get(key)
    if (prev) {
      prev.probability += r.probability
      continue
    }
    const point = r.result.decisionPoints.find((p) => p.branching)
    merged.set(key, { probability: r.probability, choices: r.choices, at: point ? where(point) : null, verdictAtHook: point?.result?.verdict ?? null, dnat: o.dnat, snat: o.snat, masquerade: o.masquerade, matched: matchedIn(point?.result?.step) })
  }
  return [...merged.values()]
}
