/**
 * Step → animation: where the packet token rests after a trace step, which node it comes
 * from, which edges it travels, and the mark it leaves (a drop, a delivery). Pure: it reads
 * the step and the graph, never the engine, so the animation never asks "what next?".
 * Crossings (veth, the underlay) say where they go; every other step moves the token from
 * where the previous step left it to the device (or the netns's IP stack) the step names.
 */
import type { Flow, TraceStep } from '../../engine/sim/trace.ts'
import { getHeader } from '../../engine/wire/packet.ts'
import { isEncapsulated } from '../packet/layers.ts'
import { nodeId } from '../graph/types.ts'
import type { GraphModel, PwEdge } from '../graph/types.ts'

export type TokenShape = 'circle' | 'square' | 'diamond' | 'triangle' | 'hexagon' | 'pentagon'

/** Each flow has its own shape AND its own colour (set in CSS by flow), never colour alone. */
export const FLOW_STYLE: Readonly<Record<Flow, { readonly shape: TokenShape; readonly label: string }>> = {
  request: { shape: 'circle', label: 'request' },
  reply: { shape: 'square', label: 'reply' },
  arp: { shape: 'diamond', label: 'ARP' },
  'icmp-error': { shape: 'triangle', label: 'ICMP error' },
  'dns-query': { shape: 'hexagon', label: 'DNS query' },
  'dns-reply': { shape: 'pentagon', label: 'DNS reply' },
}

export type TokenMark = 'drop' | 'deliver'

export interface StepAnimation {
  /** Node the token rests on after the step (null: nothing in the graph stands for it). */
  readonly at: string | null
  /** Node the token leaves from (null: it appears in place). */
  readonly from: string | null
  /** Nodes passed on the way (the underlay segment between two NICs). */
  readonly via: readonly string[]
  /** Edges travelled, to highlight. */
  readonly edges: readonly string[]
  readonly flow: Flow
  readonly shape: TokenShape
  readonly mark: TokenMark | null
  /** The packet carries a tunnel wrapper (outer IP/UDP/VXLAN or IP-in-IP). */
  readonly encapsulated: boolean
  /** The overlay edge (VXLAN / IP-in-IP) the wrapped packet is travelling in. */
  readonly tunnel: string | null
}

interface GraphIndex {
  readonly ids: ReadonlySet<string>
  /** `a|b` (sorted) → edge id. */
  readonly between: ReadonlyMap<string, string>
  readonly netnsOf: ReadonlyMap<string, string>
  readonly overlay: readonly PwEdge[]
  readonly segmentOf: ReadonlyMap<string, string>
}

const indexCache = new WeakMap<GraphModel, GraphIndex>()

function indexOf(g: GraphModel): GraphIndex {
  let ix = indexCache.get(g)
  if (ix) return ix
  const between = new Map<string, string>()
  const segmentOf = new Map<string, string>()
  for (const e of g.edges) {
    const key = [e.source, e.target].sort().join('|')
    if (!between.has(key) || e.data?.layout !== false) between.set(key, e.id)
    if (e.data?.kind === 'underlay') segmentOf.set(e.source, e.target)
  }
  const netnsOf = new Map<string, string>()
  for (const n of g.nodes) if ('netns' in n.data && typeof n.data.netns === 'string') netnsOf.set(n.id, n.data.netns)
  ix = { ids: new Set(g.nodes.map((n) => n.id)), between, netnsOf, overlay: g.edges.filter((e) => e.data?.kind === 'vxlan' || e.data?.kind === 'ipip'), segmentOf }
  indexCache.set(g, ix)
  return ix
}

/** The node standing for a device in a netns: the device, else the netns's stack, else whatever it is folded into. */
export function locate(g: GraphModel, netns: string, dev?: string): string | null {
  const ix = indexOf(g)
  if (dev) {
    const id = nodeId.iface(netns, dev)
    if (ix.ids.has(id)) return id
    const folded = g.alias[`${netns}|${dev}`]
    if (folded) return folded
  }
  const stack = nodeId.stack(netns)
  if (ix.ids.has(stack)) return stack
  return g.alias[netns] ?? null
}

function edgeBetween(g: GraphModel, a: string | null, b: string | null): string | null {
  if (!a || !b || a === b) return null
  return indexOf(g).between.get([a, b].sort().join('|')) ?? null
}

