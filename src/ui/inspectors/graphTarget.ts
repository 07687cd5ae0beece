/**
 * What an inspector item points at in the graph, and back. An address → the netns and device
 * holding it (as `ip addr` there shows it; the engine's `netnsOwning` decides); a ClusterIP,
 * which no interface holds (kube-proxy only DNATs it), → its Service box; a KUBE-* chain → its
 * box in the chain view. A selection → the node the graph draws for it, falling back to the
 * netns box, or to the folded pod group standing for it. Pure: world or graph in, ids out.
 */
import { netnsOwning } from '../../engine/model/ops.ts'
import type { Netns, World } from '../../engine/model/types.ts'
import type { Ruleset } from '../../engine/netfilter/types.ts'
import type { TraceStep } from '../../engine/sim/trace.ts'
import { ip as ipOf } from '../../engine/wire/packet.ts'
import { nodeId } from '../graph/types.ts'
import type { GraphModel } from '../graph/types.ts'
import type { Selection } from '../store/explainer.ts'

/** A selection to make, and who it is in words (for labels). */
export interface GraphTarget {
  readonly netns: string
  readonly dev?: string
  readonly chain?: string
  readonly clusterIP?: string
  /** `pod default/web-1`, `node node2`, `Service default/nginx-svc`, `chain KUBE-SVC-…`. */
  readonly name: string
}

/** Who a netns is, in the words a learner uses. */
export function netnsName(ns: Netns): string {
  if (ns.pod) return `pod ${ns.pod.namespace}/${ns.pod.name}`
  if (ns.kind === 'host') return `node ${ns.node ?? ns.name}`
  if (ns.kind === 'client') return `client ${ns.name}`
  return `netns ${ns.name}`
}

const clusterIpCache = new WeakMap<Ruleset, ReadonlySet<string>>()

/** Addresses kube-proxy's KUBE-SERVICES catches in this ruleset (its ClusterIPs, as written there). */
function clusterIPsOf(rs: Ruleset): ReadonlySet<string> {
  let out = clusterIpCache.get(rs)
  if (out) return out
  const found = new Set<string>()
  for (const r of rs.tables.nat?.chains['KUBE-SERVICES']?.rules ?? []) for (const m of r.matches) if (m.kind === 'dst' && !m.neg && /\/32$|^[^/]*$/.test(m.cidr.text)) found.add(m.cidr.text.replace(/\/32$/, ''))
  out = found
  clusterIpCache.set(rs, out)
  return out
}

/**
 * The netns (and device) holding an address; for a ClusterIP, its Service, seen from `context`
 * (the netns whose nat table rewrites it). Undefined for an address the world does not know.
 *
 * @example
 * targetForIp(world, '10.244.2.3') // { netns: 'default/web-2', dev: 'eth0', name: 'pod default/web-2' }
 */
export function targetForIp(w: World, ip: string, context?: string): GraphTarget | undefined {
  const ns = netnsOwning(w, ip)
  if (ns) {
    const dev = ns.links.find((l) => l.kind !== 'loopback' && l.addrs.some((a) => a.ip === ip))?.name
    return { netns: ns.name, ...(dev !== undefined && { dev }), name: netnsName(ns) }
  }
  const where = (context !== undefined && w.netns[context] ? context : undefined) ?? Object.values(w.netns).find((n) => n.kind === 'host')?.name
  if (where === undefined) return undefined
  const svc = w.cluster?.services.find((s) => s.spec.clusterIP === ip)
  if (svc) return { netns: where, clusterIP: ip, name: `Service ${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}` }
  const rs = w.netns[where]?.netfilter
  if (rs && clusterIPsOf(rs).has(ip)) return { netns: where, clusterIP: ip, name: `ClusterIP ${ip}` }
  return undefined
}

/** The chains the graph's Service view draws a box for (kube-proxy's, iptables mode). */
const DRAWN_CHAIN = /^KUBE-(SERVICES$|SVC-|SVL-|SEP-)/

/** A chain walked in `netns`: its box when the graph's chain view has one; undefined otherwise. */
export function targetForChain(netns: string, chain: string): GraphTarget | undefined {
  return DRAWN_CHAIN.test(chain) ? { netns, chain, name: `chain ${chain}` } : undefined
}

