/**
 * Names and lookups over a world, and over its cluster state when it came from a cluster
 * description (`world.cluster`). This module turns the names people
 * use (a pod `ns/name`, a Service `ns/name:port`, a node, a client) into netns and addresses,
 * and runs the things that involve both layers: DNS lookups through the pod's resolver and
 * CoreDNS, and connections by name.
 */
import { isIpv4 } from './wire/addr.ts'
import type { Ip } from './wire/addr.ts'
import type { World } from './model/types.ts'
import { resolverQueries } from './kube/dns.ts'
import type { SendSpec } from './sim/trace.ts'
import { traceSegment } from './trace.ts'
import type { TraceSegment } from './scenario/timeline.ts'

/** Thrown for a name that does not resolve; the message says what exists. */
export class NameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NameError'
  }
}

/** The netns a `--from` name means: a netns, a pod `ns/name`, a node, a client, or an address. */
export function resolveSource(w: World, text: string): string {
  if (w.netns[text]) return text
  if (isIpv4(text)) return text
  const pod = w.cluster?.pods.find((p) => `${p.namespace}/${p.name}` === text || (!text.includes('/') && p.namespace === 'default' && p.name === text))
  if (pod?.netns) return pod.netns
  if (pod?.hostNetwork) return pod.node
  const known = Object.keys(w.netns)
  throw new NameError(`no netns, pod, node or client called "${text}" (known: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})`)
}

export interface Target {
  readonly ip: Ip
  readonly port?: number
  readonly proto?: 'tcp' | 'udp'
  /** What the name resolved to, for narration: "Service default/web (ClusterIP 10.96.45.123)". */
  readonly explain: string
}

/**
 * A destination: an IP, a Service `ns/name` (its ClusterIP; `:port` by number or port name
 * picks a port, else its first), a pod `ns/name` (its IP), or a node/netns name (its first
 * address).
 */
export function resolveTarget(w: World, text: string, port?: number): Target {
  const m = /^(.+?)(?::([\w-]+))?$/.exec(text)!
  const name = m[1]!
  const portText = m[2]
  const explicitPort = portText !== undefined && /^\d+$/.test(portText) ? Number(portText) : port
  if (isIpv4(name)) return { ip: name, ...(explicitPort !== undefined && { port: explicitPort }), explain: name }
  const cluster = w.cluster
  if (cluster) {
    const [ns, n] = name.includes('/') ? (name.split('/') as [string, string]) : ['default', name]
    const svc = cluster.services.find((x) => x.metadata.namespace === ns && x.metadata.name === n)
    if (svc) {
      const ip = svc.spec.clusterIP
      if (!ip || ip === 'None') throw new NameError(`Service ${ns}/${n} is headless: it has no ClusterIP (connect to a pod, or look it up with DNS)`)
      const ports = svc.spec.ports ?? []
      const p = portText !== undefined && !/^\d+$/.test(portText) ? ports.find((x) => x.name === portText) : explicitPort !== undefined ? ports.find((x) => x.port === explicitPort) : ports[0]
      if (portText !== undefined && !p && !/^\d+$/.test(portText)) throw new NameError(`Service ${ns}/${n} has no port named "${portText}" (ports: ${ports.map((x) => x.name ?? x.port).join(', ')})`)
      const number = explicitPort ?? p?.port
      const proto = (p?.protocol ?? 'TCP').toLowerCase() as 'tcp' | 'udp'
      return { ip, ...(number !== undefined && { port: number }), proto, explain: `Service ${ns}/${n} (ClusterIP ${ip})` }
    }
    const pod = cluster.pods.find((x) => x.namespace === ns && x.name === n)
    if (pod?.ip) return { ip: pod.ip, ...(explicitPort !== undefined && { port: explicitPort }), explain: `pod ${ns}/${n} (${pod.ip})` }
    const node = cluster.nodes.find((x) => x.name === name)
    if (node) return { ip: node.ip, ...(explicitPort !== undefined && { port: explicitPort }), explain: `node ${name} (${node.ip})` }
  }
  const known = w.services?.filter((x) => `${x.namespace}/${x.name}` === name || (!name.includes('/') && x.namespace === 'default' && x.name === name))
  if (known && known.length > 0) {
    const p = portText !== undefined && !/^\d+$/.test(portText) ? known.find((x) => x.portName === portText) : explicitPort !== undefined ? known.find((x) => x.port === explicitPort) : known[0]
    if (!p) throw new NameError(`Service ${name} has no port ${portText ?? explicitPort} in the imported rules (ports: ${known.map((x) => x.portName || x.port).join(', ')})`)
    if (!p.clusterIP) throw new NameError(`Service ${name}: the imported rules show no ClusterIP for it`)
    const number = explicitPort ?? p.port
    const proto = p.protocol === 'udp' ? 'udp' : 'tcp'
    return { ip: p.clusterIP, ...(number !== undefined && { port: number }), proto, explain: `Service ${p.namespace}/${p.name} (ClusterIP ${p.clusterIP}, from the node's kube-proxy rules)` }
  }
  const ns = w.netns[name]
  const addr = ns?.links.flatMap((l) => (l.kind === 'loopback' ? [] : l.addrs))[0]
  if (addr) return { ip: addr.ip, ...(explicitPort !== undefined && { port: explicitPort }), explain: `${name} (${addr.ip})` }
  throw new NameError(`"${text}" is not an address${cluster ? ', a Service, a pod or a node' : ' or a netns with an address'}`)
}

