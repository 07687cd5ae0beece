/**
 * A file that cannot be opened: every problem, each with where it is (file, line, column),
 * its code, the sentence saying what is wrong, the line itself with a caret under the column,
 * and the hint. Modal (Esc or the button closes it); what was on screen stays as it was.
 */
import { useEffect, useRef } from 'react'
import type { Diagnostic } from '../../engine/diagnostics.ts'
import { useExplainer } from '../store/explainer.ts'
import { lineOf, where } from './problemText.ts'

function Problem({ d, files }: { d: Diagnostic; files: Readonly<Record<string, string>> }) {
  const line = lineOf(d, files)
  const at = where(d)
  return (
    <li className={`pw-problem is-${d.severity}`} data-testid="problem">
      <p className="pw-problem-head">
        {at && <code className="pw-problem-where">{at}</code>} <span className="pw-badge">{d.code}</span> {d.severity !== 'error' && <span className="pw-badge">{d.severity}</span>} <span className="pw-problem-message">{d.message}</span>
      </p>
      {line !== undefined && (
        <pre className="pw-problem-line" aria-label={`line ${d.line ?? ''}`}>
          {`${String(d.line ?? '').padStart(4)} | ${line}`}
          {d.col !== undefined && `\n     | ${' '.repeat(Math.max(0, d.col - 1))}^`}
        </pre>
      )}
      {d.hint && <p className="pw-problem-hint">hint: {d.hint}</p>}
    </li>
  )
}

export function ProblemsDialog() {
  const problems = useExplainer((s) => s.problems)
  const close = useExplainer((s) => s.closeProblems)
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const d = dialog.current
    if (problems && d && !d.open) d.showModal?.()
  }, [problems])
  if (!problems) return null
  const errors = problems.diagnostics.filter((d) => d.severity === 'error').length
  return (
    <dialog ref={dialog} className="pw-problems" aria-labelledby="pw-problems-title" data-testid="problems" onClose={close} onCancel={close}>
      <h2 id="pw-problems-title">
        {problems.what} cannot be opened: {errors} problem{errors === 1 ? '' : 's'}
      </h2>
      <p className="pw-muted">Nothing else changed. Fix these in the file and open it again; each is listed with its line.</p>
      <ol className="pw-problem-list">
        {problems.diagnostics.map((d, i) => (
          <Problem key={i} d={d} files={problems.files} />
        ))}
      </ol>
      <form method="dialog">
        <button type="submit" className="pw-button" data-testid="problems-close" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  )
}
