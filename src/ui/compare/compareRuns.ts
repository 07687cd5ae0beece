/**
 * The two runs the compare view puts side by side. The scenario on screen is one of them
 * (the side that plays); the other is run once and kept: the same file with or without the
 * declared what-if, or the other scenario it names. As written sits on the left, the
 * what-if or the other scenario on the right, whichever of them is playing.
 */
import { runOrThrow } from '../scenarios/ownFiles.ts'
import type { LoadedScenario, ScenarioEntry } from '../scenarios/types.ts'
import type { Side } from './compare.ts'

export interface ComparePair {
  readonly title: string
  readonly left: LoadedScenario
  readonly right: LoadedScenario
  /** The side the store plays (its frame is the current step). */
  readonly playing: Side
  readonly labels: { readonly left: string; readonly right: string }
}

const kept = new Map<string, Promise<LoadedScenario>>()

/** The catalog entry of a scenario named by `metadata.id` (bundled entries are `scn-NN-<id>`), or by entry id. */
export function findEntry(catalog: readonly ScenarioEntry[], id: string): ScenarioEntry | undefined {
  return catalog.find((e) => e.id === id) ?? catalog.find((e) => new RegExp(`^scn-\\d+-${id}$`).test(e.id))
}

/** Which side the scenario on screen is, and what runs on the other side (undefined: it declares no compare). */
export function planPair(s: LoadedScenario): { playing: Side; whatIfs?: readonly string[]; scenario?: string } | undefined {
  const c = s.compare
  if (!c) return undefined
  if (s.whatIfs?.some((w) => w.id === c.with)) {
    const on = s.activeWhatIfs?.includes(c.with) ?? false
    return on ? { playing: 'right', whatIfs: [] } : { playing: 'left', whatIfs: [c.with] }
  }
  return { playing: 'left', scenario: c.with }
}

export async function loadPair(s: LoadedScenario, catalog: readonly ScenarioEntry[]): Promise<ComparePair> {
  const c = s.compare
  const plan = planPair(s)
  if (!c || !plan) throw new Error(`${s.title} declares nothing to compare with`)
  let other: Promise<LoadedScenario>
  let otherTitle: string
  if (plan.whatIfs) {
    if (!s.source) throw new Error(`${s.title} cannot be run again`)
    const key = `${s.id}|${s.source.kind === 'own' ? s.source.text : s.source.name}|${plan.whatIfs.join(',')}`
    other = kept.get(key) ?? runOrThrow(s.id, s.source, plan.whatIfs)
    kept.set(key, other)
    otherTitle = s.whatIfs?.find((w) => w.id === c.with)?.label ?? c.with
  } else {
    const entry = findEntry(catalog, plan.scenario!)
    if (!entry) throw new Error(`No scenario called “${c.with}” to compare with`)
    other = kept.get(entry.id) ?? entry.load()
    kept.set(entry.id, other)
    otherTitle = entry.title
  }
  const loaded = await other.catch((e: unknown) => {
    kept.clear()
    throw e
  })
  const [left, right] = plan.playing === 'left' ? [s, loaded] : [loaded, s]
  return {
    title: c.title,
    left,
    right,
    playing: plan.playing,
    labels: { left: c.labels?.this ?? `${s.title} (as written)`, right: c.labels?.with ?? otherTitle },
  }
}
