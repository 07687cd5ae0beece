/**
 * The packet on the graph: a token shaped and coloured by its flow, carrying its header
 * stack, moving from where the step starts to where it ends (through the underlay segment
 * when it crosses it). A drop or delivery leaves a mark on the node where it happened; a
 * packet waiting for ARP stays parked, dimmed, where it was.
 */
import { ViewportPortal, useStore } from '@xyflow/react'
import type { ReactFlowState } from '@xyflow/react'
import { m } from 'motion/react'
import { memo, useCallback } from 'react'
import type { TraceStep } from '../../engine/sim/trace.ts'
import { FLOW_STYLE } from '../anim/stepToAnimation.ts'
import type { StepAnimation } from '../anim/stepToAnimation.ts'
import { PacketCard } from '../components/PacketCard.tsx'
import { TokenShape } from '../components/TokenShape.tsx'
import type { TokenRow } from '../packet/tokenRows.ts'

interface Point {
  readonly x: number
  readonly y: number
}

/** Where the token sits on a node: its top edge, a little in from the left, so the node's own text stays readable. */
function useAnchor(id: string | null): Point | null {
  const select = useCallback(
    (s: ReactFlowState) => {
      const n = id ? s.nodeLookup.get(id) : undefined
      if (!n) return null
      const w = n.measured.width ?? n.width ?? 0
      return `${n.internals.positionAbsolute.x + Math.min(28, w / 2)},${n.internals.positionAbsolute.y}`
    },
    [id],
  )
  const key = useStore(select)
  if (!key) return null
  const [x, y] = key.split(',').map(Number)
  return { x: x!, y: y! }
}

export interface PacketTokenProps {
  readonly anim: StepAnimation
  readonly step: TraceStep
  readonly rows: readonly TokenRow[]
  readonly parked: StepAnimation | null
  /** Animate the travel (stepping forward by one); otherwise jump (back, scrub, first show). */
  readonly travel: boolean
  readonly seconds: number
}

/** Token and card keep a readable size on screen when the graph is zoomed out (up to 2.4×). */
function useCounterScale(): number {
  const zoom = useStore((s) => s.transform[2])
  return Math.min(2.4, Math.max(1, 1 / zoom))
}

export const PacketToken = memo(function PacketToken({ anim, step, rows, parked, travel, seconds }: PacketTokenProps) {
  const k = useCounterScale()
  const scale = { transform: `scale(${k})` }
  const at = useAnchor(anim.at)
  const from = useAnchor(travel ? anim.from : null)
  const via = useAnchor(travel ? (anim.via[0] ?? null) : null)
  const park = useAnchor(parked?.at ?? null)
  if (!at) return null
  const xs = [from?.x, via?.x, at.x].filter((v): v is number => v !== undefined)
  const ys = [from?.y, via?.y, at.y].filter((v): v is number => v !== undefined)
  const moving = xs.length > 1
  const label = `${FLOW_STYLE[anim.flow].label}${anim.encapsulated ? ' · in the tunnel' : ''}`
  return (
    <ViewportPortal>
      {parked && park && (
        <div className="pw-token is-parked" style={{ transform: `translate(${park.x}px, ${park.y}px)` }} data-testid="packet-token-parked">
          <div className="pw-token-body" style={scale}>
            <TokenShape flow={parked.flow} dim />
            <span className="pw-token-label">{FLOW_STYLE[parked.flow].label} waits for ARP</span>
          </div>
        </div>
      )}
      <m.div
        className={`pw-token flow-${anim.flow}${anim.encapsulated ? ' is-encapsulated' : ''}`}
        data-testid="packet-token"
        data-flow={anim.flow}
        data-at={anim.at ?? ''}
        initial={false}
        animate={{ x: moving ? xs : at.x, y: moving ? ys : at.y }}
        transition={{ duration: moving ? seconds : 0, ease: 'easeInOut' }}
      >
        <div className="pw-token-body" style={scale}>
          <TokenShape flow={anim.flow} size={28} />
          <PacketCard rows={rows} title={label} />
        </div>
      </m.div>
      {anim.mark && (
        <div className={`pw-mark is-${anim.mark}`} style={{ transform: `translate(${at.x}px, ${at.y}px)` }} data-testid={`mark-${anim.mark}`} role="img" aria-label={anim.mark === 'drop' ? `dropped: ${step.explain}` : 'delivered'}>
          <div className="pw-mark-body" style={scale}>
            <span aria-hidden="true">{anim.mark === 'drop' ? '✕' : '✓'}</span> {anim.mark === 'drop' ? 'dropped here' : 'delivered'}
          </div>
        </div>
      )}
    </ViewportPortal>
  )
})
