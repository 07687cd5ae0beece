/**
 * Under the top bar, about the scenario on screen: its section and summary, what it does
 * not simulate, and its what-if toggles (one at a time; flipping one runs the scenario again
 * and says what changed).
 */
import { useEffect, useRef } from 'react'
import type { RefObject } from 'react'
import { CompareButton } from '../compare/CompareButton.tsx'
import { useExplainer } from '../store/explainer.ts'
import { whatIfChanges } from '../scenarios/fromRun.ts'

function WhatIfs() {
  const scenario = useExplainer((s) => s.scenario)
  const busy = useExplainer((s) => s.rerunning)
  const setWhatIf = useExplainer((s) => s.setWhatIf)
  const whatIfs = scenario?.whatIfs ?? []
  if (!scenario || whatIfs.length === 0) return null
  const active = scenario.activeWhatIfs?.[0] ?? ''
  const info = whatIfs.find((w) => w.id === active)
  const changed = active ? whatIfChanges(scenario.baseline ?? [], scenario.outcomes ?? []).length : 0
  return (
    <div className={`pw-whatifs${active ? ' is-on' : ''}`} data-testid="whatifs" aria-busy={busy}>
      <label>
        <span className="pw-whatifs-label">What if…</span>{' '}
        <select value={active} disabled={busy} onChange={(e) => void setWhatIf(e.target.value || null)} title={info?.description ?? 'Flip a what-if: the scenario runs again with it'} data-testid="whatif-picker">
          <option value="">as written</option>
          {whatIfs.map((w) => (
            <option key={w.id} value={w.id}>
              {w.label}
            </option>
          ))}
        </select>
      </label>
      {busy && <span role="status">running…</span>}
      {active && !busy && (
        <button type="button" className="pw-link" onClick={() => useExplainer.getState().setView('outcome')} data-testid="whatif-changed">
          {changed === 0 ? 'no outcome changed' : `${changed} outcome${changed === 1 ? '' : 's'} changed`}: see Outcome
        </button>
      )}
    </div>
  )
}

/** With a what-if on: its description, and each action whose outcome changed (as written → now). */
export function WhatIfChanges() {
  const scenario = useExplainer((s) => s.scenario)
  const active = scenario?.activeWhatIfs?.[0]
  if (!scenario || !active) return null
  const info = scenario.whatIfs?.find((w) => w.id === active)
  const changes = whatIfChanges(scenario.baseline ?? [], scenario.outcomes ?? [])
  return (
    <section className="pw-whatif-changes" aria-label="What the what-if changed" data-testid="whatif-changes">
      <h3>What if: {info?.label ?? active}</h3>
      {info && <p>{info.description}</p>}
      {changes.length === 0 ? (
        <p className="pw-muted">No outcome changed: the difference is in the steps on the way.</p>
      ) : (
        <ul className="pw-changes">
          {changes.map((c) => (
            <li key={c.action}>
              <strong>{c.title}</strong>
              <div className="pw-change-pair">
                <del>{c.before.join('; ') || 'nothing happened'}</del>
                <span aria-hidden="true"> → </span>
                <span className="pw-sr"> now: </span>
                <ins>{c.after.join('; ') || 'nothing happens'}</ins>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

/** The strip's folded texts open over the page: a click elsewhere or Esc folds them again. */
function useFoldAway(strip: RefObject<HTMLDivElement | null>): void {
  useEffect(() => {
    const fold = (except?: Node) => strip.current?.querySelectorAll('details[open]').forEach((d) => !(except && d.contains(except)) && d.removeAttribute('open'))
    const down = (e: PointerEvent) => fold(e.target instanceof Node ? e.target : undefined)
    const key = (e: KeyboardEvent) => e.key === 'Escape' && fold()
    document.addEventListener('pointerdown', down)
    document.addEventListener('keydown', key)
    return () => {
      document.removeEventListener('pointerdown', down)
      document.removeEventListener('keydown', key)
    }
  }, [strip])
}

export function ScenarioStrip() {
  const scenario = useExplainer((s) => s.scenario)
  const status = useExplainer((s) => s.status)
  const strip = useRef<HTMLDivElement>(null)
  useFoldAway(strip)
  if (!scenario)
    return (
      <div className="pw-strip" ref={strip}>
        {status === 'loading' ? 'Loading…' : ''}
      </div>
    )
  const notSim = scenario.notSimulated ?? []
  return (
    <div className="pw-strip" ref={strip} data-testid="scenario-strip">
      {scenario.section && <span className="pw-badge pw-section">{scenario.section}</span>}
      <details className="pw-about">
        <summary data-testid="scenario-summary" title={scenario.summary}>
          {status === 'loading' ? 'Loading…' : scenario.summary}
        </summary>
        <p>{scenario.summary}</p>
      </details>
      {notSim.length > 0 && (
        <details className="pw-notsim-box" data-testid="not-simulated-scenario">
          <summary>Not simulated ({notSim.length})</summary>
          <ul>
            {notSim.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </details>
      )}
      <WhatIfs />
      <CompareButton />
    </div>
  )
}
