/**
 * The world: every network namespace with its links, addresses, routes, neighbours,
 * bridge/VXLAN FDB, sysctls, netfilter ruleset and conntrack table, plus the underlay
 * segments that join nodes. Plain data (JSON-serialisable); engine functions return new
 * worlds instead of mutating the one they were given.
 */
import type { Ip, Mac } from '../wire/addr.ts'
import type { ConntrackEntry, Ruleset, IpSet, RecentEntry } from '../netfilter/types.ts'
import type { ClusterState } from '../kube/state.ts'
import type { DnsRecord } from '../wire/packet.ts'

/** Where a model element came from: a line of a file the user gave us. */
export interface SourceRef {
  readonly file?: string
  readonly line: number
  readonly col?: number
}

export interface Addr {
  readonly ip: Ip
  readonly len: number
  readonly scope?: 'global' | 'link' | 'host'
  readonly broadcast?: Ip
  /** `noprefixroute`: no automatic prefix route in the main table. */
  readonly noprefixroute?: boolean
}

export interface LinkBase {
  readonly ifindex: number
  readonly name: string
  readonly mtu: number
  readonly mac: Mac
  readonly up: boolean
  /** Name of the bridge (in the same netns) this link is a port of. */
  readonly master?: string
  readonly addrs: readonly Addr[]
  /** Bridge port flag: allow frames to leave through the port they came in on. */
  readonly hairpin?: boolean
  /** Answer ARP for any address routed elsewhere (Calico's cali* host ends). */
  readonly proxyArp?: boolean
  /** `net.ipv4.conf.<dev>.rp_filter`; the device filters by the larger of this and `conf.all` (absent: 0). */
  readonly rpFilter?: 0 | 1 | 2
  /** NOARP flag: the link never resolves neighbours (tunl0, lo). */
  readonly noarp?: boolean
  readonly altnames?: readonly string[]
  readonly source?: SourceRef
}

export interface LoopbackLink extends LinkBase {
  readonly kind: 'loopback'
}

export interface VethLink extends LinkBase {
  readonly kind: 'veth'
  /** The other end. Absent when unknown (an imported dump that only shows one side). */
  readonly peer?: { readonly netns: string; readonly name: string }
  /** From `ip link`: `vethX@if4` → 4, and `link-netnsid 0`. Kept for imported dumps. */
  readonly peerIfindex?: number
  readonly linkNetnsid?: number
}

export interface BridgeLink extends LinkBase {
  readonly kind: 'bridge'
  /** FDB ageing time in seconds (kernel default 300). */
  readonly ageingTime: number
  readonly stp?: boolean
}

export interface VxlanLink extends LinkBase {
  readonly kind: 'vxlan'
  readonly vni: number
  readonly local?: Ip
  readonly dstport: number
  /** Underlay device the encapsulated packets leave through. */
  readonly dev?: string
  readonly learning: boolean
  /** Static remote for point-to-point VXLAN (`remote IP`). */
  readonly remote?: Ip
  readonly group?: Ip
  /** Seconds a learned FDB entry lives (`ageing`, kernel default 300). */
  readonly ageing?: number
}

/** A physical (or virtual machine) NIC, wired to an underlay segment. */
export interface PhysLink extends LinkBase {
  readonly kind: 'phys'
  readonly segment?: string
}

/** IP-in-IP tunnel device (Calico's tunl0). */
export interface IpipLink extends LinkBase {
  readonly kind: 'ipip'
  readonly local?: Ip
  readonly remote?: Ip
}

export interface DummyLink extends LinkBase {
  readonly kind: 'dummy'
}

export type Link = LoopbackLink | VethLink | BridgeLink | VxlanLink | PhysLink | IpipLink | DummyLink
export type LinkKind = Link['kind']

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw'

export interface Route {
  /** `default`, or a prefix `a.b.c.d/len` (host routes may be written without `/32`). */
  readonly dst: string
  readonly type: RouteType
  readonly table: 'main' | 'local' | number
  readonly via?: Ip
  readonly dev?: string
  readonly onlink?: boolean
  readonly scope: 'global' | 'link' | 'host'
  readonly src?: Ip
  /** `kernel`, `boot`, `static`, `bird`, `dhcp`, ... */
  readonly proto: string
  readonly metric?: number
  readonly mtu?: number
  readonly source?: SourceRef
  readonly raw?: string
}

