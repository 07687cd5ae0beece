/**
 * The cluster description: standard Kubernetes objects (only the fields that change what
 * the nodes' Linux state looks like) plus one packetwalk `ClusterConfig` document for what
 * Kubernetes objects do not say (CNI, underlay, CoreDNS upstream...). zod schemas strip
 * unknown fields, so `kubectl get -o yaml` output (managedFields, status noise) passes.
 */
import { z } from 'zod'

const name = z.string().min(1).max(253)
const labels = z.record(z.string(), z.string())
const ipv4 = z.ipv4()
const cidr = z.cidrv4()

export const ObjectMeta = z.object({
  name,
  namespace: z.string().min(1).optional(),
  labels: labels.optional(),
  uid: z.string().optional(),
})
export type ObjectMeta = z.infer<typeof ObjectMeta>

export const LabelSelectorRequirement = z.object({
  key: z.string().min(1),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
})
export const LabelSelector = z.object({
  matchLabels: labels.optional(),
  matchExpressions: z.array(LabelSelectorRequirement).optional(),
})
export type LabelSelector = z.infer<typeof LabelSelector>

const protocol = z.enum(['TCP', 'UDP', 'SCTP'])
const intOrString = z.union([z.number().int().min(1).max(65535), z.string().min(1)])

export const ContainerPort = z.object({
  name: z.string().optional(),
  containerPort: z.number().int().min(1).max(65535),
  protocol: protocol.default('TCP'),
})
export type ContainerPort = z.infer<typeof ContainerPort>

export const Container = z.object({
  name,
  image: z.string().default('nginx:1.27'),
  ports: z.array(ContainerPort).default([]),
})

export const PodSpec = z.object({
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().default(false),
  containers: z.array(Container).min(1),
})
export type PodSpec = z.infer<typeof PodSpec>

export const Node = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal('Node'),
  metadata: ObjectMeta,
  spec: z.object({ podCIDR: cidr.optional() }).prefault({}),
  status: z
    .object({ addresses: z.array(z.object({ type: z.string(), address: z.string() })).default([]) })
    .prefault({}),
})
export type Node = z.infer<typeof Node>

export const Namespace = z.object({ apiVersion: z.string().optional(), kind: z.literal('Namespace'), metadata: ObjectMeta })
export type Namespace = z.infer<typeof Namespace>

export const Pod = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal('Pod'),
  metadata: ObjectMeta,
  spec: PodSpec,
  status: z
    .object({
      podIP: ipv4.optional(),
      phase: z.string().optional(),
      conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
    })
    .optional(),
})
export type Pod = z.infer<typeof Pod>

export const Deployment = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal('Deployment'),
  metadata: ObjectMeta,
  spec: z.object({
    replicas: z.number().int().min(0).max(500).default(1),
    selector: LabelSelector,
    template: z.object({ metadata: z.object({ labels: labels.default({}) }).prefault({}), spec: PodSpec }),
  }),
})
export type Deployment = z.infer<typeof Deployment>

export const ServicePort = z.object({
  name: z.string().optional(),
  protocol: protocol.default('TCP'),
  port: z.number().int().min(1).max(65535),
  targetPort: intOrString.optional(),
  nodePort: z.number().int().min(1).max(65535).optional(),
})
export type ServicePort = z.infer<typeof ServicePort>

export const Service = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal('Service'),
  metadata: ObjectMeta,
  spec: z.object({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).default('ClusterIP'),
    clusterIP: z.union([ipv4, z.literal('None'), z.literal('')]).optional(),
    selector: labels.optional(),
    ports: z.array(ServicePort).default([]),
    externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    sessionAffinity: z.enum(['None', 'ClientIP']).default('None'),
    sessionAffinityConfig: z.object({ clientIP: z.object({ timeoutSeconds: z.number().int().min(1).max(86400).optional() }).optional() }).optional(),
    externalIPs: z.array(ipv4).optional(),
  }),
})
export type Service = z.infer<typeof Service>

export const EndpointSlice = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal('EndpointSlice'),
  metadata: ObjectMeta,
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']).default('IPv4'),
  endpoints: z
    .array(
      z.object({
        addresses: z.array(z.string()).min(1),
        conditions: z.object({ ready: z.boolean().optional(), serving: z.boolean().optional(), terminating: z.boolean().optional() }).prefault({}),
        nodeName: z.string().optional(),
        targetRef: z.object({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() }).optional(),
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
  ports: z
    .array(z.object({ name: z.string().optional(), port: z.number().int().min(1).max(65535).optional(), protocol: protocol.default('TCP') }))
    .nullish()
    .transform((v) => v ?? []),
})
export type EndpointSlice = z.infer<typeof EndpointSlice>

export const IpBlock = z.object({ cidr, except: z.array(cidr).optional() })
export const NetworkPolicyPeer = z.object({
  podSelector: LabelSelector.optional(),
  namespaceSelector: LabelSelector.optional(),
  ipBlock: IpBlock.optional(),
})
export type NetworkPolicyPeer = z.infer<typeof NetworkPolicyPeer>
export const NetworkPolicyPort = z.object({
  protocol: protocol.default('TCP'),
  port: intOrString.optional(),
  endPort: z.number().int().min(1).max(65535).optional(),
})
export type NetworkPolicyPort = z.infer<typeof NetworkPolicyPort>

export const NetworkPolicy = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal('NetworkPolicy'),
  metadata: ObjectMeta,
  spec: z.object({
    podSelector: LabelSelector,
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
    ingress: z.array(z.object({ from: z.array(NetworkPolicyPeer).optional(), ports: z.array(NetworkPolicyPort).optional() })).optional(),
    egress: z.array(z.object({ to: z.array(NetworkPolicyPeer).optional(), ports: z.array(NetworkPolicyPort).optional() })).optional(),
  }),
})
export type NetworkPolicy = z.infer<typeof NetworkPolicy>

