/** The packet token's shape: one per flow (circle, square, diamond…), so colour is never the only cue. */
import type { Flow } from '../../engine/sim/trace.ts'
import { FLOW_STYLE } from '../anim/stepToAnimation.ts'
import type { TokenShape as Shape } from '../anim/stepToAnimation.ts'

const PATHS: Record<Shape, string> = {
  circle: 'M12 2a10 10 0 1 0 0.001 0Z',
  square: 'M3 3h18v18H3Z',
  diamond: 'M12 1 23 12 12 23 1 12Z',
  triangle: 'M12 2 23 21H1Z',
  hexagon: 'M6.5 2.5h11L23 12l-5.5 9.5h-11L1 12Z',
  pentagon: 'M12 1.5 22.5 9 18.5 22h-13L1.5 9Z',
}

export function TokenShape({ flow, size = 24, dim = false }: { flow: Flow; size?: number; dim?: boolean }) {
  const shape = FLOW_STYLE[flow].shape
  return (
    <svg className={`pw-shape flow-${flow}${dim ? ' is-dim' : ''}`} width={size} height={size} viewBox="0 0 24 24" role="img" aria-label={`${FLOW_STYLE[flow].label} (${shape})`}>
      <path d={PATHS[shape]} />
    </svg>
  )
}
