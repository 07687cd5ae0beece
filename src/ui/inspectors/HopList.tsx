/** Every step of the current trace as a line of text, mirroring the animation; the current one is marked and kept in view. Selecting a line jumps there. */
import { useEffect, useRef } from 'react'
import { segmentStart } from '../../engine/scenario/timeline.ts'
import { FLOW_STYLE } from '../anim/stepToAnimation.ts'
import { TokenShape } from '../components/TokenShape.tsx'
import { useExplainer } from '../store/explainer.ts'
import { useInspected } from './useInspected.ts'

export function HopList() {
  const { c } = useInspected()
  const scenario = useExplainer((s) => s.scenario)
  const dispatch = useExplainer((s) => s.dispatch)
  const list = useRef<HTMLOListElement>(null)
  useEffect(() => {
    list.current?.querySelector('[aria-current="step"]')?.scrollIntoView({ block: 'nearest' })
  }, [c?.frame])
  if (!c || !scenario) return null
  if (c.segment.kind === 'change') return <p className="pw-empty">A change to the world: {c.segment.title}.</p>
  const base = segmentStart(scenario.timeline, c.segmentIndex)
  return (
    <ol className="pw-hops" ref={list} data-testid="hop-list" start={1}>
      {c.steps.map((s, i) => (
        <li key={i} aria-current={i === c.stepIndex ? 'step' : undefined} className={`${s.minor ? 'is-minor ' : ''}flow-${s.flow}`}>
          <button type="button" className="pw-line" onClick={() => dispatch({ type: 'seek', frame: base + i })}>
            <TokenShape flow={s.flow} size={12} /> <span className="pw-sr">{FLOW_STYLE[s.flow].label}, </span>
            <span className="pw-badge">{s.kind}</span> <span className="pw-muted">{s.netns}{s.dev ? ` ${s.dev}` : ''}</span> {s.explain}
          </button>
        </li>
      ))}
    </ol>
  )
}