const cniVersion = z.enum(['1.0.0', '0.4.0']).default('1.0.0')
export const FlannelCni = z.object({ plugin: z.literal('flannel'), backend: z.enum(['vxlan', 'host-gw']).default('vxlan'), cniVersion })
export const CalicoCni = z.object({ plugin: z.literal('calico'), mode: z.enum(['bgp', 'ipip']).default('bgp'), asNumber: z.number().int().min(1).max(4294967295).default(64512), cniVersion })
export const CniConfig = z.discriminatedUnion('plugin', [FlannelCni, CalicoCni])
export type CniConfig = z.infer<typeof CniConfig>

export const DnsRecord = z.object({
  name: z.string().min(1),
  type: z.enum(['A', 'AAAA', 'CNAME', 'TXT']).default('A'),
  data: z.string().min(1),
  ttl: z.number().int().min(0).default(300),
})
export type StaticDnsRecord = z.infer<typeof DnsRecord>

/**
 * The packetwalk document: everything a cluster has that its API objects do not state.
 * Every field is optional; absent ones take the defaults shown.
 *
 * @example
 * // apiVersion: packetwalk.dev/v1
 * // kind: ClusterConfig
 * // cni: {plugin: flannel, backend: vxlan}      # or {plugin: calico, mode: bgp|ipip}; cniVersion 1.0.0|0.4.0
 * // kubeProxy: {mode: iptables}
 * // clusterCIDR: 10.244.0.0/16                  # node i gets the i-th /24 unless its Node says spec.podCIDR
 * // serviceCIDR: 10.96.0.0/12                   # kubernetes = .1, kube-dns = .10
 * // nodeCount: 3                                # only when no Node objects are given (node1, node2, …)
 * // underlay: {segment: underlay, cidr: 192.168.56.0/24}   # node IPs .10, .20, …; gateway .1
 * // externalClients: [{name: laptop, ip: 192.168.56.100}]
 * // dns: {clusterDomain: cluster.local, upstream: 8.8.8.8, records: [{name: example.com, data: 93.184.216.34}], unknown: NXDOMAIN, replicas: 2}
 */
export const ClusterConfig = z.object({
  apiVersion: z.literal('packetwalk.dev/v1'),
  kind: z.literal('ClusterConfig'),
  cni: CniConfig.prefault({ plugin: 'flannel' }),
  kubeProxy: z.object({ mode: z.literal('iptables').default('iptables') }).prefault({}),
  clusterCIDR: cidr.default('10.244.0.0/16'),
  serviceCIDR: cidr.default('10.96.0.0/12'),
  /** Used only when no Node objects are given. */
  nodeCount: z.number().int().min(1).max(50).default(3),
  underlay: z
    .object({
      segment: z.string().min(1).default('underlay'),
      cidr: cidr.default('192.168.56.0/24'),
      /** Default route of the nodes; absent: `.1` of the underlay. */
      gateway: ipv4.optional(),
    })
    .prefault({}),
  externalClients: z.array(z.object({ name, ip: ipv4 })).default([]),
  dns: z
    .object({
      clusterDomain: z.string().min(1).default('cluster.local'),
      upstream: ipv4.default('8.8.8.8'),
      /** Answers the upstream resolver gives for outside names. */
      records: z.array(DnsRecord).default([]),
      /** What the upstream answers for a name not in `records`. */
      unknown: z.enum(['NXDOMAIN', 'SERVFAIL']).default('NXDOMAIN'),
      replicas: z.number().int().min(1).max(5).default(2),
    })
    .prefault({}),
  pauseImage: z.string().default('registry.k8s.io/pause:3.10'),
})
export type ClusterConfig = z.infer<typeof ClusterConfig>

export const DEFAULT_CONFIG: ClusterConfig = ClusterConfig.parse({ apiVersion: 'packetwalk.dev/v1', kind: 'ClusterConfig' })

/** Every object of a cluster description, grouped by kind, in document order. */
export interface ClusterDesc {
  readonly config: ClusterConfig
  readonly nodes: readonly Node[]
  readonly namespaces: readonly Namespace[]
  readonly pods: readonly Pod[]
  readonly deployments: readonly Deployment[]
  readonly services: readonly Service[]
  readonly endpointSlices: readonly EndpointSlice[]
  readonly networkPolicies: readonly NetworkPolicy[]
}

export const OBJECT_SCHEMAS = {
  Node,
  Namespace,
  Pod,
  Deployment,
  Service,
  EndpointSlice,
  NetworkPolicy,
  ClusterConfig,
} as const
export type KnownKind = keyof typeof OBJECT_SCHEMAS

/** Kinds `kubectl get … -o yaml` prints that change nothing here; accepted silently. */
export const IGNORED_KINDS: readonly string[] = ['ReplicaSet', 'DaemonSet', 'StatefulSet', 'Endpoints', 'ConfigMap', 'Secret', 'ServiceAccount', 'Event', 'Lease']

export function emptyDesc(config: ClusterConfig = DEFAULT_CONFIG): ClusterDesc {
  return { config, nodes: [], namespaces: [], pods: [], deployments: [], services: [], endpointSlices: [], networkPolicies: [] }
}
