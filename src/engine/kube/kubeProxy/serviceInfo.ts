/**
 * From Kubernetes objects to what kube-proxy's rule writer works with: one ServicePortInfo
 * per (Service, port) and, for each, its endpoints sorted and split into the Cluster- and
 * Local-policy sets. Mirrors pkg/proxy/service.go, endpointslicecache.go and topology.go.
 *
 * Simplifications: IPv4 only (IPv6 and FQDN slices are ignored, as the IPv4 proxier does);
 * no topology hints (every ready endpoint is a Cluster endpoint); an EndpointSlice port with
 * no name counts as the unnamed port (the API writes `name: ""`; real kube-proxy ignores a
 * port whose name is absent).
 */
import { isIpv4, tryParsePrefix, formatPrefix, prefixContains } from '../../wire/addr.ts'
import { endpointChainName, externalChainName, firewallChainName, localChainName, serviceChainName, servicePortName } from '../names.ts'
import type { EndpointSlice, KubeProxyInput, Protocol, Service } from './types.ts'
import { LABEL_HEADLESS, LABEL_SERVICE_NAME, LABEL_SERVICE_PROXY_NAME } from './types.ts'

/** Default `sessionAffinityConfig.clientIP.timeoutSeconds` (core/v1 DefaultClientIPServiceAffinitySeconds). */
export const DEFAULT_AFFINITY_SECONDS = 10800

export interface ServicePortInfo {
  /** `ns/name:port`, the text of every comment and the input of every hash. */
  readonly spn: string
  readonly namespace: string
  readonly name: string
  readonly portName: string
  readonly protocol: Protocol
  /** Lower-case, as it appears in `-p` and `-m`. */
  readonly proto: string
  readonly clusterIP: string
  readonly port: number
  /** 0: none. */
  readonly nodePort: number
  readonly externalIPs: readonly string[]
  readonly loadBalancerVIPs: readonly string[]
  /** Canonical CIDRs (`203.0.113.0/25`). */
  readonly loadBalancerSourceRanges: readonly string[]
  /** 0: none. */
  readonly healthCheckNodePort: number
  /** Seconds for `-m recent --rcheck --seconds`, or undefined without ClientIP affinity. */
  readonly affinitySeconds: number | undefined
  readonly externalPolicyLocal: boolean
  readonly internalPolicyLocal: boolean
  readonly svcChain: string
  readonly svlChain: string
  readonly extChain: string
  readonly fwChain: string
}

export interface EndpointInfo {
  readonly ip: string
  readonly port: number
  /** `ip:port`, kube-proxy's endpoint string. */
  readonly endpoint: string
  readonly chain: string
  readonly isLocal: boolean
  readonly ready: boolean
  readonly serving: boolean
  readonly terminating: boolean
}

/** NodePort, LoadBalancer, or a ClusterIP Service with externalIPs (pkg/api/v1/service ExternallyAccessible). */
function serviceExternallyAccessible(svc: Service): boolean {
  const type = svc.spec.type ?? 'ClusterIP'
  return type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0)
}

/** The Service's IPv4 cluster IP, or undefined for headless, ExternalName and IPv6-only Services. */
export function clusterIPv4(svc: Service): string | undefined {
  if ((svc.spec.type ?? 'ClusterIP') === 'ExternalName') return undefined
  const candidates = svc.spec.clusterIPs && svc.spec.clusterIPs.length > 0 ? svc.spec.clusterIPs : [svc.spec.clusterIP ?? '']
  return candidates.find((ip) => isIpv4(ip))
}

function canonicalCidrs(list: readonly string[] | undefined): string[] {
  return (list ?? []).flatMap((text) => {
    const p = text.includes('.') ? tryParsePrefix(text.trim()) : undefined
    return p ? [formatPrefix(p)] : []
  })
}

/**
 * Every proxied Service port, sorted by `ns/name:port` then protocol.
 * Simplification: real kube-proxy walks a Go map, so its rule order across Services varies
 * from sync to sync; sorting gives one stable order (the one kube-proxy's own tests print).
 */
