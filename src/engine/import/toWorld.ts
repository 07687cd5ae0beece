/**
 * An imported dump as a World the tracer can walk: one host netns per node with the node's
 * own links, routes, neighbours, FDB, sysctls, ruleset and conntrack; NICs carrying a node
 * address joined to an underlay segment per subnet (so several imported nodes reach each
 * other by their real addresses, and a VXLAN FDB `dst` finds its node); and a synthesized
 * pod netns for every pod the import inferred on a node, wired the way the node's CNI wires
 * pods. Everything not in the dump is listed in `world.notes` as an assumption.
 *
 * Simplifications: a pod netns holds only eth0, its routes and the listeners its Service
 * ports imply, and is assumed to answer on any other; remote nodes and other hosts on a node's
 * network that were not imported do not exist, so packets to them leave the model there (the
 * underlay segment is `partial`). The node's `ip rule` list becomes its netns's `rules`.
 */
import { DEFAULT_SYSCTLS } from '../model/types.ts'
import type { Addr, FdbEntry, Link, Listener, NeighEntry, Netns, ResolvConf, Route, Segment, Sysctls, World } from '../model/types.ts'
import { canonicalDst, newNetns } from '../model/ops.ts'
import type { ConntrackEntry, Ruleset } from '../netfilter/types.ts'
import { cidrContains, macFromSeed, networkOf, tryParsePrefix, formatPrefix } from '../wire/addr.ts'
import type { Ip } from '../wire/addr.ts'
import { isDefaultRules } from '../route/rules.ts'
import { isUnderlayInterface } from './infer.ts'
import { completeKubeJumps } from './iptablesBlocks.ts'
import { printFrom } from './summary.ts'
import type { ImportedInterface, ImportedNode, ImportResult, InferredPod } from './types.ts'

export interface ToWorldOptions {
  /** `--sysctl KEY=VALUE` overrides, applied to every imported node last. */
  readonly sysctls?: Partial<Sysctls>
}

const K8S_SYSCTLS: Partial<Sysctls> = { 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true }

function hex(seed: string, n: number): string {
  return macFromSeed(seed).replace(/:/g, '').slice(2, 2 + n).padEnd(n, '0')
}

interface NodePlan {
  readonly node: ImportedNode
  /** Pods to create on this node (the node's own, plus endpoints of other nodes' Services in its pod CIDR). */
  readonly pods: InferredPod[]
}

/**
 * Build a World from an import.
 *
 * @example
 * const w = importToWorld(importDumps([{ name: 'route.txt', text: '10.244.1.5 dev cali0123456789a scope link\n' }]))
 * Object.keys(w.netns) // ['node', 'pod-10.244.1.5']
 */
