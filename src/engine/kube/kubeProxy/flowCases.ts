/**
 * kube-proxy's own iptables unit-test cases (src/fixtures/kube-proxy-flows) restated as
 * Services and EndpointSlices: the same node (test-node, 192.168.0.2), cluster CIDR
 * 10.0.0.0/8, and a fake iptables without --random-fully and without kubelet's chains.
 */
import type { EpSpec } from './testBuilders.ts'
import { port, slice, svc } from './testBuilders.ts'
import type { KubeProxyInput, Service } from './types.ts'

/** The node of kube-proxy's unit tests: 192.168.0.2, cluster CIDR 10.0.0.0/8, fake iptables without --random-fully. */
function testNode(services: Service[], endpoints: Record<string, EpSpec[]>, extra: Partial<KubeProxyInput> = {}): KubeProxyInput {
  const slices = Object.entries(endpoints).map(([ref, eps]) => slice(ref, eps, [['p80', 80]]))
  return { services, endpointSlices: slices, nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', randomFully: false, kubelet: false, ...extra }
}

const p80 = (nodePort?: number): Service['spec']['ports'] => [port('p80', 80, 'TCP', nodePort !== undefined ? { nodePort } : {})]
export const lb = (...ips: string[]): Service['status'] => ({ loadBalancer: { ingress: ips.map((ip) => ({ ip })) } })
const remote = (ip: string): EpSpec => ({ ip, node: 'host2' })
const here = (ip: string): EpSpec => ({ ip, node: 'test-node' })

export const FLOW_CASES: readonly (readonly [string, KubeProxyInput])[] = [
  [
    'L01-TestLoadBalancer',
    testNode(
      [svc('ns1/svc1', { type: 'LoadBalancer', clusterIP: '172.30.0.41', ports: p80(3001), loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25'] }, lb('1.2.3.4', '5.6.7.8'))],
      { 'ns1/svc1': [remote('10.180.0.1')] },
    ),
  ],
  ['L02-TestNodePort', testNode([svc('ns1/svc1', { type: 'NodePort', clusterIP: '172.30.0.41', ports: p80(3001) })], { 'ns1/svc1': [remote('10.180.0.1')] })],
  [
    'L04-TestExternalTrafficPolicyLocal',
    testNode(
      [svc('ns1/svc1', { type: 'LoadBalancer', clusterIP: '172.30.0.41', ports: p80(3001), externalTrafficPolicy: 'Local', healthCheckNodePort: 30000, externalIPs: ['192.168.99.11'] }, lb('1.2.3.4'))],
      { 'ns1/svc1': [remote('10.180.0.1'), here('10.180.2.1')] },
    ),
  ],
  [
    'L07-TestOnlyLocalNodePorts',
    testNode([svc('ns1/svc1', { type: 'NodePort', clusterIP: '172.30.0.41', ports: p80(3001), externalTrafficPolicy: 'Local' })], { 'ns1/svc1': [remote('10.180.0.1'), here('10.180.2.1')] }, { nodePortAddresses: ['192.168.0.0/24'] }),
  ],
  [
    'M01-TestTracePacket',
    testNode(
      [
        svc('ns1/svc1', { clusterIP: '172.30.0.41', ports: p80() }),
        svc('ns2/svc2', { type: 'LoadBalancer', clusterIP: '172.30.0.42', ports: p80(3001), externalTrafficPolicy: 'Local', healthCheckNodePort: 30000, externalIPs: ['192.168.99.22'] }, lb('1.2.3.4')),
        svc('ns3/svc3', { type: 'NodePort', clusterIP: '172.30.0.43', ports: p80(3003) }),
        svc('ns4/svc4', { clusterIP: '172.30.0.44', ports: p80(), externalIPs: ['192.168.99.33'] }),
        svc('ns5/svc5', { type: 'LoadBalancer', clusterIP: '172.30.0.45', ports: p80(3002), loadBalancerSourceRanges: ['203.0.113.0/25'] }, lb('5.6.7.8')),
        svc('ns6/svc6', { clusterIP: '172.30.0.46', ports: p80() }),
      ],
      {
        'ns1/svc1': [remote('10.180.0.1')],
        'ns2/svc2': [remote('10.180.0.2')],
        'ns3/svc3': [remote('10.180.0.3')],
        'ns4/svc4': [remote('10.180.0.4'), remote('10.180.0.5')],
        'ns5/svc5': [remote('10.180.0.3')],
      },
    ),
  ],
]