/** The overlay edge joining the netns that own the outer source and destination addresses. */
function tunnelFor(g: GraphModel, step: TraceStep): string | null {
  const outer = getHeader(step.packet, 'ipv4')
  if (!outer) return null
  const a = g.ipOwner[outer.src]
  const b = g.ipOwner[outer.dst]
  if (!a || !b) return null
  const ix = indexOf(g)
  const e = ix.overlay.find((x) => {
    const s = ix.netnsOf.get(x.source)
    const t = ix.netnsOf.get(x.target)
    return (s === a && t === b) || (s === b && t === a)
  })
  return e?.id ?? null
}

/**
 * Where the token goes for one step.
 *
 * @example
 * stepToAnimation(steps[3], graph, stepToAnimation(steps[2], graph)).edges // ['veth:if:host:veth-a|if:pod-a:eth0']
 */
export function stepToAnimation(step: TraceStep, g: GraphModel, prev?: Pick<StepAnimation, 'at'> | null): StepAnimation {
  const encapsulated = isEncapsulated(step.packet) || step.kind === 'encap'
  const base = {
    flow: step.flow,
    shape: FLOW_STYLE[step.flow].shape,
    mark: step.kind === 'drop' ? ('drop' as const) : step.kind === 'deliver' ? ('deliver' as const) : null,
    encapsulated,
    tunnel: encapsulated ? tunnelFor(g, step) : null,
  }
  const here = locate(g, step.netns, step.dev)

  if ((step.kind === 'veth' || step.kind === 'segment') && step.to) {
    const there = locate(g, step.to.netns, step.to.dev)
    if (step.kind === 'segment' && here) {
      const seg = indexOf(g).segmentOf.get(here) ?? null
      const edges = [edgeBetween(g, here, seg), edgeBetween(g, seg, there)].filter((e): e is string => e !== null)
      return { ...base, at: there, from: here, via: seg ? [seg] : [], edges }
    }
    const e = edgeBetween(g, here, there)
    return { ...base, at: there, from: here, via: [], edges: e ? [e] : [] }
  }

  const from = prev?.at ?? null
  const e = edgeBetween(g, from, here)
  return { ...base, at: here, from: from !== here ? from : null, via: [], edges: e ? [e] : [] }
}

/**
 * Animations for a whole trace. Each flow's token continues from where that flow last was
 * (the request waits at the pod while ARP goes out and back); a new flow starts where the
 * previous step ended (the reply starts where the request was delivered).
 */
export function traceAnimations(steps: readonly TraceStep[], g: GraphModel): StepAnimation[] {
  const out: StepAnimation[] = []
  const lastByFlow = new Map<Flow, StepAnimation>()
  let prev: StepAnimation | null = null
  for (const s of steps) {
    prev = stepToAnimation(s, g, lastByFlow.get(s.flow) ?? prev)
    lastByFlow.set(s.flow, prev)
    out.push(prev)
  }
  return out
}

const traceCache = new WeakMap<GraphModel, WeakMap<readonly TraceStep[], StepAnimation[]>>()

/** traceAnimations, remembered per graph and trace (both are immutable values). */
export function cachedTraceAnimations(steps: readonly TraceStep[], g: GraphModel): StepAnimation[] {
  let byTrace = traceCache.get(g)
  if (!byTrace) {
    byTrace = new WeakMap()
    traceCache.set(g, byTrace)
  }
  let out = byTrace.get(steps)
  if (!out) {
    out = traceAnimations(steps, g)
    byTrace.set(steps, out)
  }
  return out
}

/**
 * A token parked while another flow runs: during ARP, the packet that needed the neighbour
 * waits where it was. Returns that packet's last animation, or null.
 */
export function waitingToken(steps: readonly TraceStep[], anims: readonly StepAnimation[], index: number): StepAnimation | null {
  const cur = steps[index]
  if (cur?.flow !== 'arp') return null
  for (let j = index - 1; j >= 0; j--) {
    const s = steps[j]!
    if (s.flow === 'arp') continue
    return s.kind === 'drop' || s.kind === 'deliver' ? null : (anims[j] ?? null)
  }
  return null
}
