/**
 * World → graph: what a learner sees. Each cluster node is a group (its host netns: eth0,
 * cni0 or cali* host ends, flannel.1 / tunl0, veth host ends, and the IP stack where routing
 * and iptables happen); pods are boxes inside it holding the pause container and the app
 * containers that share one eth0; the underlay segment joins the nodes' NICs. Edges are drawn
 * as what they are: veth pairs, bridge ports, the underlay, VXLAN tunnels between VTEPs (from
 * each vxlan device's FDB `dst`), IP-in-IP tunnels (from routes via tunl0), BGP sessions (when
 * the cluster data has them) and the kube-proxy chain view of each Service's ClusterIP.
 * Pure: the same world and options always give the same nodes and edges, in the same order.
 */
import type { Link, Netns, World } from '../../engine/model/types.ts'
import { formatChance, serviceChains } from './serviceChains.ts'
import type { ServiceChain } from './serviceChains.ts'
import { nodeId } from './types.ts'
import type { EdgeKind, GraphModel, PwEdge, PwNode } from './types.ts'

export interface GraphOptions {
  /** Cluster nodes whose pods are all shown, however many there are. */
  readonly expandedNodes?: ReadonlySet<string>
  /** Services (by key) whose endpoints are all shown. */
  readonly expandedServices?: ReadonlySet<string>
  /** netns that stay visible even in a folded node (the current trace goes through them). */
  readonly focus?: ReadonlySet<string>
  /** More pods than this on one node are folded into one box until expanded. Default 6. */
  readonly podFoldThreshold?: number
  /** More endpoints than this on one Service are folded until expanded. Default 4. */
  readonly sepFoldThreshold?: number
  /**
   * Services (`ip:port/proto`) the timeline sends to. When given, only these are drawn; the
   * others are folded into one box until expanded (`expandedServices` has `*`).
   */
  readonly focusServices?: ReadonlySet<string>
}

/** The key kube-proxy's view and the timeline share for one ClusterIP port. */
export function serviceKey(ip: string, port: number | undefined, proto: string): string {
  return `${ip}:${port ?? '*'}/${proto}`
}

/** Leaf sizes the layout reserves (px). Groups are sized by the layout around their children. */
export const NODE_SIZE = {
  iface: { width: 186, height: 62 },
  stack: { width: 186, height: 50 },
  containers: { width: 186, height: 30 },
  containerRow: 20,
  segment: { width: 260, height: 52 },
  service: { width: 230, height: 64 },
  chain: { width: 230, height: 48 },
  podGroup: { width: 176, height: 56 },
} as const

/** Does this link face the pods (above the stack) rather than the wire (below it)? */
function facesPods(l: Link): boolean {
  return l.kind === 'bridge' || (l.kind === 'veth' && l.master === undefined)
}

function isL3(l: Link): boolean {
  return l.master === undefined && l.kind !== 'loopback' && (l.addrs.length > 0 || l.kind === 'vxlan' || l.kind === 'ipip' || l.kind === 'bridge' || l.kind === 'veth')
}

function peerName(l: Link, w: World): string | undefined {
  if (l.kind !== 'veth') return undefined
  if (!l.peer) return 'peer unknown'
  const ns = w.netns[l.peer.netns]
  return `${ns?.pod ? podTitle(ns) : l.peer.netns} ${l.peer.name}`
}

function linkDetail(l: Link, ns: Netns, w: World): string {
  switch (l.kind) {
    case 'veth':
      return `${l.master ? `port of ${l.master} · ` : ''}veth ⇄ ${peerName(l, w) ?? ''}`
    case 'bridge': {
      const ports = ns.links.filter((x) => x.master === l.name).length
      return `bridge · ${ports} port${ports === 1 ? '' : 's'}`
    }
    case 'vxlan':
      return `VXLAN VNI ${l.vni} · UDP ${l.dstport}`
    case 'phys':
      return `NIC${l.segment ? ` · ${l.segment}` : ''}`
    case 'ipip':
      return 'IP-in-IP tunnel'
    case 'dummy':
      return 'dummy'
    case 'loopback':
      return 'loopback'
  }
}

