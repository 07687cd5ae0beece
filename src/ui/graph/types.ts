/**
 * The graph the explainer draws: React Flow nodes and edges typed per kind. Plain data built
 * by pure adapters (worldToGraph); positions come later from the layout.
 */
import type { Edge, Node } from '@xyflow/react'
import type { LinkKind, NetnsKind } from '../../engine/model/types.ts'

export interface NetnsData extends Record<string, unknown> {
  readonly netns: string
  readonly nsKind: NetnsKind
  readonly title: string
  readonly subtitle: string
}

export interface PodData extends Record<string, unknown> {
  readonly netns: string
  readonly title: string
  readonly subtitle: string
}

export interface IfaceData extends Record<string, unknown> {
  readonly netns: string
  readonly dev: string
  readonly linkKind: LinkKind
  readonly addrs: readonly string[]
  /** What it is, in one line: `bridge · 2 ports`, `veth ⇄ pod-a eth0`, `VXLAN VNI 1 · UDP 8472`… */
  readonly detail: string
  /** The (at most two) lines the box shows: its address or bridge, then what it is joined to. */
  readonly lines: readonly string[]
  readonly mtu: number
  readonly up: boolean
}

export interface StackData extends Record<string, unknown> {
  readonly netns: string
  readonly title: string
  readonly detail: string
}

export interface ContainersData extends Record<string, unknown> {
  readonly netns: string
  /** The pause container first: it holds the netns the app containers join. */
  readonly containers: readonly { readonly name: string; readonly image: string; readonly pause: boolean }[]
}

export interface SegmentData extends Record<string, unknown> {
  readonly name: string
  readonly cidr: string
}

export interface ServiceData extends Record<string, unknown> {
  readonly name: string
  readonly clusterIP: string
  readonly port: string
  /** Whose ruleset the chain view was read from. */
  readonly from: string
}

export interface ChainData extends Record<string, unknown> {
  readonly chain: string
  readonly role: 'services' | 'svc' | 'sep' | 'more'
  /** For KUBE-SEP: the DNAT destination. For `more`: how many endpoints are folded. */
  readonly detail: string
  /** Service key, for expanding folded endpoints. */
  readonly service?: string
}

export interface PodGroupData extends Record<string, unknown> {
  readonly node: string
  readonly count: number
}

export type NetnsNode = Node<NetnsData, 'netns'>
export type PodNode = Node<PodData, 'pod'>
export type IfaceNode = Node<IfaceData, 'iface'>
export type StackNode = Node<StackData, 'stack'>
export type ContainersNode = Node<ContainersData, 'containers'>
export type SegmentNode = Node<SegmentData, 'segment'>
export type ServiceNode = Node<ServiceData, 'service'>
export type ChainNode = Node<ChainData, 'chain'>
export type PodGroupNode = Node<PodGroupData, 'podGroup'>
export type ServicesGroupNode = Node<{ readonly title: string } & Record<string, unknown>, 'servicesGroup'>

export type PwNode = NetnsNode | PodNode | IfaceNode | StackNode | ContainersNode | SegmentNode | ServiceNode | ChainNode | PodGroupNode | ServicesGroupNode
export type PwNodeKind = NonNullable<PwNode['type']>

/** What an edge is, so it can be drawn as what it is. */
export type EdgeKind = 'veth' | 'port' | 'stack' | 'underlay' | 'vxlan' | 'ipip' | 'bgp' | 'chain'

export interface PwEdgeData extends Record<string, unknown> {
  readonly kind: EdgeKind
  /** Shown on the edge: `VNI 1`, `p=0.5000`, `BGP`. */
  readonly label?: string
  /** false: drawn over the layout (tunnels, BGP, Service → pod), not used to place nodes. */
  readonly layout?: boolean
}

export type PwEdge = Edge<PwEdgeData>

export interface GraphModel {
  readonly nodes: readonly PwNode[]
  readonly edges: readonly PwEdge[]
  /** netns → node standing for it when it is folded away (a collapsed pod group). */
  readonly alias: Readonly<Record<string, string>>
  /** address → netns owning it (for tunnels: which VTEP an outer header goes to). */
  readonly ipOwner: Readonly<Record<string, string>>
}

export const nodeId = {
  netns: (ns: string) => `ns:${ns}`,
  iface: (ns: string, dev: string) => `if:${ns}:${dev}`,
  stack: (ns: string) => `st:${ns}`,
  segment: (name: string) => `seg:${name}`,
  service: (key: string) => `svc:${key}`,
  chain: (name: string) => `ch:${name}`,
  podGroup: (node: string) => `pods:${node}`,
  more: (service: string) => `more:${service}`,
  servicesGroup: () => 'services',
} as const
