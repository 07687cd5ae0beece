/**
 * A small packet walk over one node's rules for tests and rules-only traces: a packet from
 * one of the node's local addresses takes OUTPUT → POSTROUTING (and, when its destination
 * is local, PREROUTING → INPUT over lo); any other takes PREROUTING, then INPUT when the
 * (possibly DNATed) destination is local, else FORWARD → POSTROUTING. Local addresses
 * stand in for routing (simplification: no FIB, every remote address leaves via eth0).
 */
import type { Netns } from '../model/types.ts'
import type { Hook, Ruleset } from './types.ts'
import { processHook } from './hooks.ts'
import type { HookOutcome, NfEnv, NfPacket } from './hooks.ts'
import type { Decide } from './enumerate.ts'

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
  readonly hooks: readonly HookOutcome[]
  readonly netns: Netns
}

/** Seeded xorshift for the harness's port picks. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x100000000
  }
}

function bareNetns(ruleset: Ruleset): Netns {
  return { name: 'node', kind: 'host', links: [], routes: [], neigh: [], fdb: [], sysctl: { 'net.ipv4.ip_forward': true, 'net.bridge.bridge-nf-call-iptables': true, 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.icmp_echo_ignore_all': false, 'net.ipv4.conf.all.route_localnet': false }, netfilter: ruleset, ipsets: {}, conntrack: [], recent: {}, counters: {}, listeners: [], nextIfindex: 2 }
}

/**
 * Walk one packet through a node's hooks.
 * @example runNodeFlow(rs, ['192.168.0.2'], { src: '10.0.0.2', dst: '172.30.0.41', proto: 'tcp', dport: 80 }, () => true).dnat // '10.180.0.1:80'
 */
export function runNodeFlow(rs: Ruleset | Netns, localIps: readonly string[], flow: NodeFlow, decide: Decide, opts: { now?: number; seed?: number } = {}): NodeFlowResult {
  let ns = 'tables' in rs ? bareNetns(rs) : rs
  const random = seededRandom(opts.seed ?? 1)
  const env: NfEnv = {
    now: opts.now ?? 0,
    decide,
    random,
    addrType: (ip) => (localIps.includes(ip) ? 'LOCAL' : ip.startsWith('127.') ? 'LOCAL' : 'UNICAST'),
    masqueradeSource: () => localIps.find((ip) => !ip.startsWith('127.') && !ip.includes(':')),
  }
  let pkt: NfPacket = { src: flow.src, dst: flow.dst, proto: flow.proto, ...(flow.proto !== 'icmp' && { sport: flow.sport ?? 40000, dport: flow.dport ?? 80 }), ...(flow.proto === 'icmp' && { icmpType: 8, icmpCode: 0, icmpId: 1 }), ...(flow.proto === 'tcp' && { tcpFlags: ['SYN'] }), len: 60, mark: 0 }
  const hooks: HookOutcome[] = []
  const isLocal = (ip: string) => localIps.includes(ip)
  const run = (h: Hook, ifaces: { in?: string; out?: string }): HookOutcome => {
    const { inIface: _i, outIface: _o, ...rest } = pkt
    const view: NfPacket = { ...rest, ...(ifaces.in !== undefined && { inIface: ifaces.in }), ...(ifaces.out !== undefined && { outIface: ifaces.out }) }
    const res = processHook(ns, h, view, env)
    hooks.push(res)
    ns = res.netns
    pkt = res.packet
    return res
  }
  const seq: [Hook, { in?: string; out?: string }][] = []
  if (isLocal(flow.src)) seq.push(['OUTPUT', { out: 'eth0' }], ['POSTROUTING', { out: 'eth0' }])
  else seq.push(['PREROUTING', { in: 'eth0' }])
  let verdict: NodeFlowResult['verdict'] = 'ACCEPT'
  for (let i = 0; i < seq.length; i++) {
    const [h, ifs] = seq[i]!
    const r = run(h, ifs)
    if (r.verdict !== 'ACCEPT') {
      verdict = r.verdict
      break
    }
    if (h === 'PREROUTING') seq.push(...((isLocal(pkt.dst) ? [['INPUT', { in: ifs.in ?? 'lo' }]] : [['FORWARD', { in: 'eth0', out: 'eth1' }], ['POSTROUTING', { out: 'eth1' }]]) as [Hook, { in?: string; out?: string }][]))
    if (h === 'POSTROUTING' && isLocal(flow.src) && i === 1 && isLocal(pkt.dst)) seq.push(['PREROUTING', { in: 'lo' }])
  }
  const nat = hooks.flatMap((h) => h.nat)
  const dnat = nat.find((c) => c.kind === 'DNAT')?.to ?? null
  const walks = hooks.flatMap((h) => h.step.chains)
  return {
    verdict,
    dnat,
    masquerade: nat.some((c) => c.kind === 'MASQUERADE'),
    acceptedByRule: walks.some((w) => w.table === 'filter' && w.exit === 'ACCEPT'),
    markedMasq: walks.some((w) => w.chain === 'KUBE-MARK-MASQ'),
    hooks,
    netns: ns,
  }
}
