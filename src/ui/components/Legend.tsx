/** What the shapes and lines mean, folded by default so it never hides the graph. */
import type { Flow } from '../../engine/sim/trace.ts'
import { FLOW_STYLE } from '../anim/stepToAnimation.ts'
import { TokenShape } from './TokenShape.tsx'

const EDGES: readonly [string, string][] = [
  ['veth', 'veth pair'],
  ['port', 'bridge port'],
  ['stack', 'to the IP stack'],
  ['underlay', 'underlay network'],
  ['vxlan', 'VXLAN tunnel'],
  ['bgp', 'BGP session'],
  ['chain', 'iptables jump'],
]

export function Legend() {
  return (
    <details className="pw-legend" data-testid="legend">
      <summary>Legend</summary>
      <ul>
        {(Object.keys(FLOW_STYLE) as Flow[]).map((f) => (
          <li key={f}>
            <TokenShape flow={f} size={16} /> {FLOW_STYLE[f].label}
          </li>
        ))}
      </ul>
      <ul>
        {EDGES.map(([k, label]) => (
          <li key={k}>
            <svg width="34" height="10" aria-hidden="true">
              <line className={`pw-edge pw-edge-${k}`} x1="1" y1="5" x2="33" y2="5" />
            </svg>{' '}
            {label}
          </li>
        ))}
      </ul>
    </details>
  )
}
