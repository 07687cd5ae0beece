/** A load problem, said plainly, with the way out (pick another scenario). */
import { useExplainer } from '../store/explainer.ts'

export function ErrorBanner() {
  const error = useExplainer((s) => s.error)
  const status = useExplainer((s) => s.status)
  if (status !== 'error' || !error) return null
  return (
    <div className="pw-error" role="alert" data-testid="error">
      {error}
    </div>
  )
}