export function importToWorld(result: ImportResult, opts: ToWorldOptions = {}): World {
  const notes: string[] = []
  const netns: Record<string, Netns> = {}
  const plans: NodePlan[] = result.nodes.map((node) => ({ node, pods: node.inferred.pods.filter((p) => p.local) }))
  // An endpoint seen on one node that lives in another imported node's pod CIDR is that node's pod.
  for (const plan of plans) {
    for (const p of plan.node.inferred.pods) {
      if (p.local) continue
      const owner = plans.find((o) => o !== plan && o.node.inferred.podCidr !== undefined && cidrContains(o.node.inferred.podCidr.value, p.ip))
      if (!owner) continue
      const at = owner.pods.findIndex((x) => x.ip === p.ip)
      if (at < 0) {
        owner.pods.push({ ...p, local: true })
        continue
      }
      // The owner saw the pod (veth, FDB); this node saw which Service ports it serves.
      const known = owner.pods[at]!
      const ports = [...(known.ports ?? [])]
      for (const x of p.ports ?? []) if (!ports.some((y) => y.port === x.port && y.proto === x.proto)) ports.push(x)
      const endpointOf = [...new Set([...(known.endpointOf ?? []), ...(p.endpointOf ?? [])])]
      owner.pods[at] = { ...known, ...(ports.length > 0 && { ports }), ...(endpointOf.length > 0 && { endpointOf }), from: [...known.from, ...p.from] }
    }
  }

  // Underlay: one segment per subnet of node addresses, unless two nodes claim the same
  // address in it (VirtualBox NAT gives every VM 10.0.2.15): then each keeps its own.
  const claims = new Map<string, Map<Ip, string[]>>()
  for (const plan of plans) {
    for (const l of plan.node.interfaces) {
      if (!isUnderlayInterface(l)) continue
      for (const a of l.addrs) {
        if (!isNodeAddr(plan.node, a)) continue
        const cidr = `${networkOf(a.ip, a.len)}/${a.len}`
        const m = claims.get(cidr) ?? new Map<Ip, string[]>()
        m.set(a.ip, [...(m.get(a.ip) ?? []), plan.node.name])
        claims.set(cidr, m)
      }
    }
  }
  const segments: Record<string, Segment> = {}
  const segmentFor = (node: string, dev: string, a: Addr): string => {
    const cidr = `${networkOf(a.ip, a.len)}/${a.len}`
    const dup = [...(claims.get(cidr)?.values() ?? [])].some((owners) => owners.length > 1)
    const name = dup ? `${node}-${dev}` : `underlay-${cidr}`
    segments[name] ??= { name, cidr, description: dup ? `${dev} of ${node} only: other nodes have the same address on ${cidr}` : `the nodes' network ${cidr}`, partial: true }
    return name
  }
  for (const [cidr, owners] of claims) {
    const dups = [...owners].filter(([, o]) => o.length > 1)
    if (dups.length > 0) notes.push(`${dups.map(([ip, o]) => `${ip} is on ${o.join(' and ')}`).join('; ')}: ${cidr} is kept separate per node (a NAT network each VM has to itself)`)
  }

  const usedNames = new Set<string>()
  for (const plan of plans) {
    const n = plan.node
    usedNames.add(n.name)
    const host = hostNetns(n, segmentFor, notes, opts)
    netns[n.name] = host.ns
    for (const p of plan.pods) {
      let name = `pod-${p.ip}`
      if (usedNames.has(name)) name = `pod-${p.ip}-${n.name}`
      usedNames.add(name)
      const wired = podNetns(n, p, name, netns[n.name]!, notes)
      netns[n.name] = wired.host
      netns[name] = wired.pod
    }
  }
  for (const n of result.nodes) {
    for (const r of n.inferred.remoteNodes) {
      if (result.nodes.some((o) => o.inferred.nodeIps.some((x) => x.value.ip === r.ip))) continue
      notes.push(`${n.name}: node ${r.ip}${r.podCidr ? ` (pods ${r.podCidr})` : ''} was not imported: packets to it leave the model on the underlay (seen at ${printFrom(r.from, 3)})`)
    }
  }
  const services = new Map<string, NonNullable<World['services']>[number]>()
  for (const n of result.nodes) {
    for (const sp of n.inferred.services) {
      const key = `${sp.namespace}/${sp.name}:${sp.portName}/${sp.protocol}`
      if (!services.has(key)) services.set(key, { namespace: sp.namespace, name: sp.name, portName: sp.portName, protocol: sp.protocol, ...(sp.clusterIP !== undefined && { clusterIP: sp.clusterIP }), ...(sp.port !== undefined && { port: sp.port }), ...(sp.nodePort !== undefined && { nodePort: sp.nodePort }) })
    }
  }
  return { netns, segments, nodes: result.nodes.map((n) => n.name), notes, ...(services.size > 0 && { services: [...services.values()] }) }
}

function isNodeAddr(n: ImportedNode, a: Addr): boolean {
  return n.inferred.nodeIps.some((x) => x.value.ip === a.ip) && a.scope !== 'host'
}

// ------------------------------------------------------------------ host netns