/** The two short lines an interface box has room for: its address (or bridge), then what it is joined to. */
function linkLines(l: Link, ns: Netns, w: World): string[] {
  const addrs = l.addrs.map((a) => `${a.ip}/${a.len}`).join(' ')
  const first = addrs || (l.master ? `port of ${l.master}` : '')
  let second: string
  switch (l.kind) {
    case 'veth':
      second = `⇄ ${peerName(l, w) ?? ''}${l.proxyArp ? ' · proxy ARP' : ''}`
      break
    case 'vxlan':
      second = `VNI ${l.vni} · UDP ${l.dstport} · MTU ${l.mtu}`
      break
    default:
      second = linkDetail(l, ns, w)
  }
  return [first, second].filter((x) => x !== '')
}

function podTitle(ns: Netns): string {
  return ns.pod ? `${ns.pod.namespace}/${ns.pod.name}` : ns.name
}

function firstAddr(ns: Netns, kinds: readonly Link['kind'][]): string | undefined {
  for (const l of ns.links) if (kinds.includes(l.kind) && l.addrs[0]) return l.addrs[0].ip
  return undefined
}

/** The BGP sessions of the cluster data (Calico), when the kube layer attached them. */
export function bgpSessions(w: World): { node: string; peer: string }[] {
  return (w.cluster?.bgp?.sessions ?? []).map((s) => ({ node: s.node, peer: s.peer }))
}

/** Which netns's ruleset the Service view reads: the first cluster node that has kube-proxy rules. */
export function servicesSource(w: World): { netns: string; chains: ServiceChain[] } | undefined {
  const hosts = [...w.nodes.map((n) => Object.values(w.netns).find((x) => x.kind === 'host' && (x.node ?? x.name) === n)?.name), ...Object.keys(w.netns)]
  for (const name of hosts) {
    if (!name) continue
    const ns = w.netns[name]
    if (!ns) continue
    const chains = serviceChains(ns.netfilter)
    if (chains.length > 0) return { netns: name, chains }
  }
  return undefined
}

/**
 * Build the graph of a world.
 *
 * @example
 * const { nodes, edges } = worldToGraph(world, { focus: new Set(['pod-a']) })
 */
