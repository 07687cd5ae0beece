/**
 * Two runs of the same packets side by side (a scenario and its what-if, or two scenarios):
 * their hops aligned so the same kinds of hop sit on one row, and every hop only one side
 * takes, or takes differently, marked as a difference with a short explanation. Pure: it
 * reads the two traces and the worlds they started from, nothing else.
 *
 * Alignment is a longest common subsequence over hop keys (flow, step kind, netns, and for
 * netfilter the hook), so device names that differ by design (cali… vs veth…) still line up.
 * Simplification: a hop matches only a hop of the same kind; "the bridge hands it up" on one
 * side and "rx on the cali* veth" on the other are two one-sided rows, not one changed row.
 */
import type { Link, Route, World } from '../../engine/model/types.ts'
import { describeRoute } from '../../engine/route/fib.ts'
import type { Segment, Timeline } from '../../engine/scenario/timeline.ts'
import type { TraceStep } from '../../engine/sim/trace.ts'
import { VXLAN_OVERHEAD, getHeader } from '../../engine/wire/packet.ts'
import type { Packet } from '../../engine/wire/packet.ts'
import { isEncapsulated } from '../packet/layers.ts'

export type Side = 'left' | 'right'

/** One side of the comparison: a trace and the world it started from (for devices and MTUs). */
export interface SideTrace {
  readonly steps: readonly TraceStep[]
  readonly world: World
}

export type DifferenceTag =
  | 'encap'
  | 'decap'
  | 'tunnel-device'
  | 'outer-route'
  | 'outer-netfilter'
  | 'bridge'
  | 'proxy-arp'
  | 'route'
  | 'routed-veth'
  | 'routed'
  | 'arp'
  | 'mtu'
  | 'wire'
  | 'extra-hop'

export interface Difference {
  readonly tag: DifferenceTag
  /** A few words: "VXLAN encapsulation", "MTU 1450 vs 1500". */
  readonly title: string
  /** One or two sentences a learner reads. */
  readonly explain: string
  /** For a hop both sides take differently: what each side did. */
  readonly sides?: { readonly left: string; readonly right: string }
}

export type RowStatus = 'same' | 'changed' | 'left-only' | 'right-only'

/** One row of the side-by-side view: a step index on each side that has the hop. */
export interface CompareRow {
  readonly left?: number
  readonly right?: number
  readonly status: RowStatus
  readonly difference?: Difference
}

function linkOf(world: World, netns: string, dev: string | undefined): Link | undefined {
  return dev === undefined ? undefined : world.netns[netns]?.links.find((l) => l.name === dev)
}

const isTunnel = (l: Link | undefined): boolean => l?.kind === 'vxlan' || l?.kind === 'ipip'

/**
 * The alignment key: two hops with the same key are "the same kind of hop". The lookup and
 * hooks of a tunnel's outer packet, and the hops on a tunnel device, are kinds of their own.
 */
export function hopKey(step: TraceStep, world?: World): string {
  const hook = step.kind === 'netfilter' && step.netfilter ? `:${step.netfilter.hook}` : ''
  const outer = (step.kind === 'route' || step.kind === 'netfilter') && isEncapsulated(step.packet) ? ':outer' : ''
  const onTunnel = step.kind === 'tx' || step.kind === 'neigh-hit' || step.kind === 'rx'
  const tunnel = world && onTunnel && isTunnel(linkOf(world, step.netns, step.dev)) ? ':tunnel' : ''
  return `${step.flow}:${step.kind}:${step.netns}${hook}${outer}${tunnel}`
}

