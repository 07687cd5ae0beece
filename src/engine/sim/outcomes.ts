/**
 * "All outcomes": every result the random choices of a trace (`-m statistic --mode random`)
 * can lead to, each with its probability. Runs sharing a result (same verdict, destination
 * and translations) are merged; the first run's steps represent them.
 */
import { enumerateOutcomes } from '../netfilter/enumerate.ts'
import type { World } from '../model/types.ts'
import { simulate } from './simulate.ts'
import type { SimOptions } from './simulate.ts'
import type { Outcome, SendSpec } from './trace.ts'

export function traceAllOutcomes(world: World, send: SendSpec, opts: Omit<SimOptions, 'decide' | 'rng'> = {}): Outcome[] {
  const runs = enumerateOutcomes((decide) => simulate(world, send, { ...opts, decide }))
  const merged = new Map<string, Outcome>()
  for (const r of runs) {
    if (r.probability === 0) continue
    const o = r.result.outcome
    const key = JSON.stringify([o.verdict, o.deliveredTo, o.deliveredNetns, o.dnat, o.snat, o.masquerade, o.encapsulated, o.dropReason, o.reply?.verdict ?? null])
    const prev = merged.get(key)
    if (prev) merged.set(key, { ...prev, probability: prev.probability + r.probability })
    else merged.set(key, { probability: r.probability, ...o, steps: r.result.steps })
  }
  return [...merged.values()]
}
