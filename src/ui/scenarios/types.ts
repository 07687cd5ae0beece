/**
 * What the viewer plays: a catalog of entries, each loading to a title, a timeline and the
 * narration over its frames. A scenario file also brings its checkpoints, the expectations
 * it checked, its what-ifs and what it does not simulate; built-in demos leave those out.
 */
import type { Diagnostic } from '../../engine/diagnostics.ts'
import type { Timeline } from '../../engine/scenario/timeline.ts'

/** Narration over a range of frames (0-based, inclusive). */
export interface Narration {
  readonly from: number
  readonly to: number
  readonly text: string
}

/** "What happens next?" at a frame: the question, the choices, the right one and why. */
export interface Checkpoint {
  readonly frame: number
  readonly question: string
  readonly choices: readonly string[]
  readonly answer: number
  readonly explain: string
}

/** One expectation of the file, checked against what the engine did. */
export interface ResultLine {
  readonly action: number
  readonly title: string
  readonly field: string
  readonly expected: unknown
  readonly actual: unknown
  readonly ok: boolean
}

/** What one action of the scenario ended in, in words (per trace: verdict, where, why). */
export interface ActionOutcome {
  readonly action: number
  readonly title: string
  readonly firstFrame: number
  readonly lastFrame: number
  readonly outcomes: readonly string[]
}

export interface WhatIfInfo {
  readonly id: string
  readonly label: string
  readonly description: string
}

/** Where a scenario came from, so it can be run again (with a what-if on). */
export type ScenarioSource =
  /** A file in scenarios/ (its name without `.yaml`). */
  | { readonly kind: 'bundled'; readonly name: string }
  /** An instructor's own file: its text and the world/cluster files given with it, by name. */
  | { readonly kind: 'own'; readonly name: string; readonly text: string; readonly refs: Readonly<Record<string, string>>; readonly url?: string }

export interface LoadedScenario {
  readonly id: string
  readonly title: string
  readonly summary: string
  readonly timeline: Timeline
  readonly narration: readonly Narration[]
  /** The curriculum section the file names. */
  readonly section?: string
  readonly checkpoints?: readonly Checkpoint[]
  readonly results?: readonly ResultLine[]
  readonly outcomes?: readonly ActionOutcome[]
  /** Simplifications the learner should know about. */
  readonly notSimulated?: readonly string[]
  readonly whatIfs?: readonly WhatIfInfo[]
  /** The what-ifs this run has on (empty: as written). */
  readonly activeWhatIfs?: readonly string[]
  /** The outcomes as written, kept while a what-if is on, to show what changed. */
  readonly baseline?: readonly ActionOutcome[]
  readonly source?: ScenarioSource
  /** Warnings the file produced (errors never get this far). */
  readonly warnings?: readonly Diagnostic[]
  /** What the file says to put beside it in the compare view (a what-if id or another scenario's id). */
  readonly compare?: CompareInfo
}

export interface CompareInfo {
  readonly with: string
  readonly title: string
  readonly labels?: { readonly this: string; readonly with: string }
}

export interface ScenarioEntry {
  readonly id: string
  readonly title: string
  readonly summary: string
  /** Picker section (`8.5 Pod-to-pod communication`, `Your files`, `Built-in demos`). */
  readonly group?: string
  /** Its graph layouts arrive with it (precompiled at build time): opening it starts no layout worker. */
  readonly laidOut?: boolean
  readonly load: () => Promise<LoadedScenario>
}

/** The narration for a frame: the last entry covering it. */
export function narrationAt(s: LoadedScenario, frame: number): string | undefined {
  let text: string | undefined
  for (const n of s.narration) if (frame >= n.from && frame <= n.to) text = n.text
  return text
}