/** `outer 192.168.1.10 → 192.168.1.20 UDP 8472 VNI 1, inner 10.244.1.2 → 10.244.2.5`, or the plain addresses. */
export function wireText(p: Packet): string {
  const ips = p.headers.filter((h) => h.kind === 'ipv4')
  const outer = ips[0]
  if (!outer) return 'no IP header'
  if (!isEncapsulated(p) || ips.length < 2) return `${outer.src} → ${outer.dst}, no outer header`
  const inner = ips[ips.length - 1]!
  const udp = getHeader(p, 'udp')
  const vxlan = getHeader(p, 'vxlan')
  const tunnel = vxlan && udp ? ` UDP ${udp.dport} VNI ${vxlan.vni}` : ' IP-in-IP'
  return `outer ${outer.src} → ${outer.dst}${tunnel}, inner ${inner.src} → ${inner.dst}`
}

function encapDifference(step: TraceStep): Difference {
  const p = step.packet
  const outer = getHeader(p, 'ipv4')
  const udp = getHeader(p, 'udp')
  const vxlan = getHeader(p, 'vxlan')
  const dev = step.dev ?? 'the tunnel device'
  if (vxlan && udp && outer)
    return {
      tag: 'encap',
      title: 'VXLAN encapsulation',
      explain: `${dev} wraps the whole frame: outer ${outer.src} → ${outer.dst}, UDP ${udp.dport}, VXLAN VNI ${vxlan.vni}. That adds ${VXLAN_OVERHEAD} bytes (outer IP 20, UDP 8, VXLAN 8, inner Ethernet 14).`,
    }
  return { tag: 'encap', title: 'Encapsulation', explain: `${dev} wraps the packet in an outer IP header${outer ? ` ${outer.src} → ${outer.dst}` : ''}.` }
}

function decapDifference(step: TraceStep, before: TraceStep | undefined): Difference {
  const outer = before ? getHeader(before.packet, 'udp') : undefined
  const vxlan = before ? getHeader(before.packet, 'vxlan') : undefined
  const dev = step.dev ?? 'the tunnel device'
  const what = outer && vxlan ? `the UDP ${outer.dport} packet (VNI ${vxlan.vni})` : 'the outer packet'
  return {
    tag: 'decap',
    title: vxlan ? 'VXLAN decapsulation' : 'Decapsulation',
    explain: `${step.netns} hands ${what} to ${dev}, which takes the inner frame out; it goes on as if received on ${dev}.`,
  }
}

function tunnelText(l: Link): string {
  if (l.kind === 'vxlan') return `${l.name} is a VXLAN device (VNI ${l.vni}, UDP ${l.dstport})`
  return `${l.name} is an IP-in-IP tunnel device`
}

