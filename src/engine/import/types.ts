/**
 * What the importer understood from node dumps: per node, the Linux state in the engine's own
 * types (routes, neighbours, FDB, ruleset, conntrack…) plus what it inferred about Kubernetes,
 * each inference with the input lines it came from. Plain JSON-serialisable data.
 */
import type { Diagnostic } from '../diagnostics.ts'
import type { Addr, FdbEntry, LinkKind, NeighEntry, ResolvConf, Route, RoutingRule, SourceRef, Sysctls } from '../model/types.ts'
import type { ConntrackEntry, IpSet, Ruleset } from '../netfilter/types.ts'
import type { Ip, Mac } from '../wire/addr.ts'
import type { DumpFormat } from './formats.ts'

/** Where an inference or element came from: a line of an input. */
export interface From {
  readonly file: string
  readonly line: number
}

export interface VxlanAttrs {
  readonly vni: number
  readonly local?: Ip
  readonly remote?: Ip
  readonly group?: Ip
  readonly dev?: string
  readonly dstport?: number
  readonly learning: boolean
}

export interface ImportedInterface {
  readonly name: string
  readonly ifindex?: number
  /** The engine's link kind; see `kindFrom` for how sure we are. */
  readonly kind: LinkKind
  /** What the dump called it when the engine has no such kind (`wireguard`, `vlan`, `tun`…). */
  readonly realKind?: string
  /** `details`: from `ip -d link`/`-j` linkinfo; `link-type`: `link/ipip`…; `name`: guessed from the name; `usage`: from how other lines use it. */
  readonly kindFrom: 'details' | 'link-type' | 'name' | 'usage'
  readonly mtu?: number
  readonly mac?: Mac
  readonly up?: boolean
  readonly flags?: readonly string[]
  readonly master?: string
  readonly addrs: readonly Addr[]
  /** `vethX@if4` → 4. */
  readonly peerIfindex?: number
  /** `bridge link` prints the peer's name (`vethX@eth0`). */
  readonly peerName?: string
  readonly linkNetnsid?: number
  /** `link-netns cni-1234…` when the peer netns is named. */
  readonly linkNetns?: string
  readonly vxlan?: VxlanAttrs
  readonly ipip?: { readonly local?: Ip; readonly remote?: Ip }
  readonly bridge?: { readonly ageingTime?: number; readonly stp?: boolean; readonly vlanFiltering?: boolean }
  readonly hairpin?: boolean
  readonly proxyArp?: boolean
  readonly rpFilter?: 0 | 1 | 2
  readonly noarp?: boolean
  readonly altnames?: readonly string[]
  /** Not listed by `ip link`/`ip addr`: known only because routes, neighbours or FDB name it. */
  readonly referencedOnly?: boolean
  readonly from: readonly From[]
}

export interface ImportedConntrack {
  readonly entry: ConntrackEntry
  readonly from: From
  readonly raw: string
}

export interface InferredPod {
  readonly ip: Ip
  /** On this node (host end, FDB, /32 route or local pod CIDR) or seen only as a DNAT target elsewhere. */
  readonly local: boolean
  /** Host end of the pod's veth, when the dump shows it. */
  readonly hostVeth?: string
  readonly mac?: Mac
  /** Services this pod is an endpoint of (`ns/name:port`). */
  readonly endpointOf?: readonly string[]
  /** Ports the pod serves as a Service endpoint. */
  readonly ports?: readonly { readonly port: number; readonly proto: 'tcp' | 'udp' | 'sctp' }[]
  readonly how: readonly ('veth' | 'fdb' | 'neigh' | 'route' | 'dnat' | 'conntrack')[]
  readonly from: readonly From[]
}

export interface InferredEndpoint {
  readonly ip: Ip
  readonly port: number
  readonly probability?: number
  readonly chain?: string
  readonly from: readonly From[]
}

export interface InferredServicePort {
  readonly namespace: string
  readonly name: string
  /** Port name (`dns-tcp`), empty when unnamed. */
  readonly portName: string
  readonly protocol: 'tcp' | 'udp' | 'sctp'
  readonly clusterIP?: Ip
  readonly port?: number
  readonly nodePort?: number
  readonly externalIPs?: readonly Ip[]
  readonly loadBalancerIPs?: readonly Ip[]
  /** The KUBE-SVC-… chain. */
  readonly chain?: string
  readonly endpoints: readonly InferredEndpoint[]
  readonly from: readonly From[]
}

