/**
 * Small clusters whose kube-proxy rules are kept as golden iptables-save files
 * (golden/<name>.txt). Every case is on node `node1` (192.168.0.2), cluster CIDR
 * 10.244.0.0/16; "local" endpoints run on node1, others on node2.
 */
import type { KubeProxyInput } from './types.ts'
import { input, port, slice, svc } from './testBuilders.ts'

export interface GoldenCase {
  readonly name: string
  /** What the golden file shows, for a reviewer. */
  readonly about: string
  readonly input: KubeProxyInput
}

const web = (spec: Parameters<typeof svc>[1]): ReturnType<typeof svc> => svc('default/web', { clusterIP: '10.96.0.50', selector: { app: 'web' }, ports: [port('http', 80, 'TCP', { targetPort: 8080 })], ...spec })
const webEndpoints = (...eps: Parameters<typeof slice>[1]): ReturnType<typeof slice> => slice('default/web', eps, [['http', 8080]])

export const GOLDEN_CASES: readonly GoldenCase[] = [
  {
    name: 'clusterip-2-endpoints',
    about: 'ClusterIP Service, two ready endpoints on two nodes: a 1/2 cascade',
    input: input([web({})], [webEndpoints({ ip: '10.244.1.5', node: 'node2' }, { ip: '10.244.0.7', node: 'node1' })]),
  },
  {
    name: 'kube-dns',
    about: 'kubernetes + kube-dns (dns/udp, dns-tcp/tcp, metrics/tcp), two CoreDNS pods',
    input: input(
      [
        svc('default/kubernetes', { clusterIP: '10.96.0.1', ports: [port('https', 443, 'TCP', { targetPort: 6443 })] }),
        svc('kube-system/kube-dns', { clusterIP: '10.96.0.10', ports: [port('dns', 53, 'UDP'), port('dns-tcp', 53, 'TCP'), port('metrics', 9153, 'TCP')] }),
      ],
      [
        slice('default/kubernetes', [{ ip: '192.168.0.2', node: 'node1' }], [['https', 6443]], 'kubernetes'),
        slice('kube-system/kube-dns', [{ ip: '10.244.0.2', node: 'node1' }, { ip: '10.244.0.3', node: 'node1' }], [['dns', 53, 'UDP'], ['dns-tcp', 53, 'TCP'], ['metrics', 9153, 'TCP']]),
      ],
    ),
  },
  {
    name: 'nodeport',
    about: 'NodePort 30080, externalTrafficPolicy Cluster: KUBE-NODEPORTS → KUBE-EXT (masquerade) → KUBE-SVC',
    input: input([web({ type: 'NodePort', ports: [port('http', 80, 'TCP', { targetPort: 8080, nodePort: 30080 })] })], [webEndpoints({ ip: '10.244.1.5', node: 'node2' }, { ip: '10.244.2.9', node: 'node3' })]),
  },
  {
    name: 'etp-local-with-local-endpoint',
    about: 'NodePort, externalTrafficPolicy Local, one endpoint here and one on node2: KUBE-EXT → KUBE-SVL (local only)',
    input: input(
      [web({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [port('http', 80, 'TCP', { targetPort: 8080, nodePort: 30080 })] })],
      [webEndpoints({ ip: '10.244.1.5', node: 'node2' }, { ip: '10.244.0.7', node: 'node1' })],
    ),
  },
  {
    name: 'etp-local-without-local-endpoint',
    about: 'NodePort, externalTrafficPolicy Local, endpoints only on node2: external traffic dropped ("has no local endpoints")',
    input: input(
      [web({ type: 'NodePort', externalTrafficPolicy: 'Local', externalIPs: ['192.168.0.200'], ports: [port('http', 80, 'TCP', { targetPort: 8080, nodePort: 30080 })] })],
      [webEndpoints({ ip: '10.244.1.5', node: 'node2' }, { ip: '10.244.1.6', node: 'node2' })],
    ),
  },
  {
    name: 'itp-local',
    about: 'internalTrafficPolicy Local: the cluster IP leads to KUBE-SVL with this node’s endpoint only',
    input: input([web({ internalTrafficPolicy: 'Local' })], [webEndpoints({ ip: '10.244.1.5', node: 'node2' }, { ip: '10.244.0.7', node: 'node1' })]),
  },
  {
    name: 'session-affinity',
    about: 'sessionAffinity ClientIP (default 10800 s): -m recent checks before the cascade, --set in each KUBE-SEP',
    input: input([web({ sessionAffinity: 'ClientIP' })], [webEndpoints({ ip: '10.244.1.5', node: 'node2' }, { ip: '10.244.0.7', node: 'node1' })]),
  },
  {
    name: 'three-endpoints-one-terminating',
    about: 'three ready endpoints (1/3, 1/2 cascade) and a terminating one that gets no rules',
    input: input(
      [web({})],
      [webEndpoints({ ip: '10.244.1.5', node: 'node2' }, { ip: '10.244.0.7', node: 'node1' }, { ip: '10.244.2.10', node: 'node3' }, { ip: '10.244.2.11', node: 'node3', ready: false, serving: true, terminating: true })],
    ),
  },
  {
    name: 'loadbalancer-source-ranges',
    about: 'LoadBalancer with loadBalancerSourceRanges, one range containing the node: KUBE-FW chain and KUBE-PROXY-FIREWALL drops',
    input: input(
      [
        svc(
          'default/web',
          { type: 'LoadBalancer', clusterIP: '10.96.0.50', loadBalancerSourceRanges: ['203.0.113.0/25', '192.168.0.0/24'], ports: [port('http', 80, 'TCP', { targetPort: 8080, nodePort: 30080 })] },
          { loadBalancer: { ingress: [{ ip: '198.51.100.10', ipMode: 'VIP' }] } },
        ),
      ],
      [webEndpoints({ ip: '10.244.1.5', node: 'node2' })],
    ),
  },
  {
    name: 'no-endpoints',
    about: 'ClusterIP and NodePort Services without endpoints: filter REJECT ("has no endpoints"), no nat chains',
    input: input(
      [web({ type: 'NodePort', ports: [port('http', 80, 'TCP', { targetPort: 8080, nodePort: 30080 })] }), svc('default/api', { clusterIP: '10.96.0.60', ports: [port('', 443, 'TCP')] })],
      [webEndpoints({ ip: '10.244.1.5', node: 'node2', ready: false })],
    ),
  },
  {
    name: 'headless',
    about: 'a headless Service (clusterIP None) with ready endpoints: no rules at all beyond the fixed chains',
    input: input([svc('default/db', { clusterIP: 'None', ports: [port('pg', 5432)] })], [slice('default/db', ['10.244.1.5', '10.244.0.7'], [['pg', 5432]])]),
  },
]
