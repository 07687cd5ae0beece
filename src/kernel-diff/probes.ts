/**
 * Probes for a world: which questions to ask the kernel and the engine, and the engine's
 * SendSpec for each. Generation is seeded, so a run can be repeated exactly.
 */
import type { Probe } from '../engine/export/probe.ts'
import type { Ip } from '../engine/wire/addr.ts'
import { intToIp, ipToInt, isLoopbackIp } from '../engine/wire/addr.ts'
import type { World } from '../engine/model/types.ts'
import type { SendSpec } from '../engine/sim/trace.ts'
import type { Rng } from '../engine/sim/rng.ts'
import { randomInt } from '../engine/sim/rng.ts'

/**
 * A probe as a case lists it. `multi`: the answer depends on random choices (a Service with
 * several backends): the kernel side tries it enough times to see every outcome the engine
 * enumerates, and the two sets are compared.
 */
export type CaseProbe = Probe & { readonly multi?: boolean }

/** The engine's packet for a probe (route and conntrack probes send nothing). */
export function probeToSend(p: Probe): SendSpec | undefined {
  switch (p.kind) {
    case 'ping':
      return { from: p.from, to: p.to, proto: 'icmp', df: p.df ?? false, ...(p.size !== undefined && { size: p.size }), ...(p.ttl !== undefined && { ttl: p.ttl }) }
    case 'tcp':
      return { from: p.from, to: p.to, proto: 'tcp', dport: p.port }
    case 'udp':
      return { from: p.from, to: p.to, proto: 'udp', dport: p.port }
    case 'dns':
      return { from: p.from, to: p.server, proto: 'udp', dport: p.port ?? 53, dns: { name: p.name, type: p.type ?? 'A' } }
    default:
      return undefined
  }
}

function pick<T>(rng: Rng, xs: readonly T[]): T | undefined {
  return xs.length === 0 ? undefined : xs[randomInt(rng, 0, xs.length - 1)]
}

function sample<T>(rng: Rng, xs: readonly T[], n: number): T[] {
  const pool = [...xs]
  const out: T[] = []
  while (out.length < n && pool.length > 0) out.push(pool.splice(randomInt(rng, 0, pool.length - 1), 1)[0]!)
  return out
}

/** The same probe with netns names as the exported script names them on the host. */
export function onHost(p: Probe, names: ReadonlyMap<string, string>): Probe {
  const k = (n: string) => names.get(n) ?? n
  if (p.kind === 'pause') return p
  if (p.kind === 'conntrack') return { ...p, netns: k(p.netns) }
  return { ...p, from: k(p.from) }
}

/** Non-loopback addresses of a netns. */
export function addressesOf(w: World, ns: string): Ip[] {
  return (w.netns[ns]?.links ?? []).flatMap((l) => l.addrs.filter((a) => !isLoopbackIp(a.ip)).map((a) => a.ip))
}

export interface ProbeOptions {
  /** Pings per source netns. Default 3. */
  readonly pingsPerSource?: number
  /** Only these netns send (default: every netns with an address). */
  readonly sources?: readonly string[]
}

/**
 * A spread of probes for any world: pings between netns, an address nobody has in a
 * connected subnet (ARP fails), one outside everything, DF pings at the MTUs the world has,
 * TTL 1, TCP/UDP to every listener and to a closed port, `ip route get` for the same targets.
 * The count stays small: failures cost the kernel side a timeout each.
 */