function linkOf(n: ImportedNode, l: ImportedInterface, ifindex: number, segmentFor: (node: string, dev: string, a: Addr) => string, notes: string[]): Link {
  const base = {
    ifindex,
    name: l.name,
    mtu: l.mtu ?? (l.kind === 'vxlan' ? 1450 : l.kind === 'ipip' ? 1480 : l.kind === 'loopback' ? 65536 : 1500),
    mac: l.mac ?? (l.kind === 'loopback' ? '00:00:00:00:00:00' : macFromSeed(`${n.name}/${l.name}`)),
    up: l.up ?? true,
    addrs: l.addrs,
    ...(l.master !== undefined && { master: l.master }),
    ...(l.hairpin !== undefined && { hairpin: l.hairpin }),
    ...(l.proxyArp !== undefined && { proxyArp: l.proxyArp }),
    ...(l.rpFilter !== undefined && { rpFilter: l.rpFilter }),
    ...(l.noarp && { noarp: true }),
    ...(l.altnames && { altnames: l.altnames }),
    ...(l.from[0] && { source: { file: l.from[0].file, line: l.from[0].line } }),
  }
  const nodeAddr = l.addrs.find((a) => isNodeAddr(n, a))
  // The NIC that carries the node's address is its way onto the underlay, whatever it is
  // underneath (in kind and some VMs it is a veth to the outside).
  if (nodeAddr && isUnderlayInterface(l)) {
    if (l.kind !== 'phys') notes.push(`${n.name}: ${l.name} (a ${l.realKind ?? l.kind} in the dump) carries the node address ${nodeAddr.ip}; modelled as the node's NIC on the underlay`)
    return { ...base, kind: 'phys', segment: segmentFor(n.name, l.name, nodeAddr) }
  }
  switch (l.kind) {
    case 'loopback':
      return { ...base, kind: 'loopback', noarp: true }
    case 'veth':
      return { ...base, kind: 'veth', ...(l.peerIfindex !== undefined && { peerIfindex: l.peerIfindex }), ...(l.linkNetnsid !== undefined && { linkNetnsid: l.linkNetnsid }) }
    case 'bridge':
      return { ...base, kind: 'bridge', ageingTime: l.bridge?.ageingTime ?? 300, ...(l.bridge?.stp !== undefined && { stp: l.bridge.stp }) }
    case 'vxlan': {
      const calico = l.name === 'vxlan.calico'
      const v = l.vxlan
      const local = v?.local ?? n.inferred.nodeIps[0]?.value.ip
      const dev = v?.dev ?? n.inferred.nodeIps.find((x) => x.value.ip === local)?.value.dev
      if (!v) notes.push(`${n.name}: ${l.name} details not in the dump (no \`ip -d link\`): assumed ${calico ? 'Calico\'s VXLAN id 4096 dstport 4789' : 'flannel\'s VXLAN id 1 dstport 8472'}, nolearning${local ? `, local ${local}` : ''}`)
      return {
        ...base,
        kind: 'vxlan',
        vni: v?.vni ?? (calico ? 4096 : 1),
        dstport: v?.dstport ?? (calico ? 4789 : 8472),
        learning: v?.learning ?? false,
        ...(local !== undefined && { local }),
        ...(dev !== undefined && { dev }),
        ...(v?.remote !== undefined && { remote: v.remote }),
        ...(v?.group !== undefined && { group: v.group }),
      }
    }
    case 'ipip':
      return { ...base, kind: 'ipip', noarp: true, ...(l.ipip?.local !== undefined && { local: l.ipip.local }), ...(l.ipip?.remote !== undefined && { remote: l.ipip.remote }) }
    case 'dummy':
      return { ...base, kind: 'dummy' }
    case 'phys':
      return { ...base, kind: 'phys' }
  }
}

/**
 * kube-proxy serves NodePorts on localhost (and then sets route_localnet=1) unless its jump
 * from KUBE-SERVICES to KUBE-NODEPORTS says `! -d 127.0.0.0/8`.
 */
function localhostNodePorts(rs: Ruleset): boolean {
  const rules = rs.tables.nat?.chains['KUBE-SERVICES']?.rules ?? []
  return rules.some((r) => r.target.kind === 'jump' && r.target.chain === 'KUBE-NODEPORTS' && !r.matches.some((m) => m.kind === 'dst' && m.neg && m.cidr.text.startsWith('127.')))
}