export interface Inference<T> {
  readonly value: T
  readonly from: readonly From[]
}

export interface InferredRemoteNode {
  /** Underlay address of the other node (VXLAN FDB dst, BGP next hop). */
  readonly ip: Ip
  readonly podCidr?: string
  readonly vtepMac?: Mac
  readonly from: readonly From[]
}

export interface Inferred {
  readonly cni?: Inference<{ readonly name: 'flannel' | 'calico' | 'cilium' | 'weave' | 'bridge'; readonly mode?: string }>
  readonly kubeProxyMode?: Inference<'iptables' | 'ipvs' | 'nftables'>
  readonly clusterCidr?: Inference<string>
  readonly podCidr?: Inference<string>
  readonly nodeIps: readonly Inference<{ readonly ip: Ip; readonly dev?: string; readonly len?: number }>[]
  readonly pods: readonly InferredPod[]
  readonly services: readonly InferredServicePort[]
  readonly remoteNodes: readonly InferredRemoteNode[]
}

export interface ImportedNode {
  readonly name: string
  /** Where the name came from. */
  readonly nameFrom: 'input' | 'bundle' | 'prompt' | 'hostname' | 'default'
  readonly files: readonly string[]
  readonly interfaces: readonly ImportedInterface[]
  readonly routes: readonly Route[]
  readonly neighbours: readonly NeighEntry[]
  readonly fdb: readonly FdbEntry[]
  /** table → chain → rule count. */
  readonly chains: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly ruleset: Ruleset
  /** Built-in chains the dump printed (`nat:PREROUTING`); the others are empty placeholders. */
  readonly builtinChainsSeen: readonly string[]
  /** `iptables -V`: nf_tables or legacy, when the dump says. */
  readonly iptablesBackend?: 'nf_tables' | 'legacy'
  readonly sysctls: Partial<Sysctls>
  /** Every sysctl key the dump printed (`unavailable` when sysctl said it cannot stat it). */
  readonly sysctlRaw: Readonly<Record<string, { readonly value: string; readonly from: From }>>
  readonly resolvConf?: ResolvConf
  readonly conntrack: readonly ImportedConntrack[]
  /** `ipset save` / `ipset list`: the sets `-m set` rules test (IPv4 ones). */
  readonly ipsets?: readonly IpSet[]
  /** `ip rule` / `ip -j rule`: every policy routing rule, the defaults included, in priority order (absent when the dump has no such output). */
  readonly ipRules?: readonly RoutingRule[]
  readonly flannelEnv?: Readonly<Record<string, string>>
  readonly cniConfigs?: readonly { readonly file: string; readonly name?: string; readonly types: readonly string[] }[]
  /** Addresses given on the command line (`--local-ip`). */
  readonly localIps?: readonly Ip[]
  /** Which outputs the node's dump contained, for "what is missing" hints. */
  readonly formats: readonly DumpFormat[]
  readonly inferred: Inferred
}

export interface ImportedBlock {
  readonly file: string
  readonly format: DumpFormat
  readonly startLine: number
  readonly endLine: number
  readonly node?: string
  readonly command?: string
}

export interface ImportResult {
  readonly nodes: readonly ImportedNode[]
  readonly notUnderstood: readonly { readonly file: string; readonly line: number; readonly text: string }[]
  readonly unsupported: readonly { readonly file: string; readonly line: number; readonly format: string; readonly message: string }[]
  readonly diagnostics: readonly Diagnostic[]
  /** How each input was split, so every line can be accounted for. */
  readonly blocks: readonly ImportedBlock[]
}

/** One input: a file or a paste; `node` names its node (a folder name, `--node`). */
export interface DumpInput {
  readonly name: string
  readonly text: string
  readonly node?: string
  /** `--local-ip`: addresses that count as the node's own when the dump has no interfaces. */
  readonly localIps?: readonly Ip[]
}

export type { SourceRef }