export interface LookupResult {
  readonly segments: TraceSegment[]
  /** The names asked, in order. */
  readonly queries: string[]
  readonly rcode: string
  /** The first A record, if any. */
  readonly answer?: Ip
  /** The answer's TTL, seconds: how long CoreDNS caches a fresh answer, or what its cache has left on a hit. */
  readonly ttl?: number
  readonly world: World
  /** Why the lookup ended: answered, NXDOMAIN for every name, or no server reachable. */
  readonly explain: string
}

/**
 * A DNS lookup from a pod, as its resolver does it: the search list and ndots from its
 * resolv.conf, one UDP query per name to the first nameserver, stopping at the first answer.
 * Each query is a real packet: it crosses the bridge, hits the kube-dns ClusterIP rules,
 * reaches a CoreDNS pod and comes back un-DNATed.
 */
export function lookup(w: World, fromText: string, name: string, opts: { type?: 'A' | 'SRV' | 'PTR'; seed?: number; now?: number } = {}): LookupResult {
  const from = resolveSource(w, fromText)
  const ns = w.netns[from]
  const rc = ns?.resolvConf
  if (!rc || rc.nameservers.length === 0) throw new NameError(`${from} has no resolv.conf nameserver: nothing to ask`)
  const queries = resolverQueries(rc, name)
  const server = rc.nameservers[0]!
  const segments: TraceSegment[] = []
  let world = w
  let last = 'SERVFAIL'
  const asked: string[] = []
  for (const [i, q] of queries.entries()) {
    asked.push(q)
    const send: SendSpec = { from, to: server, proto: 'udp', dport: 53, dns: { name: q, type: opts.type ?? 'A' } }
    const seg = traceSegment(world, send, { title: `DNS ${opts.type ?? 'A'}? ${q}`, seed: (opts.seed ?? 1) + i, now: (opts.now ?? 0) + i * 10 })
    segments.push(seg)
    world = seg.after
    const answerPkt = [...seg.steps].reverse().find((st) => st.kind === 'deliver' && st.flow === 'dns-reply')?.packet
    const msg = answerPkt?.headers.find((h) => h.kind === 'dns')
    if (seg.outcome.verdict === 'rejected') {
      // An ICMP port unreachable (or a REJECT) comes straight back: the resolver does not wait.
      return { segments, queries: asked, rcode: 'CONNREFUSED', world, explain: `the query for ${q} was refused (${seg.outcome.dropReason ?? 'ICMP port unreachable'}): the resolver gives up at once (";; communications error to ${server}#53: connection refused")` }
    }
    if (!msg || msg.kind !== 'dns' || seg.outcome.reply?.verdict !== 'delivered') {
      return { segments, queries: asked, rcode: 'TIMEOUT', world, explain: `no answer to the query for ${q}: the resolver would retry after its timeout, then give up (";; connection timed out; no servers could be reached")` }
    }
    last = msg.rcode
    if (msg.rcode === 'NOERROR' && msg.answers.length > 0) {
      const a = msg.answers.find((x) => x.type === 'A')
      const ttl = msg.answers[0]!.ttl
      return { segments, queries: asked, rcode: msg.rcode, ...(a && { answer: a.data }), ttl, world, explain: `${q} answered: ${msg.answers.map((x) => `${x.type} ${x.data}`).join(', ')} (TTL ${ttl} s)` }
    }
  }
  return { segments, queries: asked, rcode: last, world, explain: `every name in the search sequence failed (${last})` }
}
