/**
 * What the viewer plays: a catalog of entries, each loading to a title, a timeline and the
 * narration over its frames. The built-in demos fill the catalog today; a scenario-file
 * loader replaces the catalog without touching the store or the components.
 */
import type { Timeline } from '../../engine/scenario/timeline.ts'

/** Narration over a range of frames (0-based, inclusive). */
export interface Narration {
  readonly from: number
  readonly to: number
  readonly text: string
}

export interface LoadedScenario {
  readonly id: string
  readonly title: string
  readonly summary: string
  readonly timeline: Timeline
  readonly narration: readonly Narration[]
}

export interface ScenarioEntry {
  readonly id: string
  readonly title: string
  readonly summary: string
  /** Picker section (`Built-in demos`, `Curriculum scenarios`). */
  readonly group?: string
  readonly load: () => Promise<LoadedScenario>
}

/** The narration for a frame: the last entry covering it. */
export function narrationAt(s: LoadedScenario, frame: number): string | undefined {
  let text: string | undefined
  for (const n of s.narration) if (frame >= n.from && frame <= n.to) text = n.text
  return text
}
