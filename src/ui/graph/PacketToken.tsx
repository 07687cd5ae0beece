/**
 * The packet on the graph: a token shaped and coloured by its flow, carrying its header
 * stack, moving from where the step starts to where it ends (through the underlay segment
 * when it crosses it). A drop or delivery leaves a mark on the node where it happened; a
 * packet waiting for ARP stays parked, dimmed, where it was. The travel is a Web Animations
 * API keyframe run (no animation library on the first load); reduced motion places it.
 */
import { ViewportPortal, useStore } from '@xyflow/react'
import type { ReactFlowState } from '@xyflow/react'
import { memo, useCallback, useLayoutEffect, useRef } from 'react'
import type { RefObject } from 'react'
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

const translate = (p: Point) => `translate(${p.x}px, ${p.y}px)`

const reducedMotion = () => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false

/** Run the element along the points once per step (the last point is where its style already puts it). */
function useTravel(el: RefObject<HTMLDivElement | null>, anim: StepAnimation, points: readonly Point[], seconds: number): void {
  const path = points.length > 1 ? points.map((p) => `${p.x},${p.y}`).join(' ') : ''
  useLayoutEffect(() => {
    const node = el.current
    if (!node || !path || typeof node.animate !== 'function' || reducedMotion()) return
    const frames = path.split(' ').map((xy) => {
      const [x, y] = xy.split(',').map(Number)
      return { transform: translate({ x: x!, y: y! }) }
    })
    const a = node.animate(frames, { duration: seconds * 1000, easing: 'ease-in-out' })
    return () => a.cancel()
  }, [el, anim, path, seconds])
}

/** The pane's camera and size, as one string (a stable selector value). */
const selectView = (s: ReactFlowState) => `${s.transform[0]},${s.transform[1]},${s.transform[2]},${s.width},${s.height}`

/**
 * Keep the header card inside the pane: above the token when there is room, below it when the
 * token is near the top edge, and slid left when it would run off the right edge. Measured
 * after each render and applied to the DOM directly (no extra render).
 */
function usePlaceCard(el: RefObject<HTMLDivElement | null>, at: Point | null, k: number, rows: unknown): void {
  const view = useStore(selectView)
  useLayoutEffect(() => {
    const node = el.current
    const card = node?.querySelector<HTMLElement>('.pw-card')
    if (!node || !card || !at) return
    const [tx = 0, ty = 0, zoom = 1, width = 0, height = 0] = view.split(',').map(Number)
    const s = k * zoom
    const top = at.y * zoom + ty
    const cardH = card.offsetHeight * s
    const gap = 30 * s
    const below = top - gap - cardH < 6 && top + gap + cardH < height
    node.classList.toggle('is-card-below', below)
    const left = at.x * zoom + tx - 14 * s
    const overflow = left + card.offsetWidth * s - (width - 6)
    card.style.setProperty('--pw-card-shift', overflow > 0 ? `${-Math.min(overflow, Math.max(0, left - 6)) / s}px` : '0px')
  }, [el, at, k, rows, view])
}

export const PacketToken = memo(function PacketToken({ anim, step, rows, parked, travel, seconds }: PacketTokenProps) {
  const token = useRef<HTMLDivElement>(null)
  const k = useCounterScale()
  const scale = { transform: `scale(${k})` }
  const at = useAnchor(anim.at)
  const from = useAnchor(travel ? anim.from : null)
  const via = useAnchor(travel ? (anim.via[0] ?? null) : null)
  const park = useAnchor(parked?.at ?? null)
  const points = [from, via, at].filter((p): p is Point => p !== null)
  useTravel(token, anim, points, seconds)
  usePlaceCard(token, at, k, rows)
  if (!at) return null
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
      <div ref={token} className={`pw-token flow-${anim.flow}${anim.encapsulated ? ' is-encapsulated' : ''}`} style={{ transform: translate(at) }} data-testid="packet-token" data-flow={anim.flow} data-at={anim.at ?? ''}>
        <div className="pw-token-body" style={scale}>
          <TokenShape flow={anim.flow} size={28} />
          <PacketCard rows={rows} title={label} />
        </div>
      </div>
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
