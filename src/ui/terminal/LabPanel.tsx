/**
 * A lab beside the terminal: the task, hints one at a time, and the checks, re-run on the
 * world after every command (checkLab). Progress (hints seen, completion) survives reloads;
 * so does the work itself (the store replays the saved steps). For the DNS lab an
 * instructor picks the fault; picking one starts the lab over with it.
 */
import { useEffect, useState } from 'react'
import type { World } from '../../engine/model/types.ts'
import { DNS_FAULTS, findLab, parseDnsFault } from '../../engine/shell/labs.ts'
import type { DnsFault, LabId } from '../../engine/shell/labs.ts'
import { loadProgress, saveProgress } from './labProgress.ts'
import { useShellStore } from './useShellStore.ts'

export function LabPanel(props: { readonly lab: LabId; readonly onRestart: (world: World, before: World) => void }) {
  const lab = findLab(props.lab)
  const result = useShellStore((s) => s.labResult)
  const fault = useShellStore((s) => s.fault)
  const [progress, setProgress] = useState(() => loadProgress()[props.lab] ?? { hintsShown: 0, done: false })
  const done = progress.done || (result?.done ?? false)

  // Completion is remembered for the next visit (the panel derives `done` itself).
  useEffect(() => {
    if (result?.done && !progress.done) saveProgress(props.lab, { ...progress, done: true })
  }, [result, progress, props.lab])

  const showHint = () => {
    const next = { done, hintsShown: Math.min(lab.hints.length, progress.hintsShown + 1) }
    setProgress(next)
    saveProgress(props.lab, next)
  }

  const restart = (withFault: DnsFault | null = fault) => {
    const before = useShellStore.getState().world ?? { netns: {}, segments: {}, nodes: [] }
    const w = useShellStore.getState().startLab(props.lab, { fresh: true, ...(withFault && { fault: withFault }) })
    props.onRestart(w, before)
  }

  return (
    <aside className="pw-lab" aria-labelledby="pw-lab-title" data-testid="lab-panel">
      <h2 id="pw-lab-title">
        {lab.title} <span className="pw-lab-section">({lab.section})</span>
      </h2>
      <p>{lab.task}</p>
      {props.lab === 'dns-debug' && (
        <label className="pw-lab-fault">
          Fault (instructor){' '}
          <select
            value={fault ?? 'coredns-scaled-to-zero'}
            onChange={(e) => {
              const f = parseDnsFault(e.target.value)
              if (f) restart(f)
            }}
            data-testid="lab-fault-picker"
          >
            {DNS_FAULTS.map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
      )}
      <ul className="pw-lab-checks" aria-live="polite" aria-label="Checks">
        {(result?.checks ?? []).map((c) => (
          <li key={c.text} data-testid="lab-check" data-ok={c.ok} className={c.ok ? 'ok' : 'todo'}>
            <span aria-hidden="true">{c.ok ? '✓' : '○'}</span> <span className="pw-visually-hidden">{c.ok ? 'done: ' : 'not yet: '}</span>
            {c.text}
          </li>
        ))}
      </ul>
      {done && (
        <p className="pw-lab-done" role="status" data-testid="lab-done">
          Lab complete.
        </p>
      )}
      {progress.hintsShown > 0 && (
        <ol className="pw-lab-hints" data-testid="lab-hints">
          {lab.hints.slice(0, progress.hintsShown).map((h) => (
            <li key={h}>{h}</li>
          ))}
        </ol>
      )}
      <div className="pw-lab-actions">
        <button type="button" onClick={showHint} disabled={progress.hintsShown >= lab.hints.length} data-testid="lab-hint-button">
          {progress.hintsShown >= lab.hints.length ? 'No more hints' : `Show a hint (${progress.hintsShown + 1} of ${lab.hints.length})`}
        </button>
        <button type="button" onClick={() => restart()} data-testid="lab-restart">
          Start over
        </button>
      </div>
    </aside>
  )
}