/** Why a hop only one side takes is there. */
export function oneSidedDifference(steps: readonly TraceStep[], i: number, world: World): Difference {
  const step = steps[i]!
  if (step.kind === 'encap') return encapDifference(step)
  if (step.kind === 'decap') return decapDifference(step, steps[i - 1])
  const link = linkOf(world, step.netns, step.dev)
  if ((step.kind === 'route' || step.kind === 'netfilter') && isEncapsulated(step.packet)) {
    const dst = getHeader(step.packet, 'ipv4')?.dst ?? 'the other node'
    if (step.kind === 'route')
      return { tag: 'outer-route', title: 'A route for the outer packet', explain: `A second lookup, for the outer destination ${dst}: the wrapped packet is routed like the node's own traffic.` }
    const hook = step.netfilter?.hook ?? 'a hook'
    return {
      tag: 'outer-netfilter',
      title: `The outer packet in ${hook}`,
      explain: `The wrapped packet is ${hook === 'INPUT' || hook === 'PREROUTING' ? 'addressed to' : 'sent by'} the node itself, so it passes ${hook}${hook === 'INPUT' || hook === 'OUTPUT' ? ', not FORWARD' : ''}.`,
    }
  }
  if (isTunnel(link) && link)
    return { tag: 'tunnel-device', title: `${link.name}, the tunnel device`, explain: `${tunnelText(link)}: what is routed into it is wrapped for the other node. The other side has no tunnel device.` }
  const bridge = link?.kind === 'bridge' ? link.name : link?.master
  const switching = step.kind === 'fdb-learn' || step.kind === 'fdb-hit' || step.kind === 'flood' || step.kind === 'bridge-local'
  if (!switching && step.copy !== undefined && !step.copy.endsWith('(local)'))
    return {
      tag: 'bridge',
      title: 'Flooded copies',
      explain: 'A bridge floods a broadcast out of every port, and each copy makes hops of its own; pods that do not own the address ignore it. The other side floods nothing here.',
    }
  if (switching || bridge !== undefined) {
    const name = bridge ?? (step.ref?.table === 'fdb' ? step.ref.entry.dev : undefined) ?? 'the bridge'
    return {
      tag: 'bridge',
      title: `The ${name} bridge`,
      explain: `The pods of a node share the Linux bridge ${name}: frames are switched by its FDB (learned, flooded, or handed up to the node). The other side has no bridge here.`,
    }
  }
  if (step.kind === 'arp-reply' && link?.proxyArp)
    return {
      tag: 'proxy-arp',
      title: 'Proxy ARP',
      explain: `${link.name} answers ARP for an address it routes elsewhere with its own MAC (proxy_arp): no real gateway exists, the host end of the veth takes every frame.`,
    }
  if (step.kind === 'rx' && link?.kind === 'veth' && !link.master && world.netns[step.netns]?.kind === 'host')
    return {
      tag: 'routed-veth',
      title: 'Straight into the node',
      explain: `The frame arrives on ${link.name} and goes up to ${step.netns}'s own routing: no bridge in between, every pod-to-pod packet is routed.`,
    }
  if ((step.kind === 'route' || step.kind === 'forward') && world.netns[step.netns]?.kind === 'host')
    return {
      tag: 'routed',
      title: 'Routed by the node',
      explain: `${step.netns} looks up a route and forwards the packet itself (TTL down by one); the other side gets the packet there without routing it in ${step.netns}.`,
    }
  if (step.flow === 'arp')
    return {
      tag: 'arp',
      title: 'ARP only this side needs',
      explain: `${step.netns} has no neighbour entry for this next hop yet and asks for it; the other side already had one, or asks elsewhere.`,
    }
  if (step.kind === 'neigh-hit')
    return { tag: 'arp', title: 'A neighbour already known', explain: `${step.netns} already knows this next hop's MAC, so it asks nothing here. ${step.explain}.` }
  return { tag: 'extra-hop', title: 'A hop only this side takes', explain: step.explain }
}

function routeOf(step: TraceStep): Route | undefined {
  return step.ref?.table === 'route' ? step.ref.route : undefined
}

function routeRole(r: Route, world: World, netns: string): string {
  const text = describeRoute(r)
  if (r.proto === 'bird') return `${text}: learned over BGP by BIRD, straight to the other node's own address, no tunnel`
  const l = linkOf(world, netns, r.dev)
  if (l && (l.kind === 'vxlan' || l.kind === 'ipip')) return `${text}: into the tunnel device ${l.name}${r.onlink ? ' (onlink: the next hop counts as directly attached)' : ''}`
  return text
}

/** `proto bird vs dev flannel.1` when one route is BGP's and the other goes into a tunnel. */
function routeTitle(a: Route, wa: World, b: Route, wb: World, netns: string): string {
  const name = (r: Route, w: World) => (r.proto === 'bird' ? 'proto bird' : isTunnel(linkOf(w, netns, r.dev)) ? `dev ${r.dev}` : undefined)
  const na = name(a, wa)
  const nb = name(b, wb)
  return na && nb && na !== nb ? `Route: ${na} vs ${nb}` : 'A different route'
}

function mtuReason(a: number, b: number, encapsulated: boolean): string {
  if (encapsulated && Math.abs(a - b) === VXLAN_OVERHEAD) return `VXLAN's wrapper takes ${VXLAN_OVERHEAD} bytes of every packet, so the overlay gives its pods ${VXLAN_OVERHEAD} less than the underlay.`
  return 'The largest packet each side can send without fragmenting differs.'
}

