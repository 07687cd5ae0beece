/** A button that points at something in the graph: the address, chain or pod it names gets the graph's selection ring; the inspector stays where it is. */
import type { ReactNode } from 'react'
import { useExplainer } from '../store/explainer.ts'
import { isPointedAt, pointAt } from './graphTarget.ts'
import type { GraphTarget } from './graphTarget.ts'
import './graphLink.css'

/**
 * `text` is what the inspector prints (an address, a chain name); without a target it is
 * printed as it is, not as a button.
 */
export function GraphLink({ target, text, children }: { target: GraphTarget | undefined; text: string; children?: ReactNode }) {
  const on = useExplainer((s) => (target ? isPointedAt(target, s.selection) : false))
  if (!target) return <>{children ?? text}</>
  const what = `Highlight ${target.name} in the graph`
  return (
    <button
      type="button"
      className={`pw-graph-link${on ? ' is-on' : ''}`}
      aria-label={`${text}: ${what.charAt(0).toLowerCase()}${what.slice(1)}`}
      aria-pressed={on}
      title={what}
      data-testid="graph-link"
      data-target={target.chain ?? target.clusterIP ?? `${target.netns}${target.dev ? `/${target.dev}` : ''}`}
      onClick={() => {
        const st = useExplainer.getState()
        // A second press lets go: the inspectors' own pick (if any) stays.
        const kept = st.selection?.inspect
        st.select(on ? (kept ? { netns: kept } : null) : pointAt(target, st.selection))
      }}
    >
      {children ?? text}
    </button>
  )
}
