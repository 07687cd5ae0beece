/**
 * The URL and the store agree: on start the URL's scenario, step, view and what-if are opened
 * (an instructor's file when `scenario=` names one; the welcome scenario when nothing is
 * named); afterwards every change is written back with replaceState, so reloading or sharing
 * the link reopens the same moment. Timelines built in the terminal are not written (a
 * reload cannot rebuild them).
 */
import { useEffect } from 'react'
import { DEFAULT_SCENARIO } from '../scenarios/scenarioFiles.ts'
import { useExplainer } from '../store/explainer.ts'
import { parseUrlState, serializeUrlState } from '../store/urlState.ts'

/** Timelines made in the page (terminal sessions, labs) have ids with this prefix. */
export const EPHEMERAL_PREFIX = 'shell:'

export function useUrlSync(): void {
  useEffect(() => {
    const u = parseUrlState(window.location.search)
    const at = { ...(u.frame !== undefined && { frame: u.frame }), ...(u.view && { view: u.view }) }
    const st = useExplainer.getState()
    if (u.url) void st.openUrl(u.url, at)
    else {
      const id = u.scenario ?? DEFAULT_SCENARIO
      // main.tsx may have opened it already (a first visit): opening it again would redraw the page.
      const opened = st.status === 'ready' && st.scenario?.id === id && u.frame === undefined && !u.view && !u.whatIf
      if (!opened) void st.open(id, { ...at, ...(u.whatIf && { whatIf: u.whatIf }) })
    }
    let last = ''
    return useExplainer.subscribe((s) => {
      if (!s.scenario || s.status !== 'ready' || s.scenario.id.startsWith(EPHEMERAL_PREFIX)) return
      const whatIf = s.scenario.activeWhatIfs?.[0]
      // `scenario=` stays only while its file is the one on screen.
      const others = new URLSearchParams(window.location.search)
      const src = s.scenario.source
      if (src?.kind === 'own' && src.url) others.set('scenario', src.url)
      else others.delete('scenario')
      const search = serializeUrlState({ scenario: s.scenario.id, frame: s.playback.frame, view: s.view, ...(whatIf && { whatIf }) }, `?${others.toString()}`)
      if (search === last) return
      last = search
      window.history.replaceState(null, '', `${window.location.pathname}${search}${window.location.hash}`)
    })
  }, [])
}