function hostNetns(n: ImportedNode, segmentFor: (node: string, dev: string, a: Addr) => string, notes: string[], opts: ToWorldOptions): { ns: Netns } {
  const isK8s = n.inferred.cni !== undefined || n.inferred.kubeProxyMode !== undefined || n.inferred.pods.length > 0 || n.inferred.services.length > 0 || n.inferred.podCidr !== undefined
  const localnet = !('net.ipv4.conf.all.route_localnet' in n.sysctls) && !(opts.sysctls && 'net.ipv4.conf.all.route_localnet' in opts.sysctls) && localhostNodePorts(n.ruleset)
  const sysctl: Sysctls = { ...DEFAULT_SYSCTLS, ...(isK8s ? K8S_SYSCTLS : {}), ...(localnet && { 'net.ipv4.conf.all.route_localnet': true }), ...n.sysctls, ...opts.sysctls }
  if (localnet) notes.push(`${n.name}: net.ipv4.conf.all.route_localnet=1 assumed (kube-proxy sets it for NodePorts on 127.0.0.1: its KUBE-NODEPORTS jump does not exclude 127.0.0.0/8)`)
  const assumed = Object.keys(K8S_SYSCTLS).filter((k) => !(k in n.sysctls) && !(opts.sysctls && k in opts.sysctls)) as (keyof Sysctls)[]
  if (isK8s && assumed.length > 0) notes.push(`${n.name}: ${assumed.map((k) => `${k}=1`).join(', ')} assumed (a Kubernetes node; the dump has no sysctl output for ${assumed.length === 1 ? 'it' : 'them'})`)
  if (n.sysctlRaw['net.bridge.bridge-nf-call-iptables']?.value === 'unavailable') notes.push(`${n.name}: br_netfilter is not loaded (sysctl cannot stat bridge-nf-call-iptables): bridged traffic skips iptables`)

  let ns: Netns = { ...newNetns(n.name, 'host', { node: n.name, sysctl }), socketsUnknown: true }
  const links: Link[] = []
  let next = Math.max(1, ...n.interfaces.map((l) => l.ifindex ?? 0)) + 1
  const podCidr = n.inferred.podCidr?.value
  for (const l of n.interfaces) {
    let li = l
    // flannel.1 without `ip addr`: flannel gives it <subnet>.0/32.
    if (l.kind === 'vxlan' && /^flannel\./.test(l.name) && l.addrs.length === 0 && podCidr !== undefined) {
      const ip = podCidr.split('/')[0]!
      li = { ...l, addrs: [{ ip, len: 32, scope: 'global' }] }
      notes.push(`${n.name}: ${l.name} address ${ip}/32 assumed (flannel's <subnet>.0/32; no \`ip addr\` in the dump)`)
    }
    const ifindex = l.ifindex ?? (l.name === 'lo' ? 1 : next++)
    links.push(linkOf(n, li, ifindex, segmentFor, notes))
  }
  const synthesized = n.interfaces.filter((l) => l.referencedOnly).map((l) => l.name)
  if (synthesized.length > 0) notes.push(`${n.name}: interface(s) ${synthesized.join(', ')} known only from routes/neighbours/FDB; kinds guessed from their names, addresses from the connected routes' src`)
  if (!links.some((l) => l.kind === 'loopback')) links.unshift(ns.links[0]!)

  // `--local-ip` is for dumps without interfaces: the addresses go on an eth0 we make up.
  const given = new Set(n.localIps ?? [])
  const ownAddrs = n.inferred.nodeIps.filter((x) => !given.has(x.value.ip) || x.from.length > 0)
  let local = (n.localIps ?? []).filter((ip) => !links.some((l) => l.addrs.some((a) => a.ip === ip)))
  if (local.length > 0 && ownAddrs.length > 0) {
    notes.push(`${n.name}: --local-ip ${local.join(', ')} ignored: the dump shows the node's own addresses (${ownAddrs.map((x) => x.value.ip).join(', ')})`)
    local = []
  }
  if (local.length > 0) {
    const eth = links.find((l) => l.kind === 'phys')
    const addrs = local.map((ip) => ({ ip, len: 32, scope: 'global' as const }))
    if (eth) links[links.indexOf(eth)] = { ...eth, addrs: [...eth.addrs, ...addrs] }
    else links.push({ kind: 'phys', ifindex: next++, name: 'eth0', mtu: 1500, mac: macFromSeed(`${n.name}/eth0`), up: true, addrs })
    notes.push(`${n.name}: local address(es) ${local.join(', ')} (given with --local-ip) put on ${eth?.name ?? 'eth0'} as /32`)
  }

  if (!links.some((l) => l.kind !== 'loopback')) {
    links.push({ kind: 'phys', ifindex: next++, name: 'eth0', mtu: 1500, mac: macFromSeed(`${n.name}/eth0`), up: true, addrs: [] })
    notes.push(`${n.name}: no interfaces in the dump: an eth0 without addresses stands in for the node's NIC (give its addresses with --local-ip)`)
  }

  let routes: Route[] = [...n.routes]
  if (routes.length === 0) {
    // No `ip route` in the dump: the connected routes the kernel adds for each address.
    for (const l of links) {
      if (!l.up || l.kind === 'loopback') continue
      for (const a of l.addrs) {
        if (a.len === 32 || a.scope === 'host' || a.noprefixroute) continue
        routes.push({ dst: `${networkOf(a.ip, a.len)}/${a.len}`, type: 'unicast', table: 'main', dev: l.name, scope: 'link', src: a.ip, proto: 'kernel' })
      }
    }
    const out = links.find((l) => l.kind === 'phys' && l.up)
    if (out) {
      routes.push({ dst: 'default', type: 'unicast', table: 'main', dev: out.name, scope: 'link', proto: 'boot' })
      notes.push(`${n.name}: no \`ip route\` in the dump: connected routes from the addresses, and \`default dev ${out.name} scope link\` assumed so forwarded packets leave somewhere`)
    } else if (routes.length === 0) notes.push(`${n.name}: no \`ip route\` in the dump and no interface to route through: forwarded packets have no route`)
  }
  routes = routes.map((r) => {
    try {
      return { ...r, dst: canonicalDst(r.dst) }
    } catch {
      return r
    }
  })
  const devs = new Set(links.map((l) => l.name))
  const neigh: NeighEntry[] = n.neighbours.filter((x) => devs.has(x.dev))
  const fdb: FdbEntry[] = n.fdb.filter((f) => devs.has(f.dev))

  // Rules: kube-proxy's jumps from built-in chains the dump did not print (an excerpt).
  let netfilter: Ruleset = n.ruleset
  if (Object.keys(n.ruleset.tables).length > 0) {
    const c = completeKubeJumps(n.ruleset, new Set(n.builtinChainsSeen))
    netfilter = c.ruleset
    if (c.added.length > 0) notes.push(`${n.name}: the dump does not show these built-in chains; kube-proxy's jumps assumed: ${c.added.join(', ')}`)
  }
  // Policy routing: the dump's rules when they are not just the kernel's three defaults.
  const rules = n.ipRules && !isDefaultRules(n.ipRules) ? n.ipRules : undefined
  const emptyTables = [...new Set((rules ?? []).flatMap((r) => (r.action === 'lookup' && typeof r.table === 'number' && r.table !== 253 && !routes.some((x) => x.table === r.table) ? [r.table] : [])))]
  if (emptyTables.length > 0) notes.push(`${n.name}: the rules look up table(s) ${emptyTables.join(', ')}, which the dump shows no routes of: taken as empty, so those lookups fall through to the next rule (add \`ip route show table all\` to the dump)`)
  const unmodelled = (rules ?? []).filter((r) => r.unmodelled !== undefined)
  if (unmodelled.length > 0) notes.push(`${n.name}: rule(s) ${unmodelled.map((r) => `${r.priority} (${r.unmodelled ?? ''})`).join(', ')} select by what the engine does not model: they never match`)

  const conntrack: ConntrackEntry[] = n.conntrack.map((c) => c.entry)
  if (conntrack.length > 0) notes.push(`${n.name}: ${conntrack.length} conntrack entries from the dump, timed as if it was taken at t=0`)

  // Host-network Service endpoints (the API server on a node address) get a listening socket.
  const listeners: Listener[] = []
  const nodeIps = new Set(n.inferred.nodeIps.map((x) => x.value.ip))
  for (const s of n.inferred.services) {
    for (const ep of s.endpoints) {
      if (!nodeIps.has(ep.ip) || !links.some((l) => l.addrs.some((a) => a.ip === ep.ip))) continue
      if (!listeners.some((x) => x.port === ep.port && x.proto === (s.protocol === 'udp' ? 'udp' : 'tcp'))) listeners.push({ proto: s.protocol === 'udp' ? 'udp' : 'tcp', port: ep.port, addr: ep.ip, app: `${s.namespace}/${s.name} endpoint (inferred)` })
    }
  }
  const resolvConf = n.resolvConf && !isPodResolvConf(n.resolvConf) ? n.resolvConf : undefined
  // `-m set` rules test these; a set the rules name but the dump lacks is assumed empty (eval.ts says so per rule).
  const ipsets = Object.fromEntries((n.ipsets ?? []).map((s) => [s.name, s]))
  const missing = new Set<string>()
  for (const t of Object.values(netfilter.tables)) for (const c of Object.values(t.chains)) for (const r of c.rules) for (const m of r.matches) if (m.kind === 'set' && !(m.name in ipsets)) missing.add(m.name)
  if (missing.size > 0) notes.push(`${n.name}: the rules test ipset(s) ${[...missing].slice(0, 6).join(', ')}${missing.size > 6 ? '…' : ''} but the dump does not list them: assumed empty (add \`ipset save\` to the dump)`)
  ns = {
    ...ns,
    links,
    routes,
    neigh,
    fdb,
    netfilter,
    ipsets,
    conntrack,
    listeners,
    ...(resolvConf && { resolvConf }),
    ...(rules && { rules }),
    nextIfindex: Math.max(next, ...links.map((l) => l.ifindex + 1)),
  }
  return { ns }
}

