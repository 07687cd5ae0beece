/**
 * Services as kube-proxy (iptables mode) wrote them: read back from a node's nat table, not
 * from the Kubernetes objects, so the picture shows what the kernel will actually do.
 * KUBE-SERVICES has one rule per ClusterIP:port jumping to KUBE-SVC-* (or KUBE-SVL-* for
 * internalTrafficPolicy Local); that chain picks an endpoint with `-m statistic --mode random
 * --probability p` rules, each jumping to a KUBE-SEP-* chain that DNATs to a pod.
 * The chance of reaching rule i is p_i × Π(1 − p_j) over the earlier rules; the last rule has
 * no statistic match and takes what is left.
 */
import type { Match, Rule, Ruleset } from '../../engine/netfilter/types.ts'

export interface ServiceEndpoint {
  readonly sepChain: string
  /** The chance a new connection ends here (0..1). */
  readonly probability: number
  /** `--probability` written on the KUBE-SVC rule (absent on the last rule). */
  readonly ruleProbability?: number
  /** `ip:port` the KUBE-SEP chain DNATs to. */
  readonly dnat: string
  readonly ip: string
  readonly svcRuleId: string
}

export interface ServiceChain {
  /** `ip:port/proto`: unique per ClusterIP port. */
  readonly key: string
  /** From the rule comment: `ns/svc:port`. */
  readonly name: string
  readonly clusterIP: string
  readonly port: number | undefined
  readonly proto: string
  readonly svcChain: string
  /** The KUBE-SERVICES rule that sends the ClusterIP to the service chain. */
  readonly servicesRuleId: string
  readonly servicesRuleRaw: string
  readonly endpoints: readonly ServiceEndpoint[]
}

const comment = (r: Rule): string | undefined => r.matches.find((m): m is Extract<Match, { kind: 'comment' }> => m.kind === 'comment')?.text

function dstOf(r: Rule): string | undefined {
  const m = r.matches.find((x): x is Extract<Match, { kind: 'dst' }> => x.kind === 'dst' && !x.neg)
  return m?.cidr.text.replace(/\/32$/, '')
}

function dportOf(r: Rule): number | undefined {
  const m = r.matches.find((x): x is Extract<Match, { kind: 'dport' }> => x.kind === 'dport' && !x.neg)
  return m?.ports[0]?.from
}

function protoOf(r: Rule): string {
  const m = r.matches.find((x): x is Extract<Match, { kind: 'proto' }> => x.kind === 'proto' && !x.neg)
  return m?.proto ?? 'all'
}

function statisticOf(r: Rule): number | undefined {
  for (const m of r.matches) if (m.kind === 'statistic' && m.mode === 'random' && !m.neg) return m.probability
  return undefined
}

const jumpTarget = (r: Rule): string | undefined => (r.target.kind === 'jump' || r.target.kind === 'goto' ? r.target.chain : undefined)

/**
 * Every ClusterIP the nat table routes through a service chain, with its endpoints and the
 * chance of each.
 *
 * @example
 * serviceChains(parseIptablesSave(text).ruleset)[0]?.endpoints.map((e) => e.probability) // [0.5, 0.5]
 */
export function serviceChains(rs: Ruleset): ServiceChain[] {
  const nat = rs.tables.nat
  const services = nat?.chains['KUBE-SERVICES']
  if (!nat || !services) return []
  const out: ServiceChain[] = []
  const seen = new Set<string>()
  for (const r of services.rules) {
    const target = jumpTarget(r)
    if (!target || !/^KUBE-SV[CL]-/.test(target)) continue
    const clusterIP = dstOf(r)
    if (!clusterIP) continue
    const port = dportOf(r)
    const proto = protoOf(r)
    const key = `${clusterIP}:${port ?? '*'}/${proto}` // same as worldToGraph's serviceKey
    if (seen.has(key)) continue
    seen.add(key)
    const name = (comment(r) ?? target).replace(/ cluster IP$/, '')
    out.push({ key, name, clusterIP, port, proto, svcChain: target, servicesRuleId: r.id, servicesRuleRaw: r.raw, endpoints: endpointsOf(rs, target) })
  }
  return out
}

function endpointsOf(rs: Ruleset, svcChain: string): ServiceEndpoint[] {
  const nat = rs.tables.nat
  const chain = nat?.chains[svcChain]
  if (!nat || !chain) return []
  const out: ServiceEndpoint[] = []
  let remaining = 1
  for (const r of chain.rules) {
    const target = jumpTarget(r)
    if (!target || !target.startsWith('KUBE-SEP-')) continue
    const p = statisticOf(r)
    const probability = remaining * (p ?? 1)
    remaining -= probability
    const dnat = dnatOf(rs, target)
    out.push({ sepChain: target, probability, ...(p !== undefined && { ruleProbability: p }), dnat: dnat ?? '?', ip: dnat?.split(':')[0] ?? '?', svcRuleId: r.id })
    if (p === undefined) break // an unconditional jump: later rules are never reached
  }
  return out
}

function dnatOf(rs: Ruleset, sepChain: string): string | undefined {
  const chain = rs.tables.nat?.chains[sepChain]
  for (const r of chain?.rules ?? []) {
    if (r.target.kind !== 'DNAT') continue
    const to = r.target.to
    if (to.fromIp) return `${to.fromIp}${to.fromPort !== undefined ? `:${to.fromPort}` : ''}`
  }
  return undefined
}

/** `0.3333` style, as a learner reads a probability on an edge. */
export function formatChance(p: number): string {
  return `${Math.round(p * 1000) / 10}%`
}
