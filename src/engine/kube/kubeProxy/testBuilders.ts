/**
 * Small builders of Service and EndpointSlice objects for tests and examples: each returns
 * the object `kubectl get -o yaml` would show, with only the fields kube-proxy reads.
 */
import type { EndpointSlice, KubeProxyInput, Protocol, Service, ServicePort, ServiceSpec } from './types.ts'
import { LABEL_SERVICE_NAME } from './types.ts'

/** `ns/name` → a Service with the given spec (type ClusterIP unless the spec says otherwise). */
export function svc(ref: string, spec: ServiceSpec, status?: Service['status']): Service {
  const [namespace = 'default', name = ref] = ref.includes('/') ? ref.split('/') : ['default', ref]
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec, ...(status !== undefined && { status }) }
}

export function port(name: string, port: number, protocol: Protocol = 'TCP', extra: Partial<ServicePort> = {}): ServicePort {
  return { name, port, protocol, targetPort: port, ...extra }
}

export interface EpSpec {
  readonly ip: string
  readonly node?: string
  readonly ready?: boolean
  readonly serving?: boolean
  readonly terminating?: boolean
}

/** An EndpointSlice for Service `ns/name`, with ports `[name, port, protocol]`. */
export function slice(ref: string, endpoints: readonly (EpSpec | string)[], ports: readonly (readonly [string, number, Protocol?])[], sliceName?: string): EndpointSlice {
  const [namespace = 'default', name = ref] = ref.includes('/') ? ref.split('/') : ['default', ref]
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: sliceName ?? `${name}-abcde`, namespace, labels: { [LABEL_SERVICE_NAME]: name } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => {
      const ep = typeof e === 'string' ? { ip: e } : e
      const conditions = {
        ready: ep.ready ?? true,
        ...(ep.serving !== undefined && { serving: ep.serving }),
        ...(ep.terminating !== undefined && { terminating: ep.terminating }),
      }
      return { addresses: [ep.ip], conditions, ...(ep.node !== undefined && { nodeName: ep.node }) }
    }),
    ports: ports.map(([n, p, proto]) => ({ name: n, port: p, protocol: proto ?? 'TCP' })),
  }
}

/** A node named `node1` at 192.168.0.2 in cluster 10.244.0.0/16, with the given objects. */
export function input(services: readonly Service[], endpointSlices: readonly EndpointSlice[], extra: Partial<KubeProxyInput> = {}): KubeProxyInput {
  return { services, endpointSlices, nodeName: 'node1', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.244.0.0/16', ...extra }
}
