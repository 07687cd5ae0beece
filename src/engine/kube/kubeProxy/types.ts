/**
 * What kube-proxy reads: Services and EndpointSlices in their Kubernetes API shapes (only the
 * fields kube-proxy looks at; everything else may be present and is ignored), plus the node
 * and the kube-proxy flags that change the rules. Field names and defaults follow
 * k8s.io/api core/v1 and discovery/v1.
 */

export interface ObjectMeta {
  readonly name: string
  /** Absent means `default`. */
  readonly namespace?: string
  readonly labels?: Readonly<Record<string, string>>
  readonly annotations?: Readonly<Record<string, string>>
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP'

export interface ServicePort {
  /** Required by the API when a Service has several ports; empty when it has one. */
  readonly name?: string
  /** Default TCP. */
  readonly protocol?: Protocol
  readonly port: number
  /** kube-proxy never reads it: the EndpointSlice port carries the resolved number. */
  readonly targetPort?: number | string
  /** 0 or absent: no NodePort. */
  readonly nodePort?: number
}

export interface LoadBalancerIngress {
  readonly ip?: string
  readonly hostname?: string
  /** `Proxy` ingress IPs are not captured by kube-proxy. Default VIP. */
  readonly ipMode?: 'VIP' | 'Proxy'
}

export interface ServiceSpec {
  /** Default ClusterIP. ExternalName Services get no rules. */
  readonly type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName'
  /** `None` (headless) or empty: no rules. */
  readonly clusterIP?: string
  readonly clusterIPs?: readonly string[]
  readonly ports?: readonly ServicePort[]
  readonly selector?: Readonly<Record<string, string>>
  /** Default Cluster. Only honoured when the Service is externally accessible (NodePort, LoadBalancer, externalIPs). */
  readonly externalTrafficPolicy?: 'Cluster' | 'Local'
  /** Default Cluster. */
  readonly internalTrafficPolicy?: 'Cluster' | 'Local'
  /** Default None. */
  readonly sessionAffinity?: 'None' | 'ClientIP'
  /** `clientIP.timeoutSeconds`, default 10800 (3 hours). */
  readonly sessionAffinityConfig?: { readonly clientIP?: { readonly timeoutSeconds?: number } }
  readonly externalIPs?: readonly string[]
  readonly loadBalancerSourceRanges?: readonly string[]
  /** Allocated for type LoadBalancer with externalTrafficPolicy Local. */
  readonly healthCheckNodePort?: number
}

export interface Service {
  readonly apiVersion?: string
  readonly kind?: 'Service'
  readonly metadata: ObjectMeta
  readonly spec: ServiceSpec
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly LoadBalancerIngress[] } }
}

export interface EndpointConditions {
  /** Absent means true (ready and not terminating). */
  readonly ready?: boolean
  /** Absent means true (ready, terminating or not). */
  readonly serving?: boolean
  /** Absent means false. */
  readonly terminating?: boolean
}

export interface Endpoint {
  /** kube-proxy uses the first address only. */
  readonly addresses: readonly string[]
  readonly conditions?: EndpointConditions
  /** Endpoints whose nodeName is this node are "local". */
  readonly nodeName?: string
  readonly targetRef?: { readonly kind?: string; readonly name?: string; readonly namespace?: string }
}

export interface EndpointPort {
  /** Must equal the Service port's name (empty string for an unnamed port). Absent is taken as "". */
  readonly name?: string
  /** Default TCP. */
  readonly protocol?: Protocol
  /** The resolved target port the endpoint listens on. */
  readonly port?: number
}

export interface EndpointSlice {
  readonly apiVersion?: string
  readonly kind?: 'EndpointSlice'
  /** Labels must carry `kubernetes.io/service-name`. */
  readonly metadata: ObjectMeta
  /** Only IPv4 slices are used (this engine models IPv4). */
  readonly addressType: 'IPv4' | 'IPv6' | 'FQDN'
  readonly endpoints?: readonly Endpoint[]
  readonly ports?: readonly EndpointPort[]
}

/** The label that ties an EndpointSlice to its Service. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name'
/** Services and slices with this label belong to another proxy; kube-proxy skips them. */
export const LABEL_SERVICE_PROXY_NAME = 'service.kubernetes.io/service-proxy-name'
/** Slices with this label belong to a headless Service; kube-proxy skips them. */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless'

export interface KubeProxyInput {
  readonly services: readonly Service[]
  readonly endpointSlices: readonly EndpointSlice[]
  /** This node's name (`--hostname-override`): decides which endpoints are local. */
  readonly nodeName: string
  /** This node's addresses; the first is the node IP (`allowFromNode` for load-balancer source ranges). */
  readonly nodeIPs: readonly string[]
  /**
   * `--cluster-cidr`: with it kube-proxy detects pod traffic by source (`-s CIDR`), masquerades
   * other sources sent to a ClusterIP, and short-circuits pod traffic in KUBE-EXT chains.
   * Without it none of those rules exist.
   */
  readonly clusterCIDR?: string
  /** `--iptables-masquerade-bit`, default 14 (mark 0x4000). */
  readonly masqueradeBit?: number
  /** `--masquerade-all`: masquerade every packet sent to a ClusterIP. */
  readonly masqueradeAll?: boolean
  /** `--iptables-localhost-nodeports`, default true: NodePorts also answer on 127.0.0.1. */
  readonly localhostNodePorts?: boolean
  /**
   * `--nodeport-addresses`: CIDRs (or `primary`) selecting which of `nodeIPs` accept NodePorts.
   * Empty (the default) means every local address (`-m addrtype --dst-type LOCAL`).
   */
  readonly nodePortAddresses?: readonly string[]
  /** The node has nfnetlink_acct (kube-proxy ≥1.29 then counts drops with `-m nfacct`). Default false. */
  readonly nfacct?: boolean
  /** iptables supports `MASQUERADE --random-fully` (iptables ≥1.6.2). Default true. */
  readonly randomFully?: boolean
  /** `net.netfilter.nf_conntrack_tcp_be_liberal` is set: no INVALID drop in KUBE-FORWARD. Default false. */
  readonly conntrackTcpBeLiberal?: boolean
  /** Also print the chains and rules kubelet keeps (canaries, KUBE-FIREWALL, mangle hint). Default true. */
  readonly kubelet?: boolean
}
