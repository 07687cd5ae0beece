/** Screen readers hear each step as it is shown: "Step 12 of 83, request: crosses the veth pair…". */
import { FLOW_STYLE } from '../anim/stepToAnimation.ts'
import { useExplainer } from '../store/explainer.ts'
import { current } from '../store/selectors.ts'

export function LiveAnnouncer() {
  const scenario = useExplainer((s) => s.scenario)
  const frame = useExplainer((s) => s.playback.frame)
  const total = useExplainer((s) => s.playback.total)
  const status = useExplainer((s) => s.status)
  const error = useExplainer((s) => s.error)
  const c = current(scenario, frame)
  const text = status === 'error' ? `Error: ${error ?? ''}` : status === 'loading' ? 'Loading scenario' : c ? `Step ${frame + 1} of ${total}${c.step ? `, ${FLOW_STYLE[c.step.flow].label}: ${c.step.explain}` : `: ${c.segment.title}`}` : ''
  return (
    <div className="pw-sr" aria-live="polite" aria-atomic="true" data-testid="live">
      {text}
    </div>
  )
}
