import { describe, expect, it } from 'vitest'
import { buildEndpointsMap, buildServicePorts, categorizeEndpoints, endpointsKey, nodePortIPs } from './serviceInfo.ts'
import { input, port, slice, svc } from './testBuilders.ts'
import type { EpSpec } from './testBuilders.ts'
import type { EndpointSlice, Service } from './types.ts'

function endpointsOf(s: Service, slices: readonly EndpointSlice[], nodeName = 'node1') {
  const [sp] = buildServicePorts([s])
  if (!sp) throw new Error('no service port')
  const eps = buildEndpointsMap(slices, nodeName).get(endpointsKey(sp.spn, sp.protocol)) ?? []
  const c = categorizeEndpoints(eps, sp)
  const ips = (list: readonly { ip: string }[]): string[] => list.map((e) => e.ip)
  return { all: ips(eps), cluster: ips(c.cluster), local: ips(c.local), reachable: ips(c.reachable), hasAny: c.hasAny }
}

const web = (spec: Partial<Service['spec']> = {}): Service => svc('default/web', { clusterIP: '10.96.0.50', ports: [port('http', 80)], ...spec })
const eps = (...list: EpSpec[]): EndpointSlice => slice('default/web', list, [['http', 8080]])

describe('which endpoints kube-proxy uses', () => {
  it.each([
    ['ready endpoints only', web(), [eps({ ip: '10.0.0.1' }, { ip: '10.0.0.2', ready: false })], { cluster: ['10.0.0.1'], hasAny: true }],
    // No ready endpoint anywhere: fall back to serving-and-terminating ones (KEP-1669).
    ['serving-terminating fallback', web(), [eps({ ip: '10.0.0.1', ready: false, serving: true, terminating: true }, { ip: '10.0.0.2', ready: false, serving: false, terminating: true })], { cluster: ['10.0.0.1'], hasAny: true }],
    ['nothing usable', web(), [eps({ ip: '10.0.0.1', ready: false, serving: false, terminating: true })], { cluster: [], hasAny: false }],
    // Local policy: the node's own endpoints only; Cluster endpoints still exist for the short-circuit.
    ['ETP Local', web({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [port('http', 80, 'TCP', { nodePort: 30080 })] }), [eps({ ip: '10.0.0.1', node: 'node1' }, { ip: '10.0.0.2', node: 'node2' })], { cluster: ['10.0.0.1', '10.0.0.2'], local: ['10.0.0.1'], hasAny: true }],
    // ETP Local means nothing for a Service nobody reaches from outside.
    ['ETP Local on a ClusterIP Service', web({ externalTrafficPolicy: 'Local' }), [eps({ ip: '10.0.0.1', node: 'node2' })], { cluster: ['10.0.0.1'], local: [], hasAny: true }],
    ['ITP Local, no local endpoint', web({ internalTrafficPolicy: 'Local' }), [eps({ ip: '10.0.0.2', node: 'node2' })], { cluster: [], local: [], reachable: [], hasAny: true }],
  ] as const)('%s', (_name, s, slices, want) => {
    expect(endpointsOf(s, slices)).toMatchObject(want)
  })

  it('sorts endpoints as ip:port strings (10.0.0.10 before 10.0.0.9) and deduplicates across slices', () => {
    const r = endpointsOf(web(), [eps({ ip: '10.0.0.9' }, { ip: '10.0.0.10' }), slice('default/web', [{ ip: '10.0.0.9' }], [['http', 8080]], 'web-second')])
    expect(r.all).toEqual(['10.0.0.10', '10.0.0.9'])
  })

  it.each([
    ['a port name that is not the Service port’s', slice('default/web', ['10.0.0.1'], [['other', 8080]])],
    ['another protocol', slice('default/web', ['10.0.0.1'], [['http', 8080, 'UDP']])],
    ['an IPv6 slice', { ...eps({ ip: '10.0.0.1' }), addressType: 'IPv6' as const }],
    ['a slice without the service-name label', { ...eps({ ip: '10.0.0.1' }), metadata: { name: 'x', namespace: 'default' } }],
    ['a slice in another namespace', slice('other/web', ['10.0.0.1'], [['http', 8080]])],
  ])('ignores %s', (_name, s) => {
    expect(endpointsOf(web(), [s]).all).toEqual([])
  })
})

describe('which Services kube-proxy proxies', () => {
  it.each([
    ['headless', web({ clusterIP: 'None' }), 0],
    ['ExternalName', web({ type: 'ExternalName', clusterIP: '' }), 0],
    ['IPv6 only', web({ clusterIP: 'fd00::1' }), 0],
    ['dual-stack (the IPv4 address is used)', web({ clusterIP: 'fd00::1', clusterIPs: ['fd00::1', '10.96.0.50'] }), 1],
    ['another proxy’s', { ...web(), metadata: { name: 'web', namespace: 'default', labels: { 'service.kubernetes.io/service-proxy-name': 'cilium' } } }, 0],
    ['two ports', web({ ports: [port('http', 80), port('https', 443)] }), 2],
  ] as const)('%s → %i service ports', (_name, s, n) => {
    expect(buildServicePorts([s]).length).toBe(n)
  })

  it('reads affinity timeout, health-check port (LoadBalancer + Local only) and VIP ingress IPs', () => {
    const [sp] = buildServicePorts([
      svc(
        'default/web',
        { type: 'LoadBalancer', clusterIP: '10.96.0.50', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [port('http', 80, 'TCP', { nodePort: 30080 })] },
        { loadBalancer: { ingress: [{ ip: '198.51.100.1' }, { ip: '198.51.100.2', ipMode: 'Proxy' }, { hostname: 'lb.example' }] } },
      ),
    ])
    expect(sp).toMatchObject({ affinitySeconds: 60, healthCheckNodePort: 31000, loadBalancerVIPs: ['198.51.100.1'], externalPolicyLocal: true })
  })
})

describe('--nodeport-addresses', () => {
  it.each([
    [[], undefined], // every local address: -m addrtype --dst-type LOCAL
    [['0.0.0.0/0'], undefined],
    [['primary'], ['192.168.0.2']],
    [['192.168.0.0/16'], ['192.168.0.2']],
    [['127.0.0.0/8', '192.168.0.0/16'], ['127.0.0.1', '192.168.0.2']],
    [['10.0.0.0/8'], []],
  ] as const)('%j → %j', (specs, want) => {
    expect(nodePortIPs(input([], [], { nodeIPs: ['192.168.0.2', 'fd00::2'], nodePortAddresses: specs }))).toEqual(want)
  })
})
