/**
 * A read-only window hook for exact end-to-end checks: `window.__packetwalk.getState()`
 * returns a snapshot of what is on screen (scenario, frame, step, view, selection). It exposes
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