/**
 * The hairpin setting the dump shows on the veth ports of `bridge`, when they all agree (one
 * CNI plugin set them all up); undefined when there are none or they differ.
 */
function portsHairpin(host: Netns, bridge: string): boolean | undefined {
  const flags = new Set(host.links.filter((l) => l.kind === 'veth' && l.master === bridge && l.hairpin !== undefined).map((l) => l.hairpin))
  return flags.size === 1 ? [...flags][0] : undefined
}

/** A pod's resolv.conf points at the cluster DNS and searches `<ns>.svc.<domain>`. */
function isPodResolvConf(rc: ResolvConf): boolean {
  return rc.search.some((s) => /\.svc\./.test(s) || /^svc\./.test(s))
}

// ------------------------------------------------------------------ pod netns

function podNetns(n: ImportedNode, p: InferredPod, name: string, host: Netns, notes: string[]): { host: Netns; pod: Netns } {
  const cni = n.inferred.cni?.value.name
  const calicoStyle = (p.hostVeth !== undefined && /^cali/.test(p.hostVeth)) || (p.hostVeth === undefined && cni === 'calico')
  // The AWS VPC CNI wires pods as Calico does (a /32 route to an `eni…` host end, the pod's
  // default via 169.254.1.1) but gives the pod a permanent ARP entry instead of proxy ARP.
  const awsStyle = p.hostVeth !== undefined && /^eni/.test(p.hostVeth)
  const routed = calicoStyle || awsStyle
  const bridge = host.links.find((l) => l.kind === 'bridge' && l.addrs.some((a) => a.len < 32 && cidrContains(`${a.ip}/${a.len}`, p.ip)))
  const podCidr = n.inferred.podCidr?.value
  let h = host
  let hostEnd = p.hostVeth !== undefined ? h.links.find((l) => l.name === p.hostVeth) : undefined
  const why = `inferred from ${printFrom(p.from, 4)}`
  const pieces: string[] = []

  let len = 32
  let gateway: Ip | undefined
  let bridgeName: string | undefined
  if (!routed) {
    const br = bridge ? { host: h, link: bridge } : ensureBridge(n, h, p.ip, podCidr, notes)
    if (br) {
      h = br.host
      const a = br.link.addrs.find((x) => x.len < 32 && cidrContains(`${x.ip}/${x.len}`, p.ip))
      if (a) {
        len = a.len
        gateway = a.ip
      }
      bridgeName = br.link.name
    }
  }
  // The host end: the one the dump shows, else one we make up (veth<8 hex>, or cali<11 hex>).
  if (!hostEnd) {
    const vname = calicoStyle ? `cali${hex(`cali/${p.ip}`, 11)}` : `veth${hex(`veth/${p.ip}`, 8)}`
    const ifindex = h.nextIfindex
    const hairpin = bridgeName !== undefined ? portsHairpin(h, bridgeName) : undefined
    const link: Link = { kind: 'veth', ifindex, name: vname, mtu: bridgeName ? (h.links.find((l) => l.name === bridgeName)?.mtu ?? 1500) : 1500, mac: calicoStyle ? 'ee:ee:ee:ee:ee:ee' : macFromSeed(`${n.name}/${vname}`), up: true, addrs: [], ...(bridgeName !== undefined && { master: bridgeName, hairpin: hairpin ?? true }), ...(calicoStyle && { proxyArp: true }) }
    h = { ...h, links: [...h.links, link], nextIfindex: ifindex + 1 }
    hostEnd = link
    pieces.push(`host end ${vname} made up`)
    if (bridgeName !== undefined) pieces.push(hairpin === undefined ? 'hairpin on assumed (the bridge plugin\'s hairpinMode, as flannel sets it)' : `hairpin ${hairpin ? 'on' : 'off'}, as on the dump's other ports of ${bridgeName}`)
  }
  if (calicoStyle && !hostEnd.proxyArp) {
    // Calico's pods send everything to 169.254.1.1; the host end answers ARP for it by proxy.
    const fixed = { ...hostEnd, proxyArp: true }
    h = { ...h, links: h.links.map((l) => (l.name === hostEnd!.name ? fixed : l)) }
    hostEnd = fixed
    pieces.push(`proxy_arp on ${hostEnd.name} assumed (Calico sets it)`)
  }
  const endName = hostEnd.name
  if (routed && !h.routes.some((r) => r.dev === endName && r.dst === p.ip)) {
    h = { ...h, routes: [...h.routes, { dst: p.ip, type: 'unicast', table: 'main', dev: hostEnd.name, scope: 'link', proto: 'boot' }] }
    pieces.push(`route ${p.ip} dev ${hostEnd.name} scope link added`)
  }
  if (hostEnd.kind !== 'veth') return { host: h, pod: newNetns(name, 'pod', { node: n.name }) }

  // The pod side: eth0, peered with the host end.
  const podIfindex = hostEnd.peerIfindex ?? 2
  const eth0: Link = { kind: 'veth', ifindex: podIfindex, name: 'eth0', mtu: hostEnd.mtu, mac: p.mac ?? macFromSeed(`${name}/eth0`), up: true, addrs: [{ ip: p.ip, len, scope: 'global' }], peer: { netns: n.name, name: hostEnd.name }, peerIfindex: hostEnd.ifindex }
  const hostWithPeer: Link = { ...hostEnd, peer: { netns: name, name: 'eth0' } }
  h = { ...h, links: h.links.map((l) => (l.name === endName ? hostWithPeer : l)) }
  const routes: Route[] = []
  const neigh: NeighEntry[] = awsStyle ? [{ ip: '169.254.1.1', dev: 'eth0', mac: hostEnd.mac, state: 'PERMANENT' }] : []
  if (awsStyle) pieces.push(`169.254.1.1 lladdr ${hostEnd.mac} nud permanent in the pod (as the AWS VPC CNI sets it)`)
  if (routed) {
    routes.push({ dst: '169.254.1.1', type: 'unicast', table: 'main', dev: 'eth0', scope: 'link', proto: 'boot' })
    routes.push({ dst: 'default', type: 'unicast', table: 'main', via: '169.254.1.1', dev: 'eth0', scope: 'global', proto: 'boot' })
  } else {
    if (len < 32) routes.push({ dst: `${networkOf(p.ip, len)}/${len}`, type: 'unicast', table: 'main', dev: 'eth0', scope: 'link', src: p.ip, proto: 'kernel' })
    if (gateway !== undefined) routes.push({ dst: 'default', type: 'unicast', table: 'main', via: gateway, dev: 'eth0', scope: 'global', proto: 'boot' })
  }
  const listeners: Listener[] = (p.ports ?? []).filter((x) => x.proto !== 'sctp').map((x) => ({ proto: x.proto as 'tcp' | 'udp', port: x.port, app: p.endpointOf?.[0] ?? 'app' }))
  const base = newNetns(name, 'pod', { node: n.name })
  const rc = n.resolvConf && isPodResolvConf(n.resolvConf) ? n.resolvConf : undefined
  // Which other ports the pod listens on is not in a node's dump: like the node, it is assumed to answer.
  const pod: Netns = { ...base, links: [base.links[0]!, eth0], routes, neigh, listeners, socketsUnknown: true, ...(rc && { resolvConf: rc }), nextIfindex: Math.max(3, podIfindex + 1) }
  const wiring = routed ? `eth0 ${p.ip}/32, default via 169.254.1.1 (${awsStyle ? 'AWS VPC CNI' : 'Calico'} style)` : `eth0 ${p.ip}/${len}${gateway ? `, default via ${gateway}` : ''}${bridgeName ? ` (bridge ${bridgeName})` : ''}`
  notes.push(`pod ${p.ip} on ${n.name} ${why}: netns ${name}, ${wiring}${hostEnd ? `, peer of ${hostEnd.name}` : ''}${pieces.length ? `; ${pieces.join('; ')}` : ''}${listeners.length ? `; listens on ${listeners.map((l) => `${l.proto}/${l.port}`).join(', ')} (Service ports)` : ''}`)
  return { host: h, pod }
}

