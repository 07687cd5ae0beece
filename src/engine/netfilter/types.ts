/**
 * Netfilter model: tables, chains and rules exactly as iptables-save shows them, plus
 * conntrack entries, ipsets and `-m recent` lists. Every rule keeps its raw text and the
 * line it came from, so a trace can point at the user's own line.
 */
import type { Ip } from '../wire/addr.ts'
import type { SourceRef } from '../model/types.ts'

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security'
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING'

export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly Hook[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
}

/** A negatable match value (`! -s 10.0.0.0/8`). */
export interface Neg<T> {
  readonly neg: boolean
  readonly value: T
}

/** A CIDR as written plus its numeric form for fast matching. */
export interface CidrValue {
  readonly text: string
  readonly net: number
  readonly mask: number
}

export type PortSpec = { readonly from: number; readonly to: number }

/**
 * One match of a rule. `module` is the `-m` module it belongs to (absent for the base
 * matches -s -d -p -i -o -f). Matches the engine does not model are kept as `unknown`
 * with their text, and evaluation treats them as stated in `assumption`.
 */
export type Match =
  | { readonly kind: 'src'; readonly neg: boolean; readonly cidr: CidrValue }
  | { readonly kind: 'dst'; readonly neg: boolean; readonly cidr: CidrValue }
  | { readonly kind: 'proto'; readonly neg: boolean; readonly proto: string }
  | { readonly kind: 'in'; readonly neg: boolean; readonly iface: string }
  | { readonly kind: 'out'; readonly neg: boolean; readonly iface: string }
  | { readonly kind: 'fragment'; readonly neg: boolean }
  | { readonly kind: 'sport'; readonly module: string; readonly neg: boolean; readonly ports: readonly PortSpec[] }
  | { readonly kind: 'dport'; readonly module: string; readonly neg: boolean; readonly ports: readonly PortSpec[] }
  | { readonly kind: 'tcp-flags'; readonly neg: boolean; readonly mask: readonly string[]; readonly comp: readonly string[] }
  | { readonly kind: 'syn'; readonly neg: boolean }
  | { readonly kind: 'icmp-type'; readonly neg: boolean; readonly type: number; readonly code?: number; readonly text: string }
  | { readonly kind: 'comment'; readonly text: string }
  | { readonly kind: 'statistic'; readonly mode: 'random'; readonly probability: number; readonly neg: boolean; readonly text: string }
  | { readonly kind: 'statistic'; readonly mode: 'nth'; readonly every: number; readonly packet: number; readonly neg: boolean; readonly text: string }
  | { readonly kind: 'mark'; readonly neg: boolean; readonly value: number; readonly mask: number }
  /** `-m connmark --mark v[/m]`: the connection's mark (no conntrack entry: never matches, even with `!`). */
  | { readonly kind: 'connmark'; readonly neg: boolean; readonly value: number; readonly mask: number }
  /** `-m conntrack --ctstate` (module absent or 'conntrack') or the older `-m state --state`. */
  | { readonly kind: 'ctstate'; readonly neg: boolean; readonly states: readonly CtStateName[]; readonly module?: 'conntrack' | 'state' }
  | { readonly kind: 'ctstatus'; readonly neg: boolean; readonly statuses: readonly string[] }
  | { readonly kind: 'addrtype'; readonly src?: Neg<readonly string[]>; readonly dst?: Neg<readonly string[]>; readonly limitIfaceIn?: boolean; readonly limitIfaceOut?: boolean }
  | { readonly kind: 'recent'; readonly mode: 'set' | 'rcheck' | 'update' | 'remove'; readonly neg: boolean; readonly name: string; readonly seconds?: number; readonly hitcount?: number; readonly reap?: boolean; readonly rsource: boolean; readonly mask?: Ip }
  | { readonly kind: 'set'; readonly neg: boolean; readonly name: string; readonly flags: readonly ('src' | 'dst')[] }
  | { readonly kind: 'physdev'; readonly physIn?: Neg<string>; readonly physOut?: Neg<string>; readonly isBridged?: boolean; readonly isIn?: boolean; readonly isOut?: boolean }
  | { readonly kind: 'limit'; readonly text: string }
  | { readonly kind: 'unknown'; readonly module: string; readonly text: string; readonly assumption: 'match' | 'no-match' }
  /** A `-m MODULE` loaded with no options of its own (`-p tcp -m tcp`): matches whatever `-p` allows. */
  | { readonly kind: 'module'; readonly module: string }

