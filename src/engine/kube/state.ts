/**
 * ClusterState: the Kubernetes view the kube layer keeps beside the World — nodes with their
 * CNI data, pods with their sandboxes, Services, EndpointSlices, NetworkPolicies, every CNI
 * invocation, BGP sessions, CoreDNS settings and each node's iptables-save text. Plain
 * JSON-serialisable data; the UI reads it, the tracer uses it for DNS and policy notes.
 */
import type { Diagnostic } from '../diagnostics.ts'
import type { Ip } from '../wire/addr.ts'
import type { ClusterConfig, ContainerPort, Deployment, EndpointSlice, NetworkPolicy, Service, StaticDnsRecord } from './schema.ts'

export type ClusterEventKind =
  | 'Node'
  | 'Scheduled'
  | 'RunPodSandbox'
  | 'CNI'
  | 'CreateContainer'
  | 'StartContainer'
  | 'StopPodSandbox'
  | 'RemovePodSandbox'
  | 'ReplicaSet'
  | 'Service'
  | 'EndpointSlice'
  | 'NetworkPolicy'
  | 'flannel'
  | 'calico'
  | 'bgp'
  | 'kube-proxy'
  | 'coredns'
  | 'warning'

/** One thing a component did, in the order it happened. */
export interface ClusterEvent {
  readonly kind: ClusterEventKind
  readonly text: string
  readonly node?: string
  /** `ns/name` */
  readonly pod?: string
  readonly detail?: unknown
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION'

/** One exec of a CNI plugin binary, as the runtime (or a delegating plugin) made it. */
export interface CniInvocation {
  readonly seq: number
  readonly node: string
  /** `ns/name`, absent for VERSION probes. */
  readonly pod?: string
  readonly plugin: string
  readonly command: CniCommand
  /** seq of the plugin that exec'd this one (flannel → bridge → host-local). */
  readonly parent?: number
  readonly env: Readonly<Record<string, string>>
  readonly stdin: string
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
}

/** host-local's files under /var/lib/cni/networks/<network>/. */
export interface HostLocalStore {
  readonly dataDir: string
  readonly subnet: string
  readonly rangeStart: Ip
  readonly rangeEnd: Ip
  readonly gateway: Ip
  /** One file per reserved IP: its content is `<containerId>\r\n<ifname>`. */
  readonly reserved: Readonly<Record<Ip, { readonly containerId: string; readonly ifname: string }>>
  /** `last_reserved_ip.0`: where the next search starts. */
  readonly lastReserved?: Ip
}

/** Calico IPAM block affine to a node: free ordinals are taken from the front, freed ones go to the back. */
export interface CalicoBlock {
  readonly cidr: string
  readonly unallocated: readonly number[]
  readonly allocations: Readonly<Record<string, string>>
}

export interface NodeState {
  readonly name: string
  readonly ip: Ip
  readonly podCIDR: string
  readonly labels: Readonly<Record<string, string>>
  /** `/etc/cni/net.d/…` file name and text. */
  readonly cniConfFile: string
  readonly cniConf: string
  readonly flannel?: {
    readonly backend: 'vxlan' | 'host-gw'
    readonly vtepMac?: string
    /** `/run/flannel/subnet.env` */
    readonly subnetEnv: string
    readonly bridgeCreated: boolean
    readonly ipam: HostLocalStore
  }
  readonly calico?: {
    readonly mode: 'bgp' | 'ipip'
    readonly block: CalicoBlock
    readonly tunnelIp?: Ip
  }
}

export interface PodState {
  readonly namespace: string
  readonly name: string
  readonly uid: string
  readonly node: string
  readonly labels: Readonly<Record<string, string>>
  readonly hostNetwork: boolean
  readonly ip?: Ip
  readonly ready: boolean
  readonly containers: readonly { readonly name: string; readonly image: string; readonly id: string; readonly ports: readonly ContainerPort[] }[]
  readonly sandboxId: string
  /** CNI_NETNS, `/var/run/netns/cni-<uuid>`. */
  readonly netnsPath: string
  readonly pausePid: number
  /** World netns name (`ns/name`), absent for hostNetwork pods. */
  readonly netns?: string
  readonly hostVeth?: string
  /** The cached CNI result (libcni keeps it under /var/lib/cni/results) for CHECK and DEL. */
  readonly cniResult?: string
  readonly owner?: { readonly kind: 'ReplicaSet'; readonly name: string; readonly deployment: string }
}

export interface DeploymentState {
  readonly deployment: Deployment
  /** `<name>-<pod-template-hash>` */
  readonly replicaSet: string
  readonly templateHash: string
}

export interface BgpSession {
  readonly node: string
  readonly peer: string
  readonly peerIp: Ip
  readonly state: 'Established'
  readonly info: string
}

export interface BgpState {
  readonly asNumber: number
  readonly sessions: readonly BgpSession[]
  /** What each node's BIRD exports: its affine blocks. */
  readonly advertised: readonly { readonly node: string; readonly prefixes: readonly string[] }[]
}

export interface DnsState {
  readonly clusterDomain: string
  readonly serviceIP: Ip
  readonly upstream: Ip
  readonly records: readonly StaticDnsRecord[]
  readonly unknown: 'NXDOMAIN' | 'SERVFAIL'
  readonly cacheSeconds: number
  readonly corefile: string
}

export interface PolicyEnforcement {
  readonly enforced: boolean
  readonly by?: 'calico'
  readonly reason: string
}

export interface NodeRules {
  /** What kube-proxy programs (iptables-save text), as `packetwalk rules kube-proxy` prints it. */
  readonly kubeProxy: string
  /** The node's whole iptables-save: kube-proxy + CNI rules, in a real node's order. */
  readonly save: string
  readonly diagnostics: readonly Diagnostic[]
}

export interface ClusterState {
  readonly config: ClusterConfig
  readonly nodes: readonly NodeState[]
  readonly namespaces: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>> }[]
  readonly pods: readonly PodState[]
  readonly deployments: readonly DeploymentState[]
  /** Services with clusterIP and nodePorts filled in. */
  readonly services: readonly Service[]
  /** EndpointSlices not derived from selectors: given by the user (used as is) or kept by the apiserver (`default/kubernetes`). */
  readonly staticEndpointSlices: readonly EndpointSlice[]
  /** Every EndpointSlice in effect: user ones plus those derived from selectors. */
  readonly endpointSlices: readonly EndpointSlice[]
  readonly networkPolicies: readonly NetworkPolicy[]
  readonly policy: PolicyEnforcement
  readonly cniInvocations: readonly CniInvocation[]
  readonly bgp?: BgpState
  readonly dns: DnsState
  readonly rules: Readonly<Record<string, NodeRules>>
  readonly apiServer: { readonly ip: Ip; readonly port: number }
  /** Simplifications, said plainly. */
  readonly notes: readonly string[]
  /** Seeded RNG state, so later operations continue the same sequence. */
  readonly rng: number
  readonly nextPid: number
}
