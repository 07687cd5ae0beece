/**
 * "Compare side by side", in the scenario strip of a scenario that declares what it compares
 * with. The view itself loads on first use (it runs the other side and aligns the hops);
 * closing it puts the focus back on this button.
 */
import { Suspense, lazy, useRef, useState } from 'react'
import { useExplainer } from '../store/explainer.ts'

const CompareView = lazy(() => import('./CompareView.tsx'))

export function CompareButton() {
  const compare = useExplainer((s) => s.scenario?.compare)
  const busy = useExplainer((s) => s.rerunning)
  const [open, setOpen] = useState(false)
  const button = useRef<HTMLButtonElement>(null)
  if (!compare) return null
  const close = () => {
    setOpen(false)
    button.current?.focus()
  }
  return (
    <>
      <button ref={button} type="button" className="pw-button" onClick={() => setOpen(true)} disabled={busy} aria-haspopup="dialog" title={compare.title} data-testid="compare-open">
        Compare side by side
      </button>
      {open && (
        <Suspense fallback={null}>
          <CompareView onClose={close} />
        </Suspense>
      )}
    </>
  )
}