/** What differs in a hop both sides take (undefined: nothing a learner needs to see). */
export function pairedDifference(left: SideTrace, li: number, right: SideTrace, ri: number): Difference | undefined {
  const a = left.steps[li]!
  const b = right.steps[ri]!
  if (a.kind === 'route') {
    const ra = routeOf(a)
    const rb = routeOf(b)
    if (ra && rb && describeRoute(ra) !== describeRoute(rb)) {
      return {
        tag: 'route',
        title: routeTitle(ra, left.world, rb, right.world, a.netns),
        explain: `${a.netns} picks a different route for the same destination.`,
        sides: { left: routeRole(ra, left.world, a.netns), right: routeRole(rb, right.world, b.netns) },
      }
    }
  }
  if (a.kind === 'arp-reply') {
    const pa = linkOf(left.world, a.netns, a.dev)?.proxyArp === true
    const pb = linkOf(right.world, b.netns, b.dev)?.proxyArp === true
    if (pa !== pb)
      return {
        tag: 'proxy-arp',
        title: 'Proxy ARP vs a real gateway',
        explain: 'One side answers for a gateway address nobody owns (proxy ARP on the veth); the other has the address on its bridge and answers as its owner.',
        sides: { left: a.explain, right: b.explain },
      }
  }
  if (a.kind === 'segment' && isEncapsulated(a.packet) !== isEncapsulated(b.packet))
    return { tag: 'wire', title: 'On the wire', explain: 'The same packet crosses the underlay wrapped on one side and as it is on the other.', sides: { left: wireText(a.packet), right: wireText(b.packet) } }
  if (a.kind === 'tx' || a.kind === 'send') {
    const la = linkOf(left.world, a.netns, a.dev)
    const lb = linkOf(right.world, b.netns, b.dev)
    if (la && lb && la.mtu !== lb.mtu) {
      const encapsulated = [...left.steps, ...right.steps].some((s) => s.kind === 'encap')
      return {
        tag: 'mtu',
        title: `MTU ${la.mtu} vs ${lb.mtu}`,
        explain: `${la.name === lb.name ? `${a.netns} ${la.name} has MTU ${la.mtu} on one side and ${lb.mtu} on the other.` : `${a.netns} sends on ${la.name} (MTU ${la.mtu}) on one side and on ${lb.name} (MTU ${lb.mtu}) on the other.`} ${mtuReason(la.mtu, lb.mtu, encapsulated)}`,
        sides: { left: `${la.name} mtu ${la.mtu}`, right: `${lb.name} mtu ${lb.mtu}` },
      }
    }
  }
  return undefined
}

/** Longest common subsequence of the two key lists, as index pairs in order. */
function lcsPairs(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length
  const m = b.length
  // len[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const len = new Uint16Array((n + 1) * (m + 1))
  const at = (i: number, j: number) => i * (m + 1) + j
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) len[at(i, j)] = a[i] === b[j] ? len[at(i + 1, j + 1)]! + 1 : Math.max(len[at(i + 1, j)]!, len[at(i, j + 1)]!)
  const out: [number, number][] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) out.push([i++, j++])
    else if (len[at(i + 1, j)]! >= len[at(i, j + 1)]!) i++
    else j++
  }
  return out
}

/**
 * The two traces as rows: matched hops side by side, one-sided hops on their own row, each
 * difference explained.
 *
 * @example
 * alignHops({ steps: calico.steps, world: calico.before }, { steps: flannel.steps, world: flannel.before })
 * // → [{ left: 0, right: 0, status: 'same' }, …, { right: 33, status: 'right-only', difference: { tag: 'encap', … } }, …]
 */
