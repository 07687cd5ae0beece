/**
 * A learner's progress through the labs, kept across reloads in localStorage: how many hints
 * each lab has shown and whether it was completed. Storage failures (private mode, quota)
 * are ignored: progress is then kept for the session only.
 */
import type { LabId } from '../../engine/shell/labs.ts'

export interface LabProgress {
  readonly hintsShown: number
  readonly done: boolean
}

export const PROGRESS_KEY = 'packetwalk.labs.v1'

export function loadProgress(): Partial<Record<LabId, LabProgress>> {
  try {
    const raw = globalThis.localStorage?.getItem(PROGRESS_KEY)
    const v = raw ? (JSON.parse(raw) as unknown) : {}
    return v !== null && typeof v === 'object' ? (v) : {}
  } catch {
    return {}
  }
}

export function saveProgress(id: LabId, p: LabProgress): void {
  try {
    globalThis.localStorage?.setItem(PROGRESS_KEY, JSON.stringify({ ...loadProgress(), [id]: p }))
  } catch {
    /* progress stays in memory */
  }
}
