/**
 * Inferring the Kubernetes picture of a node from its Linux state: the CNI, kube-proxy's
 * mode, the cluster and pod CIDRs, the node's addresses, pods, Services with their
 * endpoints, and the other nodes it tunnels or routes to. Every inference lists the input
 * lines it came from. Pure: reads the imported node, returns data.
 *
 * Kubernetes shapes read here: kube-proxy (iptables mode) comments `ns/svc:port cluster IP`,
 * `ns/svc:port -> ip:port` (≥ 1.26), KUBE-SVC masquerade rules `! -s <clusterCIDR>`;
 * flannel's masquerade rules (FLANNEL-POSTRTG, or POSTROUTING before 0.15); Calico's
 * `proto bird` routes, `blackhole <block>` and per-pod `/32 dev cali…` routes.
 */
import type { FdbEntry, NeighEntry, Route } from '../model/types.ts'
import type { Match, Rule, Ruleset } from '../netfilter/types.ts'
import { cidrContains, formatPrefix, networkOf, tryParsePrefix } from '../wire/addr.ts'
import type { Ip } from '../wire/addr.ts'
import type { DumpFormat } from './formats.ts'
import type { From, ImportedInterface, Inference, Inferred, InferredEndpoint, InferredPod, InferredRemoteNode, InferredServicePort } from './types.ts'

export interface InferInput {
  readonly interfaces: readonly ImportedInterface[]
  readonly routes: readonly Route[]
  readonly neighbours: readonly NeighEntry[]
  readonly fdb: readonly FdbEntry[]
  readonly ruleset: Ruleset
  readonly flannelEnv?: Readonly<Record<string, string>>
  readonly flannelEnvFrom?: From
  readonly cniConfigs?: readonly { readonly file: string; readonly types: readonly string[]; readonly from?: From }[]
  readonly formats: readonly DumpFormat[]
  readonly formatFrom: readonly { readonly format: DumpFormat; readonly from: From }[]
  readonly localIps?: readonly Ip[]
}

const refOf = (s: { readonly source?: { readonly file?: string; readonly line: number } }): From[] => (s.source ? [{ file: s.source.file ?? '', line: s.source.line }] : [])

function uniqFrom(list: readonly From[]): From[] {
  const seen = new Set<string>()
  const out: From[] = []
  for (const f of list) {
    const k = `${f.file}:${f.line}`
    if (!seen.has(k)) {
      seen.add(k)
      out.push(f)
    }
  }
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1))
}

// ------------------------------------------------------------------ rule helpers

const comment = (r: Rule): string | undefined => r.matches.find((m): m is Extract<Match, { kind: 'comment' }> => m.kind === 'comment')?.text
const dstCidr = (r: Rule): Extract<Match, { kind: 'dst' }> | undefined => r.matches.find((m): m is Extract<Match, { kind: 'dst' }> => m.kind === 'dst')
const srcCidr = (r: Rule): Extract<Match, { kind: 'src' }> | undefined => r.matches.find((m): m is Extract<Match, { kind: 'src' }> => m.kind === 'src')
const protoOf = (r: Rule): string | undefined => r.matches.find((m): m is Extract<Match, { kind: 'proto' }> => m.kind === 'proto' && !m.neg)?.proto
const dportOf = (r: Rule): number | undefined => r.matches.find((m): m is Extract<Match, { kind: 'dport' }> => m.kind === 'dport' && !m.neg)?.ports[0]?.from
const probabilityOf = (r: Rule): number | undefined => {
  const m = r.matches.find((x): x is Extract<Match, { kind: 'statistic' }> => x.kind === 'statistic')
  return m && m.mode === 'random' ? m.probability : undefined
}
const jumpOf = (r: Rule): string | undefined => (r.target.kind === 'jump' || r.target.kind === 'goto' ? r.target.chain : undefined)

