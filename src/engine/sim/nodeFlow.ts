/**
 * One node's rules, one packet: the tracer run on a rules-only node (a bare iptables-save and
 * the node's local addresses), as `packetwalk trace` does for such input. A packet from a
 * local address takes OUTPUT → POSTROUTING (and PREROUTING → INPUT over lo when it stays
 * local); any other arrives on eth0 and takes PREROUTING, then INPUT when its (possibly
 * DNATed) destination is local, else FORWARD → POSTROUTING and out.
 */
import { isIpv4 } from '../wire/addr.ts'
import { newNetns } from '../model/ops.ts'
import type { Netns, World } from '../model/types.ts'
import type { Ruleset } from '../netfilter/types.ts'
import type { Decide } from '../netfilter/enumerate.ts'
import { simulate } from './simulate.ts'
import type { NetfilterStep, TraceStep } from './trace.ts'

export interface NodeFlow {
  readonly src: string
  readonly dst: string
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly dport?: number
  readonly sport?: number
}

export interface NodeFlowResult {
  readonly verdict: 'ACCEPT' | 'DROP' | 'REJECT'
  readonly dnat: string | null
  readonly masquerade: boolean
  /** A filter rule (not a policy) accepted the packet. */
  readonly acceptedByRule: boolean
  /** The packet went through KUBE-MARK-MASQ. */
  readonly markedMasq: boolean
  /** Every hook the request went through, in order. */
  readonly hooks: readonly NetfilterStep[]
  readonly steps: readonly TraceStep[]
  readonly netns: Netns
}

/** A world holding one node: its ruleset, and its local addresses on an eth0 leading out of the model. */
export function rulesOnlyWorld(rs: Ruleset, localIps: readonly string[]): World {
  const base = newNetns('node', 'host', { sysctl: { 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true }, ruleset: rs })
  const addrs = localIps.filter((ip) => isIpv4(ip) && !ip.startsWith('127.')).map((ip) => ({ ip, len: 32, scope: 'global' as const }))
  const eth0 = { kind: 'phys' as const, ifindex: 2, name: 'eth0', mtu: 1500, mac: '02:00:00:00:00:02', up: true, addrs }
  const ns: Netns = { ...base, links: [...base.links, eth0], nextIfindex: 3, socketsUnknown: true }
  return { netns: { node: ns }, segments: {}, nodes: ['node'] }
}

/**
 * Walk one packet through a node's rules with the tracer.
 * @example runNodeFlow(rs, ['192.168.0.2'], { src: '10.0.0.2', dst: '172.30.0.41', proto: 'tcp', dport: 80 }, () => true).dnat // '10.180.0.1:80'
 */
export function runNodeFlow(rs: Ruleset, localIps: readonly string[], flow: NodeFlow, decide: Decide, opts: { now?: number; seed?: number } = {}): NodeFlowResult {
  const world = rulesOnlyWorld(rs, localIps)
  const r = simulate(world, { from: flow.src, to: flow.dst, proto: flow.proto, ...(flow.dport !== undefined && { dport: flow.dport }), ...(flow.sport !== undefined && { sport: flow.sport }), roundTrip: false }, { decide, now: opts.now ?? 0, seed: opts.seed ?? 1 })
  const hooks = r.steps.filter((s) => s.flow === 'request' && s.netfilter).map((s) => s.netfilter!)
  const walks = hooks.flatMap((h) => h.chains)
  const o = r.outcome
  return {
    verdict: o.verdict === 'dropped' ? 'DROP' : o.verdict === 'rejected' ? 'REJECT' : 'ACCEPT',
    dnat: o.dnat,
    masquerade: o.masquerade,
    acceptedByRule: walks.some((w) => w.table === 'filter' && w.exit === 'ACCEPT'),
    markedMasq: walks.some((w) => w.chain === 'KUBE-MARK-MASQ'),
    hooks,
    steps: r.steps,
    netns: r.world.netns.node!,
  }
}