export function generateProbes(w: World, rng: Rng, opts: ProbeOptions = {}): Probe[] {
  const names = Object.keys(w.netns)
  const sources = (opts.sources ?? names).filter((n) => addressesOf(w, n).length > 0)
  const targets = names.flatMap((n) => addressesOf(w, n).map((ip) => ({ ns: n, ip })))
  const out: Probe[] = []
  const seen = new Set<string>()
  const add = (p: Probe) => {
    const key = JSON.stringify(p)
    if (!seen.has(key)) {
      seen.add(key)
      out.push(p)
    }
  }
  for (const from of sources) {
    const others = targets.filter((t) => t.ns !== from)
    for (const t of sample(rng, others, opts.pingsPerSource ?? 3)) {
      add({ kind: 'ping', from, to: t.ip })
      add({ kind: 'route', from, to: t.ip })
    }
    // An unused address in a connected subnet of this netns: ARP fails (or a router answers).
    const own = w.netns[from]!.links.flatMap((l) => l.addrs.filter((a) => !isLoopbackIp(a.ip) && a.len <= 29 && a.len >= 8))
    const a = pick(rng, own)
    if (a) {
      const base = ipToInt(a.ip) & (a.len === 0 ? 0 : (0xffffffff << (32 - a.len)) >>> 0)
      const size = 2 ** (32 - a.len)
      const used = new Set(targets.map((t) => t.ip))
      for (let k = size - 3; k >= 1; k--) {
        const cand = intToIp((base + k) >>> 0)
        if (!used.has(cand)) {
          add({ kind: 'ping', from, to: cand })
          break
        }
      }
    }
  }
  const pairs = sources.flatMap((from) => targets.filter((t) => t.ns !== from).map((t) => ({ from, to: t.ip })))
  // Somewhere no route leads (or the default route takes it away).
  const far = pick(rng, sources)
  if (far) {
    add({ kind: 'ping', from: far, to: '198.51.100.7' })
    add({ kind: 'route', from: far, to: '198.51.100.7' })
  }
  // Path MTU: DF pings at each MTU found in the world and one byte over.
  const mtus = [...new Set(names.flatMap((n) => w.netns[n]!.links.filter((l) => l.kind !== 'loopback').map((l) => l.mtu)))].filter((m) => m >= 576 && m <= 9000).sort((x, y) => x - y)
  for (const m of mtus.slice(0, 3)) {
    const p = pick(rng, pairs)
    if (!p) break
    add({ kind: 'ping', from: p.from, to: p.to, size: m, df: true })
    add({ kind: 'ping', from: p.from, to: p.to, size: m + 1, df: true })
  }
  const big = pick(rng, pairs)
  if (big) add({ kind: 'ping', from: big.from, to: big.to, size: 1600, df: false })
  const ttl = pick(rng, pairs)
  if (ttl) add({ kind: 'ping', from: ttl.from, to: ttl.to, ttl: 1 })
  // Stand-in servers.
  for (const n of names) {
    for (const l of w.netns[n]!.listeners) {
      const from = pick(rng, sources.filter((s) => s !== n))
      const to = l.addr && l.addr !== '0.0.0.0' ? l.addr : pick(rng, addressesOf(w, n))
      if (!from || !to) continue
      if (l.dns && l.proto === 'udp') add({ kind: 'dns', from, server: to, name: 'kubernetes.default.svc.cluster.local', ...(l.port !== 53 && { port: l.port }) })
      else if (!l.dns) add({ kind: l.proto, from, to, port: l.port })
      add({ kind: l.proto, from, to, port: l.port === 9 ? 10 : 9 })
    }
  }
  return out
}

/** Destinations that netfilter rules in a world's nat tables point at: `-d IP/32 -p tcp|udp --dport N` (Service VIPs). */
export function natTargets(w: World): { netns: string; ip: Ip; port: number; proto: 'tcp' | 'udp' }[] {
  const out: { netns: string; ip: Ip; port: number; proto: 'tcp' | 'udp' }[] = []
  for (const [name, ns] of Object.entries(w.netns)) {
    const nat = ns.netfilter.tables.nat
    if (!nat) continue
    for (const chain of Object.values(nat.chains)) {
      for (const r of chain.rules) {
        const dst = r.matches.find((m) => m.kind === 'dst')
        const proto = r.matches.find((m) => m.kind === 'proto')
        const dport = r.matches.find((m) => m.kind === 'dport')
        if (dst?.kind !== 'dst' || dst.neg || !dst.cidr.text.endsWith('/32') || proto?.kind !== 'proto' || proto.neg || (proto.proto !== 'tcp' && proto.proto !== 'udp')) continue
        if (dport?.kind !== 'dport' || dport.neg || dport.ports.length !== 1 || dport.ports[0]!.from !== dport.ports[0]!.to) continue
        const ip = dst.cidr.text.slice(0, -3)
        if (!out.some((t) => t.ip === ip && t.port === dport.ports[0]!.from)) out.push({ netns: name, ip, port: dport.ports[0]!.from, proto: proto.proto })
      }
    }
  }
  return out
}

/**
 * Probes through Services: each rule-written VIP from the netns around it; in a cluster,
 * every ClusterIP from pods on two nodes, every NodePort from the external clients to each
 * node, DNS names through the kube-dns Service. Answers with several backends are `multi`.
 */