/**
 * One policy routing rule, as `ip rule` lists it. A netns without `rules` has the kernel's
 * three defaults (0 lookup local, 32766 lookup main, 32767 lookup default); one with `rules`
 * has exactly those listed, in priority order (equal priorities in the order added).
 */
export interface RoutingRule {
  readonly priority: number
  /** `not`: the selector is inverted (the action applies when it does not match). */
  readonly not?: boolean
  /** Source prefix (`from 10.0.0.5` or `from 10.0.0.0/24`); absent = all. */
  readonly from?: string
  readonly to?: string
  readonly iif?: string
  readonly oif?: string
  readonly fwmark?: number
  /** Mask for `fwmark`, 0xffffffff when written without one. */
  readonly fwmask?: number
  readonly tos?: number
  readonly ipproto?: 'tcp' | 'udp' | 'icmp'
  readonly sport?: { readonly from: number; readonly to: number }
  readonly dport?: { readonly from: number; readonly to: number }
  readonly uidrange?: { readonly from: number; readonly to: number }
  /** Selectors the engine does not model (l3mdev, tun_id…): such a rule never matches, said in the trace. */
  readonly unmodelled?: string
  readonly action: 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit'
  /** For `lookup`: the table (253 is `default`). */
  readonly table?: 'main' | 'local' | number
  /** For `goto`: the priority to continue at. */
  readonly goto?: number
  readonly suppressPrefixlength?: number
  readonly source?: SourceRef
}

export type NeighState = 'PERMANENT' | 'NOARP' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'INCOMPLETE' | 'FAILED'

export interface NeighEntry {
  readonly ip: Ip
  readonly dev: string
  readonly mac?: Mac
  readonly state: NeighState
  /** Simulated time (ms) the entry was last confirmed. */
  readonly updated?: number
  readonly router?: boolean
  readonly source?: SourceRef
}

/**
 * One line of `bridge fdb show`: a MAC learned or configured on a bridge port
 * (`master cni0`), or a VXLAN device's own entry pointing at a remote VTEP (`dst IP self`).
 */
export interface FdbEntry {
  readonly mac: Mac
  readonly dev: string
  readonly master?: string
  readonly dst?: Ip
  readonly vni?: number
  readonly self?: boolean
  /** Configured, never ages (`permanent`); `local` marks the bridge's own port addresses. */
  readonly permanent: boolean
  readonly local?: boolean
  readonly vlan?: number
  readonly updated?: number
  readonly source?: SourceRef
}

export interface Sysctls {
  readonly 'net.ipv4.ip_forward': boolean
  readonly 'net.bridge.bridge-nf-call-iptables': boolean
  readonly 'net.ipv4.conf.all.rp_filter': 0 | 1 | 2
  readonly 'net.ipv4.icmp_echo_ignore_all': boolean
  readonly 'net.ipv4.conf.all.route_localnet': boolean
}

export const DEFAULT_SYSCTLS: Sysctls = {
  'net.ipv4.ip_forward': false,
  'net.bridge.bridge-nf-call-iptables': false,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.icmp_echo_ignore_all': false,
  'net.ipv4.conf.all.route_localnet': false,
}

/** A socket bound and listening (TCP) or bound (UDP) in a netns. */
export interface Listener {
  readonly proto: 'tcp' | 'udp'
  readonly port: number
  /** Bound address; absent = all addresses (0.0.0.0). */
  readonly addr?: Ip
  /** What answers: a name shown in traces (`nginx`, `coredns`). */
  readonly app: string
  /** For DNS servers: the netns answers queries with the world's DNS resolver. */
  readonly dns?: boolean
}

/** A pod's resolver configuration, as /etc/resolv.conf says it. */
export interface ResolvConf {
  readonly nameservers: readonly Ip[]
  readonly search: readonly string[]
  readonly ndots: number
  readonly source?: SourceRef
}

