/**
 * A trace is plain data: the steps a packet took, each with where it happened, the packet
 * as it was after the step, a short factual explanation, the table entry that decided it,
 * and the state changes it made (so a viewer can restore the state at any step).
 */
import type { Ip } from '../wire/addr.ts'
import type { Packet } from '../wire/packet.ts'
import type { Addr, DnsCacheEntry, FdbEntry, Listener, NeighEntry, Route, RoutingRule } from '../model/types.ts'
import type { ConntrackEntry, Hook, RecentEntry, TableName } from '../netfilter/types.ts'

export type StepKind =
  | 'send' // a socket hands a packet to the stack
  | 'tx' // leaves through an interface
  | 'rx' // arrives on an interface
  | 'veth' // crosses a veth pair into the peer netns
  | 'segment' // crosses the underlay L2 segment
  | 'fdb-learn'
  | 'fdb-hit'
  | 'flood'
  | 'bridge-local' // the bridge hands the frame up to its own IP stack
  | 'neigh-hit'
  | 'arp-request'
  | 'arp-reply'
  | 'neigh-learn'
  | 'route'
  | 'forward'
  | 'ttl'
  | 'netfilter' // a hook ran: see `netfilter`
  | 'conntrack'
  | 'nat'
  | 'encap'
  | 'decap'
  | 'icmp-error'
  | 'deliver' // a socket receives it
  | 'reply' // the receiving socket answers
  | 'dns' // a resolver or DNS server decision
  | 'drop'
  | 'note'

/** Which packet of the exchange a step belongs to; the UI gives each its own colour and shape. */
export type Flow = 'request' | 'reply' | 'arp' | 'icmp-error' | 'dns-query' | 'dns-reply'

/** The table entry that decided a step. */
export type TableRef =
  /** `rule`: the policy routing rule that chose the table (only when the netns has rules beyond the defaults). */
  | { readonly table: 'route'; readonly netns: string; readonly route: Route; readonly reason: string; readonly index?: number; readonly rule?: RoutingRule }
  | { readonly table: 'neigh'; readonly netns: string; readonly entry: NeighEntry }
  | { readonly table: 'fdb'; readonly netns: string; readonly entry: FdbEntry }
  | { readonly table: 'rule'; readonly netns: string; readonly ruleId: string; readonly raw: string; readonly chain: string; readonly tableName: TableName; readonly line?: number; readonly file?: string }
  | { readonly table: 'policy'; readonly netns: string; readonly tableName: TableName; readonly chain: string; readonly policy: string }
  | { readonly table: 'conntrack'; readonly netns: string; readonly entry: ConntrackEntry }
  | { readonly table: 'sysctl'; readonly netns: string; readonly key: string; readonly value: string }
  | { readonly table: 'addr'; readonly netns: string; readonly dev: string; readonly addr: Addr }
  | { readonly table: 'socket'; readonly netns: string; readonly listener: Listener }
  | { readonly table: 'link'; readonly netns: string; readonly dev: string; readonly field: string; readonly value: string }

/** A state change made by a step. Applying a step's effects in order reproduces the state after it. */
export type Effect =
  | { readonly kind: 'neigh'; readonly netns: string; readonly entry: NeighEntry }
  | { readonly kind: 'fdb'; readonly netns: string; readonly entry: FdbEntry }
  | { readonly kind: 'conntrack'; readonly netns: string; readonly entry: ConntrackEntry }
  | { readonly kind: 'counter'; readonly netns: string; readonly ruleId: string; readonly bytes: number }
  | { readonly kind: 'recent'; readonly netns: string; readonly list: string; readonly entry: RecentEntry }
  | { readonly kind: 'dns-cache'; readonly netns: string; readonly key: string; readonly entry: DnsCacheEntry }