export function worldToGraph(w: World, opts: GraphOptions = {}): GraphModel {
  const nodes: PwNode[] = []
  const edges: PwEdge[] = []
  const edgeIds = new Set<string>()
  const alias: Record<string, string> = {}
  const ipOwner: Record<string, string> = {}
  const podFold = opts.podFoldThreshold ?? 6
  const sepFold = opts.sepFoldThreshold ?? 4

  const addEdge = (kind: EdgeKind, source: string, target: string, extra: { label?: string; id?: string; layout?: boolean } = {}) => {
    const id = extra.id ?? `${kind}:${source}>${target}`
    if (edgeIds.has(id)) return
    edgeIds.add(id)
    edges.push({
      id,
      source,
      target,
      type: kind === 'chain' ? 'smoothstep' : 'default',
      data: { kind, ...(extra.label !== undefined && { label: extra.label }), ...(extra.layout === false && { layout: false }) },
      ...(extra.label !== undefined && { label: extra.label }),
      selectable: false,
      focusable: false,
    })
  }

  for (const ns of Object.values(w.netns)) {
    for (const l of ns.links) {
      if (l.kind === 'loopback') continue
      for (const a of l.addrs) if (!(a.ip in ipOwner)) ipOwner[a.ip] = ns.name
    }
  }

  // Which group each netns belongs to: pods (and other netns with a node) nest in their node's host netns.
  const hostOfNode = new Map<string, string>()
  for (const ns of Object.values(w.netns)) if (ns.kind === 'host') hostOfNode.set(ns.node ?? ns.name, ns.name)
  const parentOf = new Map<string, string>()
  for (const ns of Object.values(w.netns)) {
    if (ns.kind === 'host' || ns.node === undefined) continue
    const host = hostOfNode.get(ns.node)
    if (host) parentOf.set(ns.name, host)
  }

  // Fold pods on crowded nodes.
  const folded = new Set<string>()
  for (const [node, host] of hostOfNode) {
    const inside = Object.values(w.netns).filter((n) => parentOf.get(n.name) === host)
    if (inside.length <= podFold || opts.expandedNodes?.has(node)) continue
    const fold = inside.filter((n) => !opts.focus?.has(n.name))
    if (fold.length === 0) continue
    for (const n of fold) {
      folded.add(n.name)
      alias[n.name] = nodeId.podGroup(node)
    }
  }

  // Order: host netns in node order first, then the rest by name, so layouts are stable.
  const order = [...Object.values(w.netns)].sort((a, b) => rank(w, a) - rank(w, b) || a.name.localeCompare(b.name))

  for (const ns of order) {
    if (folded.has(ns.name)) continue
    const parent = parentOf.get(ns.name)
    const group = nodeId.netns(ns.name)
    const parentProps = parent ? { parentId: nodeId.netns(parent) } : {}
    if (ns.kind === 'pod') {
      const ip = firstAddr(ns, ['veth', 'phys', 'dummy'])
      nodes.push({ id: group, type: 'pod', position: { x: 0, y: 0 }, data: { netns: ns.name, title: podTitle(ns), subtitle: `pod netns${ip ? ` · ${ip}` : ''}` }, ...parentProps, selectable: false })
      const containers = ns.pod
        ? [{ name: 'pause', image: ns.pod.pauseImage, pause: true }, ...ns.pod.containers.map((c) => ({ name: c.name, image: c.image, pause: false }))]
        : [{ name: 'pause', image: 'pause', pause: true }, ...ns.listeners.map((l) => ({ name: l.app, image: `${l.proto}/${l.port}`, pause: false }))]
      nodes.push({
        id: nodeId.stack(ns.name),
        type: 'containers',
        position: { x: 0, y: 0 },
        parentId: group,
        data: { netns: ns.name, containers },
        width: NODE_SIZE.containers.width,
        height: NODE_SIZE.containers.height + NODE_SIZE.containerRow * containers.length,
      })
    } else {
      const title = ns.kind === 'host' ? (ns.node ?? ns.name) : ns.name
      const ip = firstAddr(ns, ['phys']) ?? firstAddr(ns, ['veth', 'bridge', 'dummy'])
      const what = ns.kind === 'host' ? 'node · host netns' : ns.kind === 'client' ? 'external client' : 'netns'
      nodes.push({ id: group, type: 'netns', position: { x: 0, y: 0 }, data: { netns: ns.name, nsKind: ns.kind, title, subtitle: `${what}${ip ? ` · ${ip}` : ''}` }, ...parentProps, selectable: false })
      const apps = ns.listeners.map((l) => `${l.app} ${l.proto}/${l.port}`)
      nodes.push({
        id: nodeId.stack(ns.name),
        type: 'stack',
        position: { x: 0, y: 0 },
        parentId: group,
        data: { netns: ns.name, title: 'IP stack', detail: ns.kind === 'host' ? 'routing · iptables · conntrack' : apps.length ? apps.join(', ') : 'routing · sockets' },
        ...NODE_SIZE.stack,
      })
    }
    for (const l of ns.links) {
      if (l.kind === 'loopback') continue
      // A host end whose pod is folded away is folded with it.
      if (l.kind === 'veth' && l.peer && folded.has(l.peer.netns)) {
        alias[`${ns.name}|${l.name}`] = alias[l.peer.netns]!
        continue
      }
      nodes.push({
        id: nodeId.iface(ns.name, l.name),
        type: 'iface',
        position: { x: 0, y: 0 },
        parentId: group,
        data: { netns: ns.name, dev: l.name, linkKind: l.kind, addrs: l.addrs.map((a) => `${a.ip}/${a.len}`), detail: linkDetail(l, ns, w), lines: linkLines(l, ns, w), mtu: l.mtu, up: l.up },
        ...NODE_SIZE.iface,
      })
    }
  }

  // Folded pod boxes, one per crowded node.
  for (const [node, host] of hostOfNode) {
    const count = Object.values(w.netns).filter((n) => folded.has(n.name) && parentOf.get(n.name) === host).length
    if (count === 0) continue
    nodes.push({ id: nodeId.podGroup(node), type: 'podGroup', position: { x: 0, y: 0 }, parentId: nodeId.netns(host), data: { node, count }, ...NODE_SIZE.podGroup })
  }

  // Segments: declared ones, then any a NIC names without a declaration.
  const segments = new Map(Object.values(w.segments).map((s) => [s.name, s.cidr ?? '']))
  for (const ns of order) for (const l of ns.links) if (l.kind === 'phys' && l.segment && !segments.has(l.segment)) segments.set(l.segment, '')
  for (const [name, cidr] of segments) nodes.push({ id: nodeId.segment(name), type: 'segment', position: { x: 0, y: 0 }, data: { name, cidr }, ...NODE_SIZE.segment })

  // Edges inside each netns, then between them.
  const has = new Set(nodes.map((n) => n.id))
  for (const ns of order) {
    if (folded.has(ns.name)) continue
    const stack = nodeId.stack(ns.name)
    for (const l of ns.links) {
      const id = nodeId.iface(ns.name, l.name)
      if (!has.has(id)) {
        // Folded host end: the bridge (or the stack, for routed host ends) reaches the folded pods.
        const folder = alias[`${ns.name}|${l.name}`]
        if (folder) addEdge('port', folder, l.master ? nodeId.iface(ns.name, l.master) : stack, { id: `port:${folder}>${l.master ?? 'stack'}` })
        continue
      }
      if (l.master) addEdge('port', id, nodeId.iface(ns.name, l.master))
      else if (isL3(l)) {
        // The stack sits above a pod's eth0, and between a node's pod side and its wire side.
        if (ns.kind !== 'host' || !facesPods(l)) addEdge('stack', stack, id)
        else addEdge('stack', id, stack)
      }
      if (l.kind === 'veth' && l.peer) {
        const peerId = nodeId.iface(l.peer.netns, l.peer.name)
        if (!has.has(peerId)) continue
        const innerFirst = rankOf(w.netns[ns.name]) >= rankOf(w.netns[l.peer.netns])
        const [a, b] = innerFirst ? [id, peerId] : [peerId, id]
        addEdge('veth', a, b, { id: `veth:${[id, peerId].sort().join('|')}` })
      }
      if (l.kind === 'phys' && l.segment) addEdge('underlay', id, nodeId.segment(l.segment))
    }
  }

  // Overlay edges: VXLAN tunnels from the FDB, IP-in-IP from routes. Not used for layout.
  for (const ns of order) {
    for (const f of ns.fdb) {
      if (!f.dst) continue
      const dev = ns.links.find((l) => l.name === f.dev)
      if (dev?.kind !== 'vxlan') continue
      const remoteNs = ipOwner[f.dst] ? w.netns[ipOwner[f.dst]!] : undefined
      const remote = remoteNs?.links.find((l) => l.kind === 'vxlan' && (l.vni === dev.vni || l.local === f.dst))
      if (!remoteNs || !remote) continue
      const a = nodeId.iface(ns.name, dev.name)
      const b = nodeId.iface(remoteNs.name, remote.name)
      if (!has.has(a) || !has.has(b)) continue
      addEdge('vxlan', a, b, { id: `vxlan:${[a, b].sort().join('|')}`, label: `VXLAN VNI ${dev.vni}`, layout: false })
    }
    for (const r of ns.routes) {
      const dev = r.dev ? ns.links.find((l) => l.name === r.dev) : undefined
      if (dev?.kind !== 'ipip' || !r.via) continue
      const remoteNs = ipOwner[r.via] ? w.netns[ipOwner[r.via]!] : undefined
      const remote = remoteNs?.links.find((l) => l.kind === 'ipip')
      if (!remoteNs || !remote) continue
      const a = nodeId.iface(ns.name, dev.name)
      const b = nodeId.iface(remoteNs.name, remote.name)
      if (has.has(a) && has.has(b)) addEdge('ipip', a, b, { id: `ipip:${[a, b].sort().join('|')}`, label: 'IP-in-IP', layout: false })
    }
  }
  for (const s of bgpSessions(w)) {
    const a = hostOfNode.get(s.node)
    const b = hostOfNode.get(s.peer)
    if (!a || !b) continue
    const [x, y] = [nodeId.stack(a), nodeId.stack(b)].sort() as [string, string]
    addEdge('bgp', x, y, { id: `bgp:${x}|${y}`, label: 'BGP', layout: false })
  }

  // Services: the ClusterIP (virtual, on no interface) → KUBE-SVC → KUBE-SEP → pods.
  const svc = servicesSource(w)
  if (svc) {
    const groupId = nodeId.servicesGroup()
    const showAllServices = !opts.focusServices || opts.expandedServices?.has('*')
    const chains = showAllServices ? svc.chains : svc.chains.filter((c) => opts.focusServices!.has(c.key) || opts.expandedServices?.has(c.key))
    const hidden = svc.chains.length - chains.length
    nodes.push({ id: groupId, type: 'servicesGroup', position: { x: 0, y: 0 }, data: { title: `Services · nat table of ${svc.netns}` }, selectable: false })
    const root = nodeId.chain('KUBE-SERVICES')
    if (chains.length > 0) nodes.push({ id: root, type: 'chain', position: { x: 0, y: 0 }, parentId: groupId, data: { chain: 'KUBE-SERVICES', role: 'services', detail: `${svc.chains.length} ClusterIP rule${svc.chains.length === 1 ? '' : 's'}` }, ...NODE_SIZE.chain })
    if (hidden > 0) {
      const moreId = nodeId.more('*')
      nodes.push({ id: moreId, type: 'chain', position: { x: 0, y: 0 }, parentId: groupId, data: { chain: `${chains.length ? '+' : ''}${hidden} ${chains.length ? 'other ' : ''}ClusterIP port${hidden === 1 ? '' : 's'}`, role: 'more', detail: 'not used here · select to show', service: '*' }, ...NODE_SIZE.chain })
      if (chains.length > 0) addEdge('chain', root, moreId)
    }
    for (const c of chains) {
      const sid = nodeId.service(c.key)
      nodes.push({ id: sid, type: 'service', position: { x: 0, y: 0 }, parentId: groupId, data: { name: c.name, clusterIP: c.clusterIP, port: `${c.port ?? '*'}/${c.proto}`, from: svc.netns }, ...NODE_SIZE.service })
      addEdge('chain', root, sid, { id: `chain:${root}>${sid}` })
      const svcId = nodeId.chain(c.svcChain)
      if (!nodes.some((n) => n.id === svcId)) nodes.push({ id: svcId, type: 'chain', position: { x: 0, y: 0 }, parentId: groupId, data: { chain: c.svcChain, role: 'svc', detail: `${c.endpoints.length} endpoint${c.endpoints.length === 1 ? '' : 's'}`, service: c.key }, ...NODE_SIZE.chain })
      addEdge('chain', sid, svcId)
      const showAll = c.endpoints.length <= sepFold || opts.expandedServices?.has(c.key)
      const shown = showAll ? c.endpoints : c.endpoints.slice(0, sepFold - 1)
      for (const e of shown) {
        const sepId = nodeId.chain(e.sepChain)
        if (!nodes.some((n) => n.id === sepId)) nodes.push({ id: sepId, type: 'chain', position: { x: 0, y: 0 }, parentId: groupId, data: { chain: e.sepChain, role: 'sep', detail: `DNAT → ${e.dnat}`, service: c.key }, ...NODE_SIZE.chain })
        addEdge('chain', svcId, sepId, { label: formatChance(e.probability) })
        const owner = ipOwner[e.ip]
        if (owner) {
          const target = alias[owner] ?? nodeId.stack(owner)
          addEdge('chain', sepId, target, { layout: false })
        }
      }
      if (!showAll) {
        const moreId = nodeId.more(c.key)
        const rest = c.endpoints.slice(sepFold - 1)
        const p = rest.reduce((a, e) => a + e.probability, 0)
        nodes.push({ id: moreId, type: 'chain', position: { x: 0, y: 0 }, parentId: groupId, data: { chain: `+${rest.length} more KUBE-SEP chains`, role: 'more', detail: 'select to expand', service: c.key }, ...NODE_SIZE.chain })
        addEdge('chain', svcId, moreId, { label: formatChance(p) })
      }
    }
  }

  return { nodes, edges, alias, ipOwner }
}

function rankOf(ns: Netns | undefined): number {
  if (!ns) return 0
  return ns.kind === 'host' ? 0 : ns.kind === 'client' ? 1 : 2
}

function rank(w: World, ns: Netns): number {
  // Parents before children (React Flow needs a parent before its children).
  if (ns.kind === 'host') {
    const i = w.nodes.indexOf(ns.node ?? ns.name)
    return i < 0 ? 100 : i
  }
  return ns.kind === 'client' ? 200 : 300
}

/** A short signature of the graph's shape: equal signatures can share one layout. */
export function topologyKey(g: GraphModel): string {
  let h = 0x811c9dc5
  const feed = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i)
      h = Math.imul(h, 0x01000193) >>> 0
    }
  }
  for (const n of g.nodes) feed(`${n.id}@${n.parentId ?? ''}:${n.height ?? ''};`)
  for (const e of g.edges) feed(`${e.id};`)
  return `${g.nodes.length}-${g.edges.length}-${h.toString(36)}`
}
