/**
 * The packet on the graph: a token shaped and coloured by its flow, carrying its header
 * stack, moving from where the step starts to where it ends (through the underlay segment
 * when it crosses it). A drop or delivery leaves a mark on the node where it happened; a
 * packet waiting for ARP stays parked, dimmed, where it was. The travel is a Web Animations
 * API keyframe run (no animation library on the first load); reduced motion places it.
 */
import { ViewportPortal, useStore, useStoreApi } from '@xyflow/react'
import type { InternalNode, ReactFlowState } from '@xyflow/react'
import { memo, useCallback, useEffect, useLayoutEffect, useRef } from 'react'
import type { RefObject } from 'react'
import type { TraceStep } from '../../engine/sim/trace.ts'
import { FLOW_STYLE } from '../anim/stepToAnimation.ts'
import type { StepAnimation } from '../anim/stepToAnimation.ts'
import { PacketCard } from '../components/PacketCard.tsx'
import { TokenShape } from '../components/TokenShape.tsx'
import type { TokenRow } from '../packet/tokenRows.ts'
import { candidates, chooseSide, clampInto } from './cardPlacement.ts'
import type { Rect } from './cardPlacement.ts'

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

const GROUPS = new Set(['netns', 'pod', 'servicesGroup'])
/** What else is drawn over the graph and should stay readable: its panels (legend, controls, minimap), the drop or delivery mark, a parked token's label, the outcome in presenter mode. */
const OVERLAYS = '.react-flow__panel, .pw-mark-body, .pw-token.is-parked .pw-token-body, .pw-presenter-results'
/** The part of a group box the card should not hide: its title. */
const GROUP_TITLE = 46
/** The camera rests this long (ms) before the card is placed again for the new view. */
const SETTLE_MS = 120

const viewOf = (s: ReactFlowState) => `${s.transform[0]},${s.transform[1]},${s.transform[2]},${s.width},${s.height}`

/**
 * Put the header card beside the token where it hides the least of the graph (other boxes,
 * group titles) and stays inside the pane: above, below, right or left of the node the token
 * (at `at`, on `atNode`) is on (cardPlacement.ts). Applied to the DOM directly.
 */
function placeCard(token: HTMLDivElement | null, at: Point, atNode: string | null, k: number, st: ReactFlowState): void {
  const card = token?.querySelector<HTMLElement>('.pw-card')
  if (!card) return
  const [tx, ty, zoom] = st.transform
  const s = k * zoom
  const screen = (n: InternalNode): Rect => ({ x: n.internals.positionAbsolute.x * zoom + tx, y: n.internals.positionAbsolute.y * zoom + ty, w: (n.measured.width ?? 0) * zoom, h: (n.measured.height ?? 0) * zoom })
  const obstacles: Rect[] = []
  let node: Rect | null = null
  for (const n of st.nodeLookup.values()) {
    if (n.hidden) continue
    const r = screen(n)
    if (n.id === atNode) node = r
    obstacles.push(GROUPS.has(n.type ?? '') ? { ...r, h: Math.min(r.h, GROUP_TITLE * zoom) } : r)
  }
  const flow = card.closest('.react-flow')
  if (flow) {
    const base = flow.getBoundingClientRect()
    for (const o of flow.parentElement?.querySelectorAll(OVERLAYS) ?? []) {
      const b = o.getBoundingClientRect()
      if (b.width && b.height) obstacles.push({ x: b.left - base.left - 6, y: b.top - base.top - 6, w: b.width + 12, h: b.height + 12 })
    }
  }
  const t = { x: at.x * zoom + tx, y: at.y * zoom + ty }
  const size = { w: card.offsetWidth * s, h: card.offsetHeight * s }
  const pane = { x: 0, y: 0, w: st.width, h: st.height }
  const cands = candidates(t, node, size, 16 * s)
  const r = clampInto(cands[chooseSide(cands, obstacles, pane)], pane)
  // Screen → the token body's own pixels (its (14, 14) is the token's centre, scaled by k·zoom).
  card.style.left = `${(r.x - t.x) / s + 14}px`
  card.style.top = `${(r.y - t.y) / s + 14}px`
}

/**
 * The card is placed before paint when the step (or its content) changes. When the camera
 * moves (following the packet, or the user panning) it rides along with the token and is
 * placed again once the view rests, so a moving camera costs no layout reads per frame.
 */
function usePlaceCard(el: RefObject<HTMLDivElement | null>, at: Point | null, atNode: string | null, k: number, rows: unknown): void {
  const store = useStoreApi()
  const ax = at?.x
  const ay = at?.y
  useLayoutEffect(() => {
    if (ax !== undefined && ay !== undefined) placeCard(el.current, { x: ax, y: ay }, atNode, k, store.getState())
  }, [el, ax, ay, atNode, k, rows, store])
  useEffect(() => {
    if (ax === undefined || ay === undefined) return
    let last = viewOf(store.getState())
    let timer: ReturnType<typeof setTimeout> | undefined
    const unsubscribe = store.subscribe((s) => {
      const v = viewOf(s)
      if (v === last) return
      last = v
      clearTimeout(timer)
      timer = setTimeout(() => placeCard(el.current, { x: ax, y: ay }, atNode, k, store.getState()), SETTLE_MS)
    })
    return () => {
      unsubscribe()
      clearTimeout(timer)
    }
  }, [el, ax, ay, atNode, k, store])
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
  usePlaceCard(token, at, anim.at, k, rows)
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
