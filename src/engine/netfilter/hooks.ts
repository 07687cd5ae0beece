/**
 * The netfilter entry point the tracer calls at each hook. Pure: callers pass the netns,
 * the packet's L3/L4 view and the environment (clock, seeded choices); the result says
 * what happened and returns the updated netns (conntrack, counters, recent lists).
 *
 * STUB: accepts everything and tracks nothing. The netfilter issue replaces the body of
 * processHook; the signature is the contract with src/engine/sim.
 */
import type { Ip } from '../wire/addr.ts'
import type { Netns } from '../model/types.ts'
import type { Effect, NetfilterStep } from '../sim/trace.ts'
import type { ConntrackEntry, CtStateName, Hook } from './types.ts'

/** What netfilter sees of a packet. */
export interface NfPacket {
  readonly src: Ip
  readonly dst: Ip
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly sport?: number
  readonly dport?: number
  readonly icmpType?: number
  readonly icmpCode?: number
  /** For ICMP errors: the tuple of the packet the error is about (RELATED lookups). */
  readonly icmpQuoted?: { readonly src: Ip; readonly dst: Ip; readonly proto: 'tcp' | 'udp' | 'icmp'; readonly sport?: number; readonly dport?: number }
  readonly icmpId?: number
  readonly tcpFlags?: readonly string[]
  readonly len: number
  readonly inIface?: string
  readonly outIface?: string
  /** Bridge ports, when br_netfilter runs the hook for a bridged frame. */
  readonly physIn?: string
  readonly physOut?: string
  readonly mark: number
  /** Set by the first hook that tracks the packet; carried to later hooks. */
  readonly ct?: CtRef
}

export interface CtRef {
  readonly entry: ConntrackEntry
  readonly dir: 'orig' | 'reply'
  readonly state: CtStateName
  /** True until the entry is confirmed (written to the table) at POSTROUTING/INPUT. */
  readonly unconfirmed: boolean
}

export interface NfEnv {
  /** Simulated time, ms. */
  readonly now: number
  /** Take a probabilistic branch (`-m statistic --mode random`); the caller may enumerate. */
  decide(probability: number, label: string): boolean
  /** Uniform [0,1) from the seeded RNG (port selection for MASQUERADE and the like). */
  random(): number
  /** `-m addrtype` type of an address in this netns: LOCAL, UNICAST, BROADCAST, MULTICAST, BLACKHOLE, UNREACHABLE, PROHIBIT. */
  addrType(ip: Ip, iface?: string): string
  /** The source address MASQUERADE picks for a packet leaving through `outIface` towards `dst`. */
  masqueradeSource(outIface: string | undefined, dst: Ip): Ip | undefined
}

export interface NatChange {
  readonly kind: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'un-DNAT' | 'un-SNAT'
  readonly field: 'dst' | 'src'
  readonly from: string
  readonly to: string
  readonly ruleId?: string
}

export interface HookOutcome {
  readonly verdict: 'ACCEPT' | 'DROP' | 'REJECT'
  readonly rejectWith?: string
  /** The packet after NAT and MARK. */
  readonly packet: NfPacket
  readonly netns: Netns
  /** For the trace; `chains` is empty when no table has rules at this hook. */
  readonly step: NetfilterStep
  readonly effects: readonly Effect[]
  readonly nat: readonly NatChange[]
  /** Rules whose matches were assumed rather than simulated. */
  readonly notSimulated: readonly string[]
}

export function processHook(ns: Netns, hook: Hook, pkt: NfPacket, _env: NfEnv, path: 'routed' | 'bridge' = 'routed'): HookOutcome {
  return { verdict: 'ACCEPT', packet: pkt, netns: ns, step: { hook, path, chains: [], verdict: 'ACCEPT' }, effects: [], nat: [], notSimulated: [] }
}