/** One rule as evaluated for one packet. */
export interface RuleEval {
  readonly ruleId: string
  readonly index: number
  readonly raw: string
  readonly line?: number
  /** 'matched', 'missed' (with the failing match), or a match the engine does not model. */
  readonly result: 'matched' | 'missed'
  /** For a miss: which match failed, human-readable (`-d 10.96.0.10/32 ≠ 10.96.45.123`). */
  readonly failed?: string
  /** Matches assumed rather than simulated (`-m limit`: assumed to match). */
  readonly assumed?: readonly string[]
  /** What the rule did when it matched: `jump KUBE-SVC-…`, `DNAT → 10.244.1.2:80`, `ACCEPT`… */
  readonly action?: string
  /** For `-m statistic --mode random`: the probability and whether this run took it. */
  readonly probability?: number
}

export interface ChainWalk {
  readonly table: TableName
  readonly chain: string
  readonly rules: readonly RuleEval[]
  /** How the chain ended: a verdict, RETURN, end of chain (policy or return to caller). */
  readonly exit: string
  /**
   * Compact form for long chains (netfilter): rules `from..to` (1-based, inclusive) were
   * evaluated and all missed, and have no entry in `rules`. Why each missed is
   * `explainMiss(rule, packet)` from netfilter/eval.ts (their `-d` differs from the packet's).
   */
  readonly missRuns?: readonly MissRun[]
}

export interface MissRun {
  readonly from: number
  readonly to: number
}

export interface NetfilterStep {
  readonly hook: Hook
  /** `bridge` when br_netfilter ran the hook for a bridged frame. */
  readonly path: 'routed' | 'bridge'
  readonly chains: readonly ChainWalk[]
  readonly verdict: string
  /** Short facts about the hook: conntrack state, NAT applied from conntrack, "no netfilter rules in this netns". */
  readonly notes?: readonly string[]
}

export interface TraceStep {
  readonly kind: StepKind
  readonly flow: Flow
  readonly netns: string
  readonly dev?: string
  /** For crossings (veth, segment, tunnel): where the packet went. */
  readonly to?: { readonly netns: string; readonly dev: string }
  /** The packet after this step. */
  readonly packet: Packet
  /** A short factual explanation. */
  readonly explain: string
  readonly ref?: TableRef
  readonly effects?: readonly Effect[]
  readonly netfilter?: NetfilterStep
  /** What this step could not model, said plainly. */
  readonly notSimulated?: readonly string[]
  /** For flooded copies: which copy of the frame this step follows. */
  readonly copy?: string
  /** Steps the viewer may fold away (ignored flooded copies). */
  readonly minor?: boolean
  /** Simulated time in ms (clock passed in + per-hop latency). */
  readonly t: number
}

export type Verdict = 'delivered' | 'dropped' | 'rejected'

export interface ReplyOutcome {
  readonly verdict: Verdict
  readonly dropReason: string | null
  /** Did the source receive the reply as the one it expects (same addresses it talked to)? */
  readonly matchesRequest?: boolean
}

export interface Outcome {
  readonly probability: number
  readonly verdict: Verdict
  /** `ip:port` (or `ip` for ICMP) of the socket that received the request. */
  readonly deliveredTo: string | null
  readonly deliveredNetns?: string | null
  readonly dnat: string | null
  readonly snat: string | null
  readonly masquerade: boolean
  readonly encapsulated: boolean
  readonly dropReason: string | null
  readonly reply: ReplyOutcome | null
  readonly steps: readonly TraceStep[]
}

export interface SendSpec {
  /** A netns name, or an address owned by some netns. */
  readonly from: string
  readonly to: Ip
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly dport?: number
  readonly sport?: number
  /** IP total length in bytes (default: a small packet). */
  readonly size?: number
  readonly df?: boolean
  readonly ttl?: number
  /** Payload for UDP (DNS queries travel as DNS messages). */
  readonly dns?: { readonly name: string; readonly type: 'A' | 'SRV' | 'PTR' | 'AAAA' }
  /** Also trace the answer back to the source (default true). */
  readonly roundTrip?: boolean
  /** Which interface a packet from outside arrives on (rules-only worlds). */
  readonly inIface?: string
}