export function alignHops(left: SideTrace, right: SideTrace): CompareRow[] {
  const pairs = lcsPairs(
    left.steps.map((s) => hopKey(s, left.world)),
    right.steps.map((s) => hopKey(s, right.world)),
  )
  const rows: CompareRow[] = []
  let i = 0
  let j = 0
  const flush = (toI: number, toJ: number) => {
    for (; i < toI; i++) rows.push({ left: i, status: 'left-only', difference: oneSidedDifference(left.steps, i, left.world) })
    for (; j < toJ; j++) rows.push({ right: j, status: 'right-only', difference: oneSidedDifference(right.steps, j, right.world) })
  }
  for (const [pi, pj] of pairs) {
    flush(pi, pj)
    const difference = pairedDifference(left, pi, right, pj)
    rows.push(difference ? { left: pi, right: pj, status: 'changed', difference } : { left: pi, right: pj, status: 'same' })
    i = pi + 1
    j = pj + 1
  }
  flush(left.steps.length, right.steps.length)
  return rows
}

export interface DifferenceGroup {
  readonly tag: DifferenceTag
  readonly title: string
  readonly explain: string
  /** Rows carrying this kind of difference. */
  readonly rows: readonly number[]
}

/** The order the summary lists kinds of difference: what changes the packet first, the bookkeeping last. */
const TAG_ORDER: readonly DifferenceTag[] = ['encap', 'decap', 'wire', 'route', 'mtu', 'tunnel-device', 'outer-route', 'outer-netfilter', 'bridge', 'proxy-arp', 'routed-veth', 'routed', 'arp', 'extra-hop']

/** The differences by kind and title (most telling kind first, then in the order they appear): the view's summary. */
export function summarizeDifferences(rows: readonly CompareRow[]): DifferenceGroup[] {
  const groups = new Map<string, { tag: DifferenceTag; title: string; explain: string; rows: number[] }>()
  rows.forEach((r, i) => {
    const d = r.difference
    if (!d) return
    // Extra hops are each their own story; the rest group by what they are.
    const key = d.tag === 'extra-hop' ? `extra:${i}` : `${d.tag}:${d.title}`
    const g = groups.get(key)
    if (g) g.rows.push(i)
    else groups.set(key, { tag: d.tag, title: d.title, explain: d.explain, rows: [i] })
  })
  // Within a kind, a named contrast ("Route: proto bird vs dev flannel.1") before the generic one.
  const generic = (g: DifferenceGroup) => (g.title === 'A different route' ? 1 : 0)
  return [...groups.values()].sort((a, b) => TAG_ORDER.indexOf(a.tag) - TAG_ORDER.indexOf(b.tag) || generic(a) - generic(b) || a.rows[0]! - b.rows[0]!)
}

/** The row showing a side's step (-1: none). */
export function rowOfStep(rows: readonly CompareRow[], side: Side, step: number): number {
  return rows.findIndex((r) => r[side] === step)
}

/** The side's step on a row, or the last one it has before that row (undefined: none yet). */
export function stepAtOrBefore(rows: readonly CompareRow[], side: Side, row: number): number | undefined {
  for (let i = Math.min(row, rows.length - 1); i >= 0; i--) {
    const s = rows[i]![side]
    if (s !== undefined) return s
  }
  return undefined
}

function traceOrdinal(segments: readonly Segment[], index: number): { title: string; nth: number; ordinal: number } | undefined {
  const seg = segments[index]
  if (seg?.kind !== 'trace') return undefined
  let nth = 0
  let ordinal = 0
  for (let k = 0; k < index; k++) {
    const s = segments[k]!
    if (s.kind !== 'trace') continue
    ordinal++
    if (s.title === seg.title) nth++
  }
  return { title: seg.title, nth, ordinal }
}

/**
 * The segment of the other timeline that sends the same packets: the n-th trace with the same
 * title (a what-if run), else the trace at the same position among traces (another scenario).
 */
export function pairSegment(from: Timeline, to: Timeline, segment: number): number | undefined {
  const me = traceOrdinal(from.segments, segment)
  if (!me) return undefined
  let nth = 0
  let ordinal = 0
  let byOrdinal: number | undefined
  for (let k = 0; k < to.segments.length; k++) {
    const s = to.segments[k]!
    if (s.kind !== 'trace') continue
    if (s.title === me.title && nth++ === me.nth) return k
    if (ordinal++ === me.ordinal) byOrdinal = k
  }
  return byOrdinal
}