/** The pod bridge the node must have when the dump shows a local pod but no bridge: cni0 with <podCIDR>.1. */
function ensureBridge(n: ImportedNode, host: Netns, ip: Ip, podCidr: string | undefined, notes: string[]): { host: Netns; link: Link } | undefined {
  const existing = host.links.find((l) => l.kind === 'bridge' && (l.name === 'cni0' || l.name === 'cbr0'))
  if (existing && existing.addrs.some((a) => a.len < 32 && cidrContains(`${a.ip}/${a.len}`, ip))) return { host, link: existing }
  if (podCidr === undefined || !cidrContains(podCidr, ip)) return undefined
  const p = tryParsePrefix(podCidr)
  if (!p) return undefined
  const gw = formatPrefix({ ...p, net: p.net + 1 }).split('/')[0]!
  if (existing) {
    const link = { ...existing, addrs: [...existing.addrs, { ip: gw, len: p.len, scope: 'global' as const }] }
    notes.push(`${n.name}: ${existing.name} address ${gw}/${p.len} assumed (the CNI bridge plugin's gateway for ${podCidr})`)
    return { host: { ...host, links: host.links.map((l) => (l.name === existing.name ? link : l)), routes: [...host.routes, { dst: podCidr, type: 'unicast', table: 'main', dev: existing.name, scope: 'link', src: gw, proto: 'kernel' }] }, link }
  }
  const link: Link = { kind: 'bridge', ifindex: host.nextIfindex, name: 'cni0', mtu: n.inferred.cni?.value.mode === 'vxlan' ? 1450 : 1500, mac: macFromSeed(`${n.name}/cni0`), up: true, addrs: [{ ip: gw, len: p.len, scope: 'global' }], ageingTime: 300 }
  notes.push(`${n.name}: bridge cni0 ${gw}/${p.len} assumed (the dump shows pods in ${podCidr} but no bridge)`)
  return { host: { ...host, links: [...host.links, link], nextIfindex: host.nextIfindex + 1, routes: [...host.routes.filter((r) => r.dst !== podCidr || r.dev !== undefined), { dst: podCidr, type: 'unicast', table: 'main', dev: 'cni0', scope: 'link', src: gw, proto: 'kernel' }] }, link }
}