export function buildServicePorts(services: readonly Service[]): ServicePortInfo[] {
  const out: ServicePortInfo[] = []
  for (const svc of services) {
    if (svc.metadata.labels?.[LABEL_SERVICE_PROXY_NAME] !== undefined) continue
    const clusterIP = clusterIPv4(svc)
    if (clusterIP === undefined) continue
    const namespace = svc.metadata.namespace ?? 'default'
    const accessible = serviceExternallyAccessible(svc)
    const externalPolicyLocal = accessible && svc.spec.externalTrafficPolicy === 'Local'
    const internalPolicyLocal = svc.spec.internalTrafficPolicy === 'Local'
    const affinitySeconds = svc.spec.sessionAffinity === 'ClientIP' ? (svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined
    const needsHealthCheck = svc.spec.type === 'LoadBalancer' && externalPolicyLocal
    const loadBalancerVIPs = (svc.status?.loadBalancer?.ingress ?? []).flatMap((ing) => (ing.ip !== undefined && isIpv4(ing.ip) && ing.ipMode !== 'Proxy' ? [ing.ip] : []))
    for (const p of svc.spec.ports ?? []) {
      const protocol = p.protocol ?? 'TCP'
      const proto = protocol.toLowerCase()
      const portName = p.name ?? ''
      const spn = servicePortName(namespace, svc.metadata.name, portName)
      out.push({
        spn,
        namespace,
        name: svc.metadata.name,
        portName,
        protocol,
        proto,
        clusterIP,
        port: p.port,
        nodePort: p.nodePort ?? 0,
        externalIPs: (svc.spec.externalIPs ?? []).filter((ip) => isIpv4(ip)),
        loadBalancerVIPs,
        loadBalancerSourceRanges: canonicalCidrs(svc.spec.loadBalancerSourceRanges),
        healthCheckNodePort: needsHealthCheck ? (svc.spec.healthCheckNodePort ?? 0) : 0,
        affinitySeconds,
        externalPolicyLocal,
        internalPolicyLocal,
        svcChain: serviceChainName(spn, proto),
        svlChain: localChainName(spn, proto),
        extChain: externalChainName(spn, proto),
        fwChain: firewallChainName(spn, proto),
      })
    }
  }
  return out.sort((a, b) => compareStrings(a.spn, b.spn) || compareStrings(a.protocol, b.protocol))
}

/** Byte-wise comparison, as Go's `<` on strings. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function endpointsKey(spn: string, protocol: Protocol): string {
  return `${spn}|${protocol}`
}

/**
 * The endpoints of every Service port, keyed by endpointsKey, each list sorted by its
 * `ip:port` string (byte order: 10.0.0.10:80 sorts before 10.0.0.2:80), deduplicated.
 */
export function buildEndpointsMap(slices: readonly EndpointSlice[], nodeName: string): Map<string, EndpointInfo[]> {
  const byKey = new Map<string, Map<string, EndpointInfo>>()
  for (const slice of slices) {
    const labels = slice.metadata.labels ?? {}
    const serviceName = labels[LABEL_SERVICE_NAME]
    if (!serviceName || labels[LABEL_SERVICE_PROXY_NAME] !== undefined || labels[LABEL_HEADLESS] !== undefined) continue
    if (slice.addressType !== 'IPv4') continue
    const namespace = slice.metadata.namespace ?? 'default'
    for (const port of slice.ports ?? []) {
      if (port.port === undefined || port.port === 0) continue
      const protocol = port.protocol ?? 'TCP'
      const spn = servicePortName(namespace, serviceName, port.name ?? '')
      const key = endpointsKey(spn, protocol)
      const set = byKey.get(key) ?? new Map<string, EndpointInfo>()
      byKey.set(key, set)
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses[0]
        if (ip === undefined || !isIpv4(ip)) continue
        const endpoint = `${ip}:${port.port}`
        const isLocal = nodeName !== '' && ep.nodeName === nodeName
        const info: EndpointInfo = {
          ip,
          port: port.port,
          endpoint,
          chain: endpointChainName(spn, protocol, endpoint),
          isLocal,
          ready: ep.conditions?.ready ?? true,
          serving: ep.conditions?.serving ?? true,
          terminating: ep.conditions?.terminating ?? false,
        }
        // Duplicates across slices: keep one, preferring the local copy (as kube-proxy does).
        if (!set.has(endpoint) || isLocal) set.set(endpoint, info)
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>()
  for (const [key, set] of byKey) {
    if (set.size > 0) out.set(key, [...set.values()].sort((a, b) => compareStrings(a.endpoint, b.endpoint)))
  }
  return out
}

/** UsesClusterEndpoints: internal policy Cluster, or any external access (which needs Cluster endpoints to short-circuit). */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp)
}

export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp))
}

