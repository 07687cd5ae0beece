/**
 * A read-only window hook for exact end-to-end checks: `window.__packetwalk.getState()`
 * returns a snapshot of what is on screen (scenario, frame, step, view, selection, the question
 * asked, the what-if on, the problems listed). It exposes
 * no actions, so it cannot change the app; tests drive the UI like a person does.
 */
import { useEffect } from 'react'
import { useExplainer } from '../store/explainer.ts'
import { current } from '../store/selectors.ts'

export interface DevSnapshot {
  readonly status: string
  readonly scenario: string | null
  readonly frame: number
  readonly total: number
  readonly playing: boolean
  readonly speed: number
  readonly view: string
  readonly selection: { readonly netns: string; readonly dev?: string } | null
  readonly segment: number
  readonly step: { readonly kind: string; readonly flow: string; readonly netns: string; readonly dev?: string; readonly explain: string } | null
  readonly theme: string
  readonly mode: string
  readonly presenter: boolean
  readonly pointer: boolean
  /** The question on screen: its frame and the choice made (null: still asking). */
  readonly checkpoint: { readonly frame: number; readonly chosen: number | null } | null
  readonly checkpointsOn: boolean
  /** Frames with a question, and the right answer's index for each. */
  readonly checkpoints: readonly { readonly frame: number; readonly answer: number }[]
  readonly whatIf: string | null
  readonly results: { readonly met: number; readonly total: number }
  /** The problems list on screen: how many, and their `file:line` places. */
  readonly problems: { readonly count: number; readonly places: readonly string[] } | null
  /** Every frame of the timeline, briefly: what a test needs to find a step by its kind. */
  readonly frames: readonly { readonly kind: string; readonly flow?: string; readonly netns?: string; readonly dev?: string }[]
}

export function snapshot(): DevSnapshot {
  const s = useExplainer.getState()
  const c = current(s.scenario, s.playback.frame)
  const st = c?.step
  return {
    status: s.status,
    scenario: s.scenario?.id ?? null,
    frame: s.playback.frame,
    total: s.playback.total,
    playing: s.playback.playing,
    speed: s.playback.speed,
    view: s.view,
    selection: s.selection,
    segment: c?.segmentIndex ?? -1,
    step: st ? { kind: st.kind, flow: st.flow, netns: st.netns, ...(st.dev && { dev: st.dev }), explain: st.explain } : null,
    theme: s.theme,
    mode: s.mode,
    presenter: s.presenter,
    pointer: s.pointer,
    checkpoint: s.checkpoints.asking ? { frame: s.checkpoints.asking.frame, chosen: s.checkpoints.asking.chosen } : null,
    checkpointsOn: s.checkpoints.enabled,
    checkpoints: (s.scenario?.checkpoints ?? []).map((c) => ({ frame: c.frame, answer: c.answer })),
    whatIf: s.scenario?.activeWhatIfs?.[0] ?? null,
    results: { met: (s.scenario?.results ?? []).filter((r) => r.ok).length, total: s.scenario?.results?.length ?? 0 },
    problems: s.problems ? { count: s.problems.diagnostics.length, places: s.problems.diagnostics.map((d) => `${d.file ?? ''}:${d.line ?? ''}`) } : null,
    frames: (s.scenario?.timeline.segments ?? []).flatMap((seg) => (seg.kind === 'trace' ? (seg.steps.length ? seg.steps.map((x) => ({ kind: x.kind, flow: x.flow, netns: x.netns, ...(x.dev && { dev: x.dev }) })) : [{ kind: 'empty' }]) : [{ kind: 'change' }])),
  }
}

declare global {
  interface Window {
    __packetwalk?: { readonly getState: () => DevSnapshot }
  }
}

export function useDevHook(): void {
  useEffect(() => {
    window.__packetwalk = Object.freeze({ getState: snapshot })
  }, [])
}