/** The selection an inspector makes: the graph shows the target, the inspectors keep describing what they did. */
export function pointAt(t: GraphTarget, prev: Selection | null): Selection {
  const inspect = prev ? (prev.inspect !== undefined ? prev.inspect : prev.netns) : null
  return {
    netns: t.netns,
    ...(t.dev !== undefined && { dev: t.dev }),
    ...(t.chain !== undefined && { chain: t.chain }),
    ...(t.clusterIP !== undefined && { clusterIP: t.clusterIP }),
    inspect,
  }
}

/** Is this target what the graph shows as selected now? */
export function isPointedAt(t: GraphTarget, sel: Selection | null): boolean {
  return sel !== null && sel.inspect !== undefined && sel.netns === t.netns && sel.dev === t.dev && sel.chain === t.chain && sel.clusterIP === t.clusterIP
}

/** The netns pick the inspectors honour: a graph-only pointer keeps what they described before it. */
export function inspectorPick(sel: Selection | null): { readonly netns: string } | null {
  if (!sel || sel.inspect === undefined) return sel
  return sel.inspect === null ? null : { netns: sel.inspect }
}

const idCache = new WeakMap<GraphModel, ReadonlySet<string>>()

function ids(g: GraphModel): ReadonlySet<string> {
  let s = idCache.get(g)
  if (!s) idCache.set(g, (s = new Set(g.nodes.map((n) => n.id))))
  return s
}

/**
 * The node the graph emphasises for a selection: the chain or Service box when drawn, else the
 * device, else the netns's stack box, else the folded pod group standing for the netns.
 *
 * @example
 * selectedNode({ netns: 'node1', dev: 'cni0' }, graph) // 'if:node1:cni0'
 */
export function selectedNode(sel: Selection, g: GraphModel): string | null {
  const has = ids(g)
  if (sel.chain !== undefined && has.has(nodeId.chain(sel.chain))) return nodeId.chain(sel.chain)
  if (sel.clusterIP !== undefined) {
    const svc = g.nodes.find((n) => n.type === 'service' && n.data.clusterIP === sel.clusterIP)
    if (svc) return svc.id
  }
  if (sel.dev !== undefined) {
    const dev = nodeId.iface(sel.netns, sel.dev)
    if (has.has(dev)) return dev
  }
  const stack = nodeId.stack(sel.netns)
  if (has.has(stack)) return stack
  return g.alias[sel.netns] ?? (sel.dev !== undefined ? g.alias[`${sel.netns}|${sel.dev}`] : undefined) ?? null
}

/** What a call for pod `ns/name` made: the pod's netns, and the host end of its veth (on its node's host netns). */
export function cniTargets(w: World, pod: string): { pod?: GraphTarget; veth?: GraphTarget & { dev: string } } {
  const p = w.cluster?.pods.find((x) => `${x.namespace}/${x.name}` === pod)
  const ns = p?.netns !== undefined ? w.netns[p.netns] : undefined
  const host = p ? Object.values(w.netns).find((n) => n.kind === 'host' && (n.node ?? n.name) === p.node) : undefined
  const veth = p?.hostVeth !== undefined && host?.links.some((l) => l.name === p.hostVeth) ? p.hostVeth : undefined
  return {
    ...(ns && { pod: { netns: ns.name, name: netnsName(ns) } }),
    ...(host && veth !== undefined && { veth: { netns: host.name, dev: veth, name: `${veth} on ${netnsName(host)}` } }),
  }
}

/** The address a query was sent to, and the netns whose socket received it (the DNS server, after any DNAT). */
export function dnsServer(steps: readonly TraceStep[], w: World | null): { ip: string; target: GraphTarget | undefined } | undefined {
  const first = steps.find((s) => s.flow === 'dns-query')
  const ip = first && ipOf(first.packet)?.dst
  if (!ip) return undefined
  const got = steps.find((s) => s.flow === 'dns-query' && s.kind === 'deliver')
  const ns = got && w?.netns[got.netns]
  return { ip, target: ns ? { netns: ns.name, name: netnsName(ns) } : undefined }
}