/** The port is reachable other than by ClusterIP (NodePort, externalIPs, load-balancer IPs). */
export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerVIPs.length > 0 || sp.externalIPs.length > 0
}

export interface CategorizedEndpoints {
  /** Ready endpoints (or serving-terminating ones when none is ready). Empty when Cluster policy is never used. */
  readonly cluster: readonly EndpointInfo[]
  /** This node's ready endpoints (or serving-terminating ones). Empty when Local policy is never used. */
  readonly local: readonly EndpointInfo[]
  /** Every endpoint that gets a KUBE-SEP chain on this node, sorted. */
  readonly reachable: readonly EndpointInfo[]
  /** Some node has a usable endpoint. */
  readonly hasAny: boolean
}

/** kube-proxy's CategorizeEndpoints (pkg/proxy/topology.go), without topology hints. */
export function categorizeEndpoints(endpoints: readonly EndpointInfo[], sp: ServicePortInfo): CategorizedEndpoints {
  let cluster: EndpointInfo[] = []
  let hasAny = false
  if (usesClusterEndpoints(sp)) {
    cluster = endpoints.filter((ep) => ep.ready)
    if (cluster.length === 0) cluster = endpoints.filter((ep) => ep.serving && ep.terminating)
    hasAny = cluster.length > 0
  }
  if (!usesLocalEndpoints(sp)) return { cluster, local: [], reachable: cluster, hasAny }

  let hasLocalReady = false
  let hasLocalServingTerminating = false
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAny = true
      if (ep.isLocal) hasLocalReady = true
    } else if (ep.serving && ep.terminating) {
      hasAny = true
      if (ep.isLocal) hasLocalServingTerminating = true
    }
  }
  let local: EndpointInfo[] = []
  if (hasLocalReady) local = endpoints.filter((ep) => ep.isLocal && ep.ready)
  else if (hasLocalServingTerminating) local = endpoints.filter((ep) => ep.isLocal && ep.serving && ep.terminating)

  if (!usesClusterEndpoints(sp)) return { cluster, local, reachable: local, hasAny }
  if (!hasLocalServingTerminating || hasLocalReady) return { cluster, local, reachable: cluster, hasAny }
  // Local terminating endpoints are not in the Cluster set: merge the two lists.
  const merged = new Map<string, EndpointInfo>()
  for (const ep of [...cluster, ...local]) merged.set(ep.endpoint, ep)
  return { cluster, local, reachable: [...merged.values()].sort((a, b) => compareStrings(a.endpoint, b.endpoint)), hasAny }
}

/** Node addresses for `--nodeport-addresses`: undefined means "every local address" (addrtype LOCAL). */
export function nodePortIPs(input: KubeProxyInput): readonly string[] | undefined {
  const specs = input.nodePortAddresses ?? []
  if (specs.length === 0) return undefined
  const cidrs = specs.filter((s) => s !== 'primary').flatMap((s) => {
    const p = tryParsePrefix(s)
    return p ? [p] : []
  })
  if (cidrs.some((p) => p.len === 0)) return undefined
  // Interface order: lo (127.0.0.1) comes first on a real node.
  const candidates = ['127.0.0.1', ...input.nodeIPs.filter((ip) => isIpv4(ip))]
  const primary = specs.includes('primary') ? input.nodeIPs.slice(0, 1) : []
  return [...new Set(candidates.filter((ip) => primary.includes(ip) || cidrs.some((p) => prefixContains(p, ip))))]
}

/** NodePortAddresses.ContainsIPv4Loopback: `--iptables-localhost-nodeports` only takes effect then. */
export function nodePortsIncludeLoopback(input: KubeProxyInput): boolean {
  const ips = nodePortIPs(input)
  return ips === undefined || ips.includes('127.0.0.1')
}