/** One answer kept by CoreDNS's `cache` plugin (plugin/cache item: the message, its TTL and when it was stored). */
export interface DnsCacheEntry {
  /** The question, lowercased, without the trailing dot. */
  readonly name: string
  readonly type: string
  readonly rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED'
  /** The records as first answered (their TTL is the cache duration). */
  readonly answers: readonly DnsRecord[]
  /** Seconds the entry is served for: the answer's lowest TTL, capped by `cache N`, at least 5 (origTTL). */
  readonly ttl: number
  /** Simulated time it was stored, ms. */
  readonly stored: number
  /** The plugin that answered before the cache kept it. */
  readonly plugin: 'kubernetes' | 'forward'
  /** What that plugin said when it answered. */
  readonly explain: string
}

/** What a pod netns is for, when it belongs to a Kubernetes pod. */
export interface PodInfo {
  readonly namespace: string
  readonly name: string
  readonly uid: string
  readonly node: string
  readonly labels: Readonly<Record<string, string>>
  /** The sandbox (pause container) id, as crictl shows it. */
  readonly sandboxId: string
  readonly pauseImage: string
  readonly pausePid: number
  readonly containers: readonly { readonly name: string; readonly image: string; readonly id: string; readonly ports: readonly { readonly name?: string; readonly containerPort: number; readonly protocol: 'TCP' | 'UDP' }[] }[]
}

export type NetnsKind = 'host' | 'pod' | 'client' | 'plain'

export interface Netns {
  readonly name: string
  readonly kind: NetnsKind
  /** The cluster node this netns lives on (the node's own name for a host netns). */
  readonly node?: string
  readonly pod?: PodInfo
  readonly links: readonly Link[]
  readonly routes: readonly Route[]
  /** Policy routing rules (`ip rule`); absent = the kernel's three defaults. */
  readonly rules?: readonly RoutingRule[]
  readonly neigh: readonly NeighEntry[]
  readonly fdb: readonly FdbEntry[]
  readonly sysctl: Sysctls
  readonly netfilter: Ruleset
  readonly ipsets: Readonly<Record<string, IpSet>>
  readonly conntrack: readonly ConntrackEntry[]
  /** `-m recent` lists, by list name. */
  readonly recent: Readonly<Record<string, readonly RecentEntry[]>>
  /** Packet/byte counters by rule id, for rules that have been hit. */
  readonly counters: Readonly<Record<string, readonly [number, number]>>
  readonly listeners: readonly Listener[]
  /** Imported from a dump: which sockets listen is unknown, so local delivery assumes one does. */
  readonly socketsUnknown?: boolean
  readonly resolvConf?: ResolvConf
  /** CoreDNS's `cache` plugin in this netns (a CoreDNS pod), by `dnsCacheKey(name, type)`; expired entries stay until replaced. */
  readonly dnsCache?: Readonly<Record<string, DnsCacheEntry>>
  /** Next ifindex to hand out. */
  readonly nextIfindex: number
}

/** An L2 segment joining physical NICs (the nodes' underlay network). */
export interface Segment {
  readonly name: string
  readonly cidr?: string
  readonly description?: string
  /**
   * Only some of the hosts on this network are in the input (an imported node's LAN): a frame
   * for an address or MAC no modelled host has leaves the model instead of failing.
   */
  readonly partial?: boolean
}

export interface World {
  readonly netns: Readonly<Record<string, Netns>>
  readonly segments: Readonly<Record<string, Segment>>
  /** Cluster node names, in display order. */
  readonly nodes: readonly string[]
  /** Notes on what this world simplifies, shown as "not simulated: …". */
  readonly notes?: readonly string[]
  /** The Kubernetes view attached by the kube layer (Services, endpoints, policies, CNI invocations). */
  readonly cluster?: ClusterState
  /**
   * Services known without a cluster description: inferred from an imported node's kube-proxy
   * rules (comments and chains), so `ns/name[:port]` resolves to their ClusterIP.
   */
  readonly services?: readonly { readonly namespace: string; readonly name: string; readonly portName: string; readonly protocol: string; readonly clusterIP?: Ip; readonly port?: number; readonly nodePort?: number }[]
}