export function serviceProbes(w: World, rng: Rng): CaseProbe[] {
  const out: CaseProbe[] = []
  const cluster = w.cluster
  if (!cluster) {
    for (const t of natTargets(w)) {
      const from = sample(rng, Object.keys(w.netns).filter((n) => n !== t.netns && addressesOf(w, n).length > 0 && w.netns[n]!.kind !== 'host'), 2)
      for (const f of from) out.push({ kind: t.proto, from: f, to: t.ip, port: t.port, multi: true })
    }
    return out
  }
  const pods = cluster.pods.filter((p) => p.netns && p.ip && w.netns[p.netns])
  // Clients on different nodes where possible.
  const clients: string[] = []
  for (const node of cluster.nodes) {
    const p = pick(rng, pods.filter((x) => x.node === node.name && !clients.includes(x.netns!)))
    if (p && clients.length < 2) clients.push(p.netns!)
  }
  for (const svc of cluster.services) {
    const ip = svc.spec.clusterIP
    for (const port of svc.spec.ports) {
      // DNS over TCP reaches dnsmasq, which says nothing to a bare connect: DNS is probed with queries.
      if (port.protocol !== 'TCP' || port.port === 53) continue
      if (ip && ip !== 'None') for (const c of clients) out.push({ kind: 'tcp', from: c, to: ip, port: port.port, multi: true })
      if (port.nodePort) {
        for (const client of Object.values(w.netns).filter((n) => n.kind === 'client')) {
          for (const node of cluster.nodes) out.push({ kind: 'tcp', from: client.name, to: node.ip, port: port.nodePort, multi: true })
        }
      }
    }
  }
  const zone = cluster.dns.clusterDomain.replace(/\.$/, '')
  const asker = clients[0]
  if (asker && cluster.dns.serviceIP) {
    for (const svc of cluster.services.filter((s) => s.spec.clusterIP && s.spec.clusterIP !== 'None').slice(0, 4)) {
      out.push({ kind: 'dns', from: asker, server: cluster.dns.serviceIP, name: `${svc.metadata.name}.${svc.metadata.namespace ?? 'default'}.svc.${zone}`, multi: true })
    }
    out.push({ kind: 'dns', from: asker, server: cluster.dns.serviceIP, name: `no-such-service.default.svc.${zone}`, multi: true })
    // Asked from a pod whose resolv.conf names the cluster DNS (CoreDNS's own pods use the node's, dnsPolicy Default).
    const viaCluster = (n: string) => w.netns[n]?.resolvConf?.nameservers[0] === cluster.dns.serviceIP
    const recordAsker = clients.find(viaCluster) ?? pods.map((p) => p.netns!).find(viaCluster)
    if (recordAsker) out.push(...recordProbes(w, recordAsker, cluster.dns.serviceIP, zone))
  }
  return out
}

/**
 * The other records CoreDNS answers, from one pod: SRV for a named port (a ClusterIP Service
 * and a headless one), PTR for a ClusterIP, a headless endpoint and a plain pod IP (none: it
 * falls through to the upstream), A for a headless Service and a pod record, and a short
 * Service name through the pod's resolv.conf (search list, ndots) with `getent`.
 */
function recordProbes(w: World, asker: string, server: Ip, zone: string): CaseProbe[] {
  const cluster = w.cluster
  if (!cluster) return []
  const out: CaseProbe[] = []
  const dns = (name: string, type: 'A' | 'SRV' | 'PTR' = 'A'): CaseProbe => ({ kind: 'dns', from: asker, server, name, ...(type !== 'A' && { type }), multi: true })
  const reverse = (ip: string) => `${ip.split('.').reverse().join('.')}.in-addr.arpa`
  const fqdn = (s: (typeof cluster.services)[number]) => `${s.metadata.name}.${s.metadata.namespace ?? 'default'}.svc.${zone}`
  const named = (s: (typeof cluster.services)[number]) => s.spec.ports.find((p) => p.name && p.port !== 53)
  const withIp = cluster.services.filter((s) => s.spec.clusterIP && s.spec.clusterIP !== 'None')
  const headless = cluster.services.filter((s) => s.spec.clusterIP === 'None')
  const srv = withIp.find((s) => named(s))
  if (srv) out.push(dns(`_${named(srv)!.name!}._${named(srv)!.protocol.toLowerCase()}.${fqdn(srv)}`, 'SRV'))
  const first = withIp[0]
  if (first) out.push(dns(reverse(first.spec.clusterIP!), 'PTR'))
  const endpointIps = new Set<string>()
  for (const h of headless.slice(0, 2)) {
    out.push(dns(fqdn(h)))
    const port = named(h)
    if (port) out.push(dns(`_${port.name!}._${port.protocol.toLowerCase()}.${fqdn(h)}`, 'SRV'))
    for (const s of cluster.endpointSlices.filter((x) => x.metadata.labels?.['kubernetes.io/service-name'] === h.metadata.name)) for (const e of s.endpoints) for (const a of e.addresses) endpointIps.add(a)
  }
  const endpoint = [...endpointIps][0]
  if (endpoint) out.push(dns(reverse(endpoint), 'PTR'))
  // The first SRV target of a headless Service: its endpoint by name.
  const h0 = headless[0]
  if (h0 && endpoint) out.push(dns(`${endpoint.replace(/\./g, '-')}.${fqdn(h0)}`))
  const pod = cluster.pods.find((p) => p.ip && p.netns && !endpointIps.has(p.ip))
  if (pod?.ip) {
    out.push(dns(`${pod.ip.replace(/\./g, '-')}.${pod.namespace}.pod.${zone}`))
    out.push(dns(reverse(pod.ip), 'PTR'))
  }
  const rc = w.netns[asker]?.resolvConf
  const askerNs = cluster.pods.find((p) => p.netns === asker)?.namespace ?? 'default'
  if (rc && first) {
    const ns = first.metadata.namespace ?? 'default'
    out.push({ kind: 'resolve', from: asker, name: ns === askerNs ? first.metadata.name : `${first.metadata.name}.${ns}` })
    out.push({ kind: 'resolve', from: asker, name: 'no-such-service' })
  }
  return out
}
