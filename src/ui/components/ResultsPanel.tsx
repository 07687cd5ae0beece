/**
 * The expected outcome, checked: each action of the scenario with its expectations, each
 * marked ✓ (met) or ✗ (not met, with what happened instead), then what the scenario does
 * not simulate. In the Outcome tab in full; at the end of the timeline (the Step tab, presenter
 * mode) each action with its ✓ or ✗ only.
 */
import { useId } from 'react'
import { groupResults } from '../scenarios/resultGroups.ts'
import { useExplainer } from '../store/explainer.ts'
import { WhatIfChanges } from './ScenarioStrip.tsx'

export function ResultsPanel({ compact = false }: { compact?: boolean }) {
  const scenario = useExplainer((s) => s.scenario)
  const titleId = useId()
  const presenter = useExplainer((s) => s.presenter)
  if (!scenario) return null
  const groups = groupResults(scenario.results ?? [])
  const met = (scenario.results ?? []).filter((r) => r.ok).length
  const total = scenario.results?.length ?? 0
  return (
    <section className={`pw-results${compact ? ' is-compact' : ''}`} aria-labelledby={titleId} data-testid="results">
      <h3 id={titleId}>
        Expected outcome{' '}
        {total > 0 && (
          <span className={`pw-badge ${met === total ? 'is-added' : 'is-removed'}`} data-testid="results-count">
            {met} of {total} met
          </span>
        )}
      </h3>
      {total === 0 && <p className="pw-muted">This scenario states no expectations.</p>}
      <ul className="pw-result-groups">
        {groups.map((g) => (
          <li key={g.action} data-testid="result-group" data-ok={g.ok}>
            <strong>
              <span aria-hidden="true">{g.ok ? '✓' : '✗'}</span> {g.title}
            </strong>
            {!compact && (
              <ul className="pw-result-lines">
                {g.lines.map((l, i) => (
                  <li key={i} className={l.ok ? 'is-ok' : 'is-failed'} data-testid="result-line" data-ok={l.ok}>
                    <span aria-hidden="true">{l.ok ? '✓' : '✗'}</span>
                    <span className="pw-sr">{l.ok ? 'met: ' : 'not met: '}</span> {l.text}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
      {compact && total > 0 && !presenter && (
        <button type="button" className="pw-link" onClick={() => useExplainer.getState().setView('outcome')} data-testid="results-details">
          Each expectation, in the Outcome tab
        </button>
      )}
      {!compact && <WhatIfChanges />}
      {!compact && (scenario.notSimulated?.length ?? 0) > 0 && (
        <>
          <h4>Not simulated</h4>
          <ul className="pw-notsim" data-testid="not-simulated-list">
            {scenario.notSimulated!.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
