/**
 * The built-in demos: the curriculum's first exercises, built from the world files in
 * scenarios/worlds/ and traced by the engine. The catalog is light; each entry loads the
 * engine code, the YAML and the world on demand (a separate chunk).
 */
import type { LoadedScenario, ScenarioEntry } from './types.ts'

interface DemoInfo {
  readonly id: string
  readonly title: string
  readonly summary: string
}

export const DEMOS: readonly DemoInfo[] = [
  { id: 'ex1-bridge', title: 'Exercise 1: ping across a bridge', summary: 'Two network namespaces on one Linux bridge: ARP, FDB learning, switching.' },
  { id: 'ex2-vxlan', title: 'Exercise 2: ping over VXLAN', summary: 'A pod on node1 pings a pod on node2 through flannel.1: route onlink, neighbour, FDB, encapsulation.' },
  { id: 'ip-forward-off', title: 'ip_forward off', summary: 'node1 stops routing: the packet reaches the node and goes no further.' },
  { id: 'mtu-vxlan', title: 'MTU 1500 over a 1450 VXLAN path', summary: 'A full-size packet with DF set does not fit the tunnel: ICMP fragmentation needed.' },
  { id: 'clusterip-by-hand', title: 'A Service VIP by hand: DNAT and conntrack', summary: 'Two DNAT rules split 10.96.1.100:80 between two pods on one bridge; conntrack un-NATs the reply.' },
  { id: 'cluster-service', title: 'Cluster: DNS, then a ClusterIP across nodes', summary: 'A pod in a 3-node flannel cluster looks up nginx-svc through CoreDNS, then connects to it: kube-proxy’s chains pick a backend on another node.' },
  { id: 'ex1-twice', title: 'Exercise 1, twice: the second ping needs no ARP', summary: 'The same ping again: neighbour and FDB entries learned by the first are used.' },
]

/** The default scenario on first visit. */
export const DEFAULT_DEMO = 'ex2-vxlan'

export const demoCatalog: readonly ScenarioEntry[] = DEMOS.map((d) => ({
  ...d,
  group: 'Built-in demos',
  load: async (): Promise<LoadedScenario> => {
    const { buildDemo } = await import('./buildDemo.ts')
    return buildDemo(d.id)
  },
}))