/** `kube-system/kube-dns:dns-tcp cluster IP`, `default/web:http -> 10.244.1.2:8080`, `default/nginx-svc:`. */
export function parseKubeComment(text: string): { namespace: string; name: string; portName: string; what?: string; endpoint?: { ip: Ip; port: number } } | undefined {
  const m = /^([a-z0-9][a-z0-9.-]*)\/([a-z0-9][a-z0-9.-]*)(?::([^\s]*))?(?:\s+(.*))?$/.exec(text.trim())
  if (!m) return undefined
  const what = m[4]
  const ep = what !== undefined ? /^-> (\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(what) : null
  return { namespace: m[1]!, name: m[2]!, portName: m[3] ?? '', ...(what !== undefined && { what }), ...(ep && { endpoint: { ip: ep[1]!, port: Number(ep[2]) } }) }
}

const protoName = (p: string | undefined): 'tcp' | 'udp' | 'sctp' => (p === 'udp' ? 'udp' : p === 'sctp' ? 'sctp' : 'tcp')

// ------------------------------------------------------------------ Services

function inferServices(rs: Ruleset): InferredServicePort[] {
  const nat = rs.tables.nat
  const filter = rs.tables.filter
  const byKey = new Map<string, { svc: Mutable<InferredServicePort>; from: From[] }>()
  const chainToKey = new Map<string, string>()
  const get = (ns: string, name: string, portName: string, proto: 'tcp' | 'udp' | 'sctp') => {
    const key = `${ns}/${name}:${portName}/${proto}`
    let e = byKey.get(key)
    if (!e) {
      e = { svc: { namespace: ns, name, portName, protocol: proto, endpoints: [], from: [] }, from: [] }
      byKey.set(key, e)
    }
    return { key, e }
  }
  const services = nat?.chains['KUBE-SERVICES']?.rules ?? []
  for (const r of services) {
    const c = comment(r)
    const target = jumpOf(r)
    const k = c !== undefined ? parseKubeComment(c) : undefined
    if (!k || target === undefined || !/^KUBE-(SVC|SVL|EXT|FW|XLB)-/.test(target)) continue
    const { key, e } = get(k.namespace, k.name, k.portName, protoName(protoOf(r)))
    const ip = dstCidr(r)?.cidr.text.replace(/\/32$/, '')
    const port = dportOf(r)
    if (k.what === 'external IP' && ip) e.svc.externalIPs = [...(e.svc.externalIPs ?? []), ip]
    else if (k.what === 'loadbalancer IP' && ip) e.svc.loadBalancerIPs = [...(e.svc.loadBalancerIPs ?? []), ip]
    else {
      if (ip) e.svc.clusterIP = ip
      if (port !== undefined) e.svc.port = port
    }
    if (/^KUBE-SVC-/.test(target)) e.svc.chain = target
    chainToKey.set(target, key)
    e.from.push(...refOf(r))
  }
  for (const r of nat?.chains['KUBE-NODEPORTS']?.rules ?? []) {
    const c = comment(r)
    const k = c !== undefined ? parseKubeComment(c) : undefined
    const target = jumpOf(r)
    const port = dportOf(r)
    if (!k || port === undefined || target === undefined || !/^KUBE-(SVC|EXT|XLB|SVL)-/.test(target)) continue
    const { key, e } = get(k.namespace, k.name, k.portName, protoName(protoOf(r)))
    e.svc.nodePort = port
    if (!chainToKey.has(target)) chainToKey.set(target, key)
    e.from.push(...refOf(r))
  }
  // Services without endpoints: kube-proxy REJECTs them in filter KUBE-SERVICES.
  for (const r of filter?.chains['KUBE-SERVICES']?.rules ?? []) {
    const c = comment(r)
    const k = c !== undefined ? parseKubeComment(c) : undefined
    if (!k || k.what !== 'has no endpoints') continue
    const { e } = get(k.namespace, k.name, k.portName, protoName(protoOf(r)))
    const ip = dstCidr(r)?.cidr.text.replace(/\/32$/, '')
    if (ip && e.svc.clusterIP === undefined) e.svc.clusterIP = ip
    const port = dportOf(r)
    if (port !== undefined && e.svc.port === undefined) e.svc.port = port
    e.from.push(...refOf(r))
  }
  // Endpoints: KUBE-SVC/SVL → KUBE-SEP (statistic cascade) → DNAT.
  const sepTarget = (sep: string): { ip: Ip; port: number; from: From[] } | undefined => {
    for (const r of nat?.chains[sep]?.rules ?? []) {
      if (r.target.kind === 'DNAT' && r.target.to.fromIp !== undefined) return { ip: r.target.to.fromIp, port: r.target.to.fromPort ?? 0, from: refOf(r) }
    }
    return undefined
  }
  const walkEndpoints = (chain: string, key: string, seen: Set<string>) => {
    if (seen.has(chain)) return
    seen.add(chain)
    const e = byKey.get(key)
    if (!e) return
    let remaining = 1
    for (const r of nat?.chains[chain]?.rules ?? []) {
      const target = jumpOf(r)
      if (target === undefined) continue
      if (/^KUBE-(SVC|SVL)-/.test(target)) walkEndpoints(target, key, seen)
      if (!/^KUBE-SEP-/.test(target)) continue
      const p = probabilityOf(r)
      const share = p === undefined ? remaining : remaining * p
      remaining -= share
      const c = comment(r)
      const fromComment = c !== undefined ? parseKubeComment(c)?.endpoint : undefined
      const dnat = sepTarget(target)
      const ip = dnat?.ip ?? fromComment?.ip
      const port = dnat?.port ?? fromComment?.port
      if (ip === undefined || port === undefined) continue
      if (e.svc.endpoints.some((x) => x.ip === ip && x.port === port)) continue
      const ep: InferredEndpoint = { ip, port, probability: Math.round(share * 1e6) / 1e6, chain: target, from: uniqFrom([...refOf(r), ...(dnat?.from ?? [])]) }
      e.svc.endpoints = [...e.svc.endpoints, ep]
    }
  }
  for (const [chain, key] of chainToKey) walkEndpoints(chain, key, new Set())
  // Old kube-proxy (before the "->" comments): SVC chains known only from KUBE-SEP comments.
  return [...byKey.values()]
    .map(({ svc, from }): InferredServicePort => ({ ...svc, from: uniqFrom([...from, ...svc.endpoints.flatMap((x) => x.from)]) }))
    .sort((a, b) => (a.namespace + a.name + a.portName < b.namespace + b.name + b.portName ? -1 : 1))
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

// ------------------------------------------------------------------ CIDRs

function inferClusterCidr(inp: InferInput): Inference<string> | undefined {
  const env = inp.flannelEnv?.FLANNEL_NETWORK
  if (env !== undefined && tryParsePrefix(env) && inp.flannelEnvFrom) return { value: env, from: [inp.flannelEnvFrom] }
  const nat = inp.ruleset.tables.nat
  // kube-proxy --cluster-cidr: `! -s CIDR -d CLUSTERIP … -j KUBE-MARK-MASQ` in KUBE-SVC-…
  const votes = new Map<string, From[]>()
  const vote = (cidr: string, r: Rule) => {
    const list = votes.get(cidr)
    if (list) list.push(...refOf(r))
    else votes.set(cidr, refOf(r))
  }
  for (const cn of nat?.order ?? []) {
    if (!/^KUBE-SVC-|^KUBE-SERVICES$/.test(cn)) continue
    for (const r of nat?.chains[cn]?.rules ?? []) {
      const s = srcCidr(r)
      if (s?.neg && jumpOf(r) === 'KUBE-MARK-MASQ') vote(s.cidr.text, r)
    }
  }
  // flannel: `-s CLUSTER ! -d 224.0.0.0/4 -j MASQUERADE` (FLANNEL-POSTRTG, or POSTROUTING in old flannel).
  for (const cn of ['FLANNEL-POSTRTG', 'POSTROUTING']) {
    for (const r of nat?.chains[cn]?.rules ?? []) {
      const s = srcCidr(r)
      const d = dstCidr(r)
      if (r.target.kind === 'MASQUERADE' && s && !s.neg && d?.neg && d.cidr.text === '224.0.0.0/4') vote(s.cidr.text, r)
    }
  }
  for (const r of inp.ruleset.tables.filter?.chains['FLANNEL-FWD']?.rules ?? []) {
    const s = srcCidr(r)
    if (s && !s.neg && r.target.kind === 'ACCEPT') vote(s.cidr.text, r)
  }
  let best: [string, From[]] | undefined
  for (const v of votes) if (!best || v[1].length > best[1].length) best = v
  return best ? { value: best[0], from: uniqFrom(best[1]).slice(0, 6) } : undefined
}

const BRIDGE_NAMES = /^(cni0|cbr0|kube-bridge|weave|docker0)$/

function inferPodCidr(inp: InferInput, cluster: string | undefined): Inference<string> | undefined {
  const env = inp.flannelEnv?.FLANNEL_SUBNET
  if (env !== undefined && inp.flannelEnvFrom) {
    const p = tryParsePrefix(env)
    if (p) return { value: formatPrefix(p), from: [inp.flannelEnvFrom] }
  }
  const inCluster = (cidr: string) => {
    if (cluster === undefined) return true
    const p = tryParsePrefix(cidr)
    return p !== undefined && cidrContains(cluster, networkOfPrefix(cidr))
  }
  // flannel: `! -s CLUSTER -d PODCIDR -j RETURN`.
  const nat = inp.ruleset.tables.nat
  for (const cn of ['FLANNEL-POSTRTG', 'POSTROUTING']) {
    for (const r of nat?.chains[cn]?.rules ?? []) {
      const s = srcCidr(r)
      const d = dstCidr(r)
      if (r.target.kind === 'RETURN' && s?.neg && d && !d.neg && d.cidr.text !== s.cidr.text) return { value: d.cidr.text, from: refOf(r) }
    }
  }
  // The pod bridge's connected route or address (cni0 10.244.2.1/24).
  for (const r of inp.routes) {
    if (r.dev !== undefined && BRIDGE_NAMES.test(r.dev) && r.dev !== 'docker0' && r.proto === 'kernel' && r.dst !== 'default' && inCluster(r.dst)) return { value: r.dst, from: refOf(r) }
  }
  for (const l of inp.interfaces) {
    if (!BRIDGE_NAMES.test(l.name) || l.name === 'docker0') continue
    const a = l.addrs.find((x) => x.len < 32 && inCluster(`${x.ip}/${x.len}`))
    if (a) return { value: `${networkOf(a.ip, a.len)}/${a.len}`, from: l.from.slice(0, 1) }
  }
  // Calico: the node's IPAM block is a blackhole route.
  for (const r of inp.routes) if (r.type === 'blackhole' && r.proto === 'bird' && r.dst !== 'default') return { value: r.dst.includes('/') ? r.dst : `${r.dst}/32`, from: refOf(r) }
  // flannel.1 holds <subnet>.0/32; flannel's default SubnetLen is 24.
  for (const l of inp.interfaces) {
    if (!/^flannel\./.test(l.name)) continue
    const a = l.addrs.find((x) => x.len === 32)
    if (a) return { value: `${networkOf(a.ip, 24)}/24`, from: l.from.slice(0, 1) }
  }
  return undefined
}

function networkOfPrefix(cidr: string): Ip {
  const p = tryParsePrefix(cidr)
  return p ? formatPrefix(p).split('/')[0]! : '0.0.0.0'
}

// ------------------------------------------------------------------ node addresses

/** Interfaces whose addresses are not the node's underlay address. */
// Host ends of pod veths: cali (Calico), veth (bridge plugin), lxc (Cilium), eni (AWS VPC CNI), gke (GKE), azv (Azure CNI).
const NOT_UNDERLAY = /^(lo|cni0|cbr0|docker0|kube-bridge|kube-ipvs0|nodelocaldns|flannel[.-]|vxlan\.calico|vxlan-v6|tunl0|cali|veth|lxc|eni|gke|azv|cilium_|weave|vethwe|datapath|wg|flannel-wg|kube-dummy|dummy)/

export function isUnderlayInterface(l: ImportedInterface): boolean {
  if (NOT_UNDERLAY.test(l.name)) return false
  return l.kind === 'phys' || l.kind === 'veth' || l.realKind === 'vlan' || l.realKind === 'bond' || l.realKind === 'macvlan'
}

function inferNodeIps(inp: InferInput, pod: string | undefined, cluster: string | undefined): Inference<{ ip: Ip; dev?: string; len?: number }>[] {
  const out = new Map<string, Inference<{ ip: Ip; dev?: string; len?: number }>>()
  const inPods = (ip: Ip) => (cluster !== undefined && cidrContains(cluster, ip)) || (pod !== undefined && cidrContains(pod, ip))
  const add = (ip: Ip, dev: string | undefined, len: number | undefined, from: readonly From[]) => {
    if (ip.startsWith('127.') || inPods(ip)) return
    const prev = out.get(ip)
    out.set(ip, { value: { ip, ...((dev ?? prev?.value.dev) !== undefined && { dev: dev ?? prev?.value.dev }), ...((len ?? prev?.value.len) !== undefined && { len: len ?? prev?.value.len }) }, from: uniqFrom([...(prev?.from ?? []), ...from]) })
  }
  for (const l of inp.interfaces) {
    if (!isUnderlayInterface(l)) continue
    for (const a of l.addrs) if (a.scope !== 'host' && a.scope !== 'link') add(a.ip, l.name, a.len, l.from.slice(0, 1))
  }
  // Without `ip addr`: the source address of connected routes (`… proto kernel scope link src IP`).
  for (const r of inp.routes) {
    if (r.src === undefined || r.proto !== 'kernel' || r.table !== 'main' || r.dev === undefined || NOT_UNDERLAY.test(r.dev)) continue
    const len = r.dst.includes('/') ? Number(r.dst.split('/')[1]) : 32
    add(r.src, r.dev, len, refOf(r))
  }
  for (const l of inp.interfaces) if (l.vxlan?.local !== undefined) add(l.vxlan.local, l.vxlan.dev, undefined, l.from.slice(0, 1))
  for (const ip of inp.localIps ?? []) if (!out.has(ip)) out.set(ip, { value: { ip }, from: [] })
  return [...out.values()]
}

// ------------------------------------------------------------------ other nodes

function inferRemoteNodes(inp: InferInput, nodeIps: ReadonlySet<Ip>, cluster: string | undefined): InferredRemoteNode[] {
  const out = new Map<Ip, Mutable<InferredRemoteNode>>()
  const add = (ip: Ip, patch: Partial<InferredRemoteNode>, from: readonly From[]) => {
    if (nodeIps.has(ip)) return
    const prev = out.get(ip) ?? { ip, from: [] }
    out.set(ip, { ...prev, ...patch, from: uniqFrom([...prev.from, ...from]) })
  }
  const vxlanDevs = new Set(inp.interfaces.filter((l) => l.kind === 'vxlan').map((l) => l.name))
  for (const r of inp.routes) if (r.dev !== undefined && /^(flannel\.|vxlan\.calico)/.test(r.dev)) vxlanDevs.add(r.dev)
  for (const f of inp.fdb) if (f.dst !== undefined) vxlanDevs.add(f.dev)
  // VXLAN: route `POD via GW dev flannel.1 onlink`, neighbour GW → VTEP MAC, FDB VTEP MAC → node IP.
  for (const f of inp.fdb) {
    if (f.dst === undefined || f.mac === '00:00:00:00:00:00') continue
    const n = inp.neighbours.find((x) => x.mac === f.mac && vxlanDevs.has(x.dev))
    const r = n ? inp.routes.find((x) => x.via === n.ip && x.dev === n.dev) : undefined
    add(f.dst, { vtepMac: f.mac, ...(r && { podCidr: r.dst }) }, [...refOf(f), ...(n ? refOf(n) : []), ...(r ? refOf(r) : [])])
  }
  // BGP (Calico) and host-gw: `POD via NODEIP dev eth0 [proto bird]`, or onlink via tunl0.
  for (const r of inp.routes) {
    if (r.via === undefined || r.dst === 'default' || r.table !== 'main') continue
    const podish = r.proto === 'bird' || (cluster !== undefined && cidrContains(cluster, networkOfPrefix(r.dst)) && !(r.dev !== undefined && vxlanDevs.has(r.dev)))
    if (podish && !(r.dev !== undefined && vxlanDevs.has(r.dev))) add(r.via, { podCidr: r.dst }, refOf(r))
  }
  return [...out.values()].sort((a, b) => (a.ip < b.ip ? -1 : 1))
}

// ------------------------------------------------------------------ pods

function inferPods(inp: InferInput, services: readonly InferredServicePort[], podCidr: string | undefined, cluster: string | undefined, nodeIps: ReadonlySet<Ip>, remote: readonly InferredRemoteNode[]): InferredPod[] {
  // Mutable while collecting (thousands of endpoints on a big node); frozen and sorted at the end.
  interface Acc { ip: Ip; local: boolean; hostVeth?: string; mac?: string; endpointOf?: Set<string>; ports?: { port: number; proto: 'tcp' | 'udp' | 'sctp' }[]; how: InferredPod['how'][number][]; from: From[] }
  const pods = new Map<Ip, Acc>()
  const add = (ip: Ip, patch: { local?: boolean; hostVeth?: string; mac?: string }, how: InferredPod['how'][number], from: readonly From[]): Acc => {
    let p = pods.get(ip)
    if (!p) {
      p = { ip, local: false, how: [], from: [] }
      pods.set(ip, p)
    }
    if (patch.local) p.local = true
    if (patch.hostVeth !== undefined) p.hostVeth = patch.hostVeth
    if (patch.mac !== undefined) p.mac = patch.mac
    if (!p.how.includes(how)) p.how.push(how)
    p.from.push(...from)
    return p
  }
  const byName = new Map(inp.interfaces.map((l) => [l.name, l]))
  // Calico: `POD dev caliX scope link` (a /32 to the pod's host end).
  for (const r of inp.routes) {
    if (r.dev === undefined || r.via !== undefined || r.table !== 'main' || r.type !== 'unicast') continue
    const dstLen = r.dst.includes('/') ? Number(r.dst.split('/')[1]) : 32
    if (dstLen !== 32) continue
    const l = byName.get(r.dev)
    const isHostEnd = /^(cali|lxc)/.test(r.dev) || (l?.kind === 'veth' && !isUnderlayInterface(l))
    if (!isHostEnd) continue
    add(r.dst.split('/')[0]!, { local: true, hostVeth: r.dev }, 'route', [...refOf(r), ...(l?.from.slice(0, 1) ?? [])])
  }
  // Bridge: a learned FDB entry on a veth port gives the pod's MAC; a neighbour gives MAC → IP.
  for (const f of inp.fdb) {
    if (f.master === undefined || f.local || f.self || f.dev === f.master) continue
    const port = byName.get(f.dev)
    if (port && isUnderlayInterface(port)) continue
    const n = inp.neighbours.find((x) => x.mac === f.mac && x.dev === f.master && x.state !== 'FAILED' && x.state !== 'INCOMPLETE')
    if (n) add(n.ip, { local: true, hostVeth: f.dev, mac: f.mac }, 'fdb', [...refOf(f), ...refOf(n)])
  }
  // Neighbours on the pod bridge inside the pod CIDR.
  for (const n of inp.neighbours) {
    if (!BRIDGE_NAMES.test(n.dev) || n.dev === 'docker0' || n.state === 'FAILED' || n.state === 'INCOMPLETE') continue
    if (podCidr !== undefined && !cidrContains(podCidr, n.ip)) continue
    if (podCidr === undefined && cluster !== undefined && !cidrContains(cluster, n.ip)) continue
    add(n.ip, { local: true, ...(n.mac !== undefined && { mac: n.mac }) }, 'neigh', refOf(n))
  }
  // Service endpoints (DNAT targets) that are not node addresses.
  for (const s of services) {
    const svcName = `${s.namespace}/${s.name}${s.portName ? `:${s.portName}` : ''}`
    for (const ep of s.endpoints) {
      if (nodeIps.has(ep.ip)) continue
      const local = podCidr !== undefined && cidrContains(podCidr, ep.ip)
      const inRemote = remote.some((r) => r.podCidr !== undefined && cidrContains(r.podCidr, ep.ip))
      const inCluster = cluster !== undefined && cidrContains(cluster, ep.ip)
      // An endpoint outside every pod range is host-network (the API server on a node IP).
      if (!local && !inRemote && !inCluster && (podCidr !== undefined || cluster !== undefined)) continue
      const p = add(ep.ip, { local }, 'dnat', ep.from)
      p.endpointOf ??= new Set()
      p.endpointOf.add(svcName)
      p.ports ??= []
      if (!p.ports.some((x) => x.port === ep.port && x.proto === s.protocol)) p.ports.push({ port: ep.port, proto: s.protocol })
    }
  }
  // The pod's MAC from the node's neighbour table, so the synthesized eth0 answers to it.
  for (const p of pods.values()) {
    if (p.mac !== undefined || !p.local) continue
    const n = inp.neighbours.find((x) => x.ip === p.ip && x.mac !== undefined && x.state !== 'FAILED' && x.state !== 'INCOMPLETE')
    if (n?.mac !== undefined) add(p.ip, { mac: n.mac }, 'neigh', refOf(n))
  }
  const keyed = [...pods.values()].map((p) => ({ p, key: ipSortKey(p.ip) }))
  keyed.sort((a, b) => a.key - b.key)
  return keyed.map(({ p }) => ({
    ip: p.ip,
    local: p.local,
    ...(p.hostVeth !== undefined && { hostVeth: p.hostVeth }),
    ...(p.mac !== undefined && { mac: p.mac }),
    ...(p.endpointOf && { endpointOf: [...p.endpointOf] }),
    ...(p.ports && { ports: p.ports }),
    how: p.how,
    from: uniqFrom(p.from),
  }))
}

function ipSortKey(ip: Ip): number {
  return ip.split('.').reduce((acc, x) => acc * 256 + Number(x), 0)
}

// ------------------------------------------------------------------ CNI, kube-proxy

function inferCni(inp: InferInput, remote: readonly InferredRemoteNode[]): Inferred['cni'] {
  const ev: Record<'flannel' | 'calico' | 'cilium' | 'weave' | 'bridge', From[]> = { flannel: [], calico: [], cilium: [], weave: [], bridge: [] }
  const mode: Partial<Record<keyof typeof ev, string>> = {}
  for (const l of inp.interfaces) {
    if (/^flannel\./.test(l.name)) {
      ev.flannel.push(...l.from.slice(0, 1))
      mode.flannel = 'vxlan'
    } else if (/^flannel-wg/.test(l.name)) {
      ev.flannel.push(...l.from.slice(0, 1))
      mode.flannel = 'wireguard'
    } else if (/^cali/.test(l.name)) ev.calico.push(...l.from.slice(0, 1))
    else if (l.name === 'vxlan.calico') {
      ev.calico.push(...l.from.slice(0, 1))
      mode.calico = 'vxlan'
    } else if (l.name === 'tunl0' && l.kind === 'ipip') ev.calico.push(...l.from.slice(0, 1))
    else if (/^(cilium_|lxc)/.test(l.name)) ev.cilium.push(...l.from.slice(0, 1))
    else if (/^(weave|vethwe)/.test(l.name)) ev.weave.push(...l.from.slice(0, 1))
    else if (l.name === 'cni0' || l.name === 'cbr0') ev.bridge.push(...l.from.slice(0, 1))
  }
  for (const r of inp.routes) {
    if (r.dev !== undefined && /^flannel\./.test(r.dev)) {
      ev.flannel.push(...refOf(r))
      mode.flannel = 'vxlan'
    } else if (r.proto === 'bird' || (r.dev !== undefined && /^cali/.test(r.dev))) {
      ev.calico.push(...refOf(r))
      if (r.dev === 'tunl0') mode.calico = 'ipip'
      else if (r.dev === 'vxlan.calico') mode.calico = 'vxlan'
    } else if (r.dev !== undefined && r.dev === 'cni0') ev.bridge.push(...refOf(r))
  }
  for (const t of Object.values(inp.ruleset.tables)) {
    for (const cn of t?.order ?? []) {
      const c = t?.chains[cn]
      if (/^FLANNEL-/.test(cn)) ev.flannel.push(...(c?.source ? [{ file: c.source.file ?? '', line: c.source.line }] : []))
      if (/^cali-/.test(cn)) ev.calico.push(...(c?.source ? [{ file: c.source.file ?? '', line: c.source.line }] : []))
      if (/^CILIUM_/.test(cn)) ev.cilium.push(...(c?.source ? [{ file: c.source.file ?? '', line: c.source.line }] : []))
      if (/^WEAVE/.test(cn)) ev.weave.push(...(c?.source ? [{ file: c.source.file ?? '', line: c.source.line }] : []))
    }
  }
  if (inp.flannelEnv && inp.flannelEnvFrom) ev.flannel.push(inp.flannelEnvFrom)
  for (const c of inp.cniConfigs ?? []) {
    for (const t of c.types) if (t in ev) ev[t as keyof typeof ev].push(...(c.from ? [c.from] : []))
  }
  if (mode.calico === undefined && ev.calico.length > 0) mode.calico = inp.routes.some((r) => r.proto === 'bird') ? 'bgp' : undefined
  if (mode.flannel === undefined && ev.flannel.length > 0 && remote.some((r) => r.vtepMac === undefined && r.podCidr !== undefined)) mode.flannel = 'host-gw'
  // The first with any evidence, in this order: canal (Calico policy on flannel) is flannel
  // networking, and flannel's own cni0 is not the plain bridge plugin.
  const order: (keyof typeof ev)[] = ['flannel', 'calico', 'cilium', 'weave', 'bridge']
  const best = order.find((k) => ev[k].length > 0)
  if (best === undefined) return undefined
  return { value: { name: best, ...(mode[best] !== undefined && { mode: mode[best] }) }, from: uniqFrom(ev[best]).slice(0, 8) }
}

function inferKubeProxy(inp: InferInput): Inference<'iptables' | 'ipvs' | 'nftables'> | undefined {
  const ipvs = inp.formatFrom.find((f) => f.format === 'ipvsadm')
  const ipvsIf = inp.interfaces.find((l) => l.name === 'kube-ipvs0')
  if (ipvs || ipvsIf) return { value: 'ipvs', from: ipvs ? [ipvs.from] : ipvsIf!.from.slice(0, 1) }
  const nat = inp.ruleset.tables.nat
  const svc = nat?.chains['KUBE-SERVICES']
  if (svc && (svc.rules.some((r) => /^KUBE-(SVC|EXT|FW)-/.test(jumpOf(r) ?? '')) || nat.order.some((c) => c.startsWith('KUBE-SVC-')))) return { value: 'iptables', from: svc.source ? [{ file: svc.source.file ?? '', line: svc.source.line }] : refOf(svc.rules[0] ?? {}) }
  const nft = inp.formatFrom.find((f) => f.format === 'nft')
  if (nft) return undefined
  return undefined
}

/** Infer the Kubernetes picture of one node. */
export function inferNode(inp: InferInput): Inferred {
  const services = inferServices(inp.ruleset)
  const cluster = inferClusterCidr(inp)
  const pod = inferPodCidr(inp, cluster?.value)
  const nodeIps = inferNodeIps(inp, pod?.value, cluster?.value)
  const nodeIpSet = new Set(nodeIps.map((n) => n.value.ip))
  const remoteNodes = inferRemoteNodes(inp, nodeIpSet, cluster?.value)
  const pods = inferPods(inp, services, pod?.value, cluster?.value, nodeIpSet, remoteNodes)
  const cni = inferCni(inp, remoteNodes)
  const kubeProxyMode = inferKubeProxy(inp)
  return {
    ...(cni && { cni }),
    ...(kubeProxyMode && { kubeProxyMode }),
    ...(cluster && { clusterCidr: cluster }),
    ...(pod && { podCidr: pod }),
    nodeIps,
    pods,
    services,
    remoteNodes,
  }
}