export type CtStateName = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'DNAT' | 'SNAT'

export interface NatRange {
  readonly fromIp?: Ip
  readonly toIp?: Ip
  readonly fromPort?: number
  readonly toPort?: number
}

export type Target =
  /** `text`: the target's options as written (`--log-prefix "x: "` for LOG). */
  | { readonly kind: 'ACCEPT' | 'DROP' | 'RETURN' | 'LOG' | 'NOTRACK'; readonly text?: string }
  | { readonly kind: 'REJECT'; readonly rejectWith?: string }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'goto'; readonly chain: string }
  | { readonly kind: 'DNAT'; readonly to: NatRange; readonly text: string; readonly random?: boolean; readonly persistent?: boolean }
  | { readonly kind: 'SNAT'; readonly to: NatRange; readonly text: string; readonly randomFully?: boolean; readonly random?: boolean }
  | { readonly kind: 'MASQUERADE'; readonly toPorts?: PortSpec; readonly random?: boolean; readonly randomFully?: boolean }
  /** `value`/`mask` are the kernel's xmark pair whatever `op` was written: mark = (mark & ~mask) ^ value. */
  | { readonly kind: 'MARK'; readonly op: 'set-xmark' | 'set-mark' | 'or-mark' | 'and-mark' | 'xor-mark'; readonly value: number; readonly mask: number }
  | { readonly kind: 'CT'; readonly notrack?: boolean; readonly text: string }
  /**
   * CONNMARK (xt_connmark): `set` ctmark = (ctmark & ~mask) ^ value; `save` ctmark = (ctmark &
   * ~ctmask) ^ (mark & nfmask); `restore` mark = (mark & ~nfmask) ^ (ctmark & ctmask).
   */
  | { readonly kind: 'CONNMARK'; readonly op: 'set'; readonly value: number; readonly mask: number }
  | { readonly kind: 'CONNMARK'; readonly op: 'save' | 'restore'; readonly nfmask: number; readonly ctmask: number }
  | { readonly kind: 'other'; readonly name: string; readonly text: string }
  /** No -j: the rule only counts. */
  | { readonly kind: 'none' }

export interface Rule {
  /** Stable within one ruleset: `nat:KUBE-SERVICES:3` (1-based, as `--line-numbers`). */
  readonly id: string
  readonly table: TableName
  readonly chain: string
  readonly matches: readonly Match[]
  readonly target: Target
  /** The rule-spec as written, without `-A CHAIN`. */
  readonly raw: string
  readonly source?: SourceRef
  readonly counters?: readonly [number, number]
}

export interface Chain {
  readonly name: string
  /** Built-in chains have a policy; user chains do not. */
  readonly policy?: 'ACCEPT' | 'DROP'
  readonly counters?: readonly [number, number]
  readonly rules: readonly Rule[]
  readonly source?: SourceRef
}

export interface Table {
  readonly name: TableName
  /** Chains in the order iptables-save printed (built-ins first). */
  readonly chains: Readonly<Record<string, Chain>>
  readonly order: readonly string[]
}

export interface Ruleset {
  readonly tables: Readonly<Partial<Record<TableName, Table>>>
}

export interface IpSet {
  readonly name: string
  readonly type: string
  readonly members: readonly string[]
}

export interface RecentEntry {
  readonly addr: Ip
  readonly last: number
  readonly hits: number
}

export interface CtTuple {
  readonly src: Ip
  readonly dst: Ip
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly sport: number
  readonly dport: number
}

/**
 * A conntrack entry, as `conntrack -L` shows it: the original tuple and the tuple a reply
 * must carry. NAT is the difference between `reply` and the inverse of `orig`.
 */
export interface ConntrackEntry {
  readonly id: number
  readonly orig: CtTuple
  readonly reply: CtTuple
  /** TCP state name (SYN_SENT, ESTABLISHED...) or undefined for udp/icmp. */
  readonly tcpState?: string
  readonly status: readonly ('SEEN_REPLY' | 'ASSURED' | 'CONFIRMED' | 'DNAT' | 'SNAT' | 'UNREPLIED')[]
  readonly mark: number
  /** Simulated time (ms) the entry expires. */
  readonly expires: number
  /** Simulated time (ms) the entry was created (UDP becomes a "stream" 2 s after it). */
  readonly created?: number
  readonly zone?: number
}

export const EMPTY_RULESET: Ruleset = { tables: {} }
