/**
 * The URL and the store agree: on start the URL's scenario, step and view are opened (the
 * default demo when it names none); afterwards every change is written back with
 * replaceState, so reloading or sharing the link reopens the same moment.
 */
import { useEffect } from 'react'
import { DEFAULT_DEMO } from '../scenarios/demos.ts'
import { useExplainer } from '../store/explainer.ts'
import { parseUrlState, serializeUrlState } from '../store/urlState.ts'

export function useUrlSync(): void {
  useEffect(() => {
    const u = parseUrlState(window.location.search)
    void useExplainer.getState().open(u.scenario ?? DEFAULT_DEMO, { ...(u.frame !== undefined && { frame: u.frame }), ...(u.view && { view: u.view }) })
    let last = ''
    return useExplainer.subscribe((s) => {
      if (!s.scenario || s.status !== 'ready') return
      const search = serializeUrlState({ scenario: s.scenario.id, frame: s.playback.frame, view: s.view }, window.location.search)
      if (search === last) return
      last = search
      window.history.replaceState(null, '', `${window.location.pathname}${search}${window.location.hash}`)
    })
  }, [])
}
