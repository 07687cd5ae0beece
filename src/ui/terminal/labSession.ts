/**
 * A lab session kept across reloads: what the learner did in each lab, as the steps that
 * did it (command lines, Ctrl-C, a move to another netns), with the fault and the wall clock
 * the lab started with. Replaying the steps on the lab's starting world rebuilds the same
 * shell state, output and history, because every run is seeded by the shell itself
 * (runLine's seed is the run count, its time the shell's clock). Storage failures (private
 * mode, quota) are ignored: the session then lives as long as the page.
 */
import type { DnsFault, LabId } from '../../engine/shell/labs.ts'
import { parseDnsFault } from '../../engine/shell/labs.ts'

export type LabStep = { readonly run: string } | { readonly interrupt: true } | { readonly netns: string }

export interface SavedLab {
  readonly fault?: DnsFault
  /** Wall-clock ms at the lab's simulated time 0 (timestamps in the output derive from it). */
  readonly epoch: number
  readonly steps: readonly LabStep[]
}

export const SESSION_KEY = 'packetwalk.labs.session.v1'

function parseStep(v: unknown): LabStep | undefined {
  if (v === null || typeof v !== 'object') return undefined
  const o = v as Record<string, unknown>
  if (typeof o.run === 'string') return { run: o.run }
  if (o.interrupt === true) return { interrupt: true }
  if (typeof o.netns === 'string') return { netns: o.netns }
  return undefined
}

function parseSaved(v: unknown): SavedLab | undefined {
  if (v === null || typeof v !== 'object') return undefined
  const o = v as Record<string, unknown>
  if (typeof o.epoch !== 'number' || !Array.isArray(o.steps)) return undefined
  const fault = parseDnsFault(typeof o.fault === 'string' ? o.fault : undefined)
  const steps = (o.steps as unknown[]).map(parseStep).filter((s): s is LabStep => s !== undefined)
  return { ...(fault && { fault }), epoch: o.epoch, steps }
}

function loadAll(): Record<string, unknown> {
  try {
    const raw = globalThis.localStorage?.getItem(SESSION_KEY)
    const v = raw ? (JSON.parse(raw) as unknown) : {}
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** The saved session of a lab, if a valid one is stored. */
export function loadLabSession(id: LabId): SavedLab | undefined {
  return parseSaved(loadAll()[id])
}

export function saveLabSession(id: LabId, s: SavedLab): void {
  try {
    globalThis.localStorage?.setItem(SESSION_KEY, JSON.stringify({ ...loadAll(), [id]: s }))
  } catch {
    /* the session stays in memory */
  }
}
