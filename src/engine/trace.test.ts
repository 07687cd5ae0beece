/**
 * enumerateTraceOutcomes (one trace, then the deciding hook's choices) against traceWorldAll
 * (every choice sequence traced) on the clusters the kube tests build and on the scenario
 * clusters: the same DNAT targets with the same probabilities, and `replay` of an outcome is
 * exactly the outcome traceWorldAll gives, CoreDNS answers and NetworkPolicy notes included.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildCluster } from './kube/build.ts'
import { loadClusterText } from './kube/load.ts'
import { config, desc, kindNodes, pod, WEB } from './kube/testClusters.ts'
import type { World } from './model/types.ts'
import type { SendSpec } from './sim/trace.ts'
import { enumerateTraceOutcomes, traceWorldAll } from './trace.ts'

const SCENARIO_CLUSTERS = new URL('../../scenarios/clusters/', import.meta.url).pathname

function byDnat(list: readonly { dnat: string | null; probability: number }[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const o of list) out[o.dnat ?? '-'] = (out[o.dnat ?? '-'] ?? 0) + o.probability
  return out
}

function expectSame(world: World, send: SendSpec): void {
  const full = traceWorldAll(world, send, { seed: 1, now: 0 })
  const list = enumerateTraceOutcomes(world, send, { seed: 1, now: 0 })
  const want = byDnat(full)
  const got = byDnat(list.outcomes)
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort())
  for (const [k, p] of Object.entries(want)) expect(got[k], k).toBeCloseTo(p, 12)
  for (const o of list.outcomes) {
    const r = list.replay(o.choices)
    const twin = full.find((f) => f.dnat === r.outcome.dnat && f.verdict === r.outcome.verdict && f.snat === r.outcome.snat)
    // Same outcome, same steps (policy notes and DNS included); the probability is the listed one.
    expect(r.outcome).toEqual({ ...twin, probability: o.probability })
  }
}

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-allow-client}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: http}]
---
`

/** kube/flows.test.ts's cluster: two web pods behind NodePort Service web, a client, an intruder the policy shuts out. */
function kubeTestCluster(cni: string): World {
  const body = WEB + POLICY + pod('client', 'k8s-guide-worker2', { app: 'client' }, []) + pod('intruder', 'k8s-guide-worker2', { app: 'intruder' }, [])
  const r = buildCluster(desc(config(cni, 'dns: {records: [{name: example.com, data: 93.184.216.34}]}\n') + kindNodes() + body), { seed: 11 })
  return { ...r.world, cluster: r.cluster }
}

describe.each(['{plugin: flannel, backend: vxlan}', '{plugin: flannel, backend: host-gw}', '{plugin: calico, mode: bgp}', '{plugin: calico, mode: ipip}'])('the kube tests cluster, CNI %s', (cni) => {
  const world = kubeTestCluster(cni)
  const podNs = (name: string) => world.cluster!.pods.find((p) => p.name === name)!.netns!

  it('client → ClusterIP of web (2 endpoints)', () => expectSame(world, { from: podNs('client'), to: '10.96.45.123', proto: 'tcp', dport: 80 }))
  // Under Calico the policy drops it, and traceWorldAll names the policy: replay must too.
  it('intruder → ClusterIP of web', () => expectSame(world, { from: podNs('intruder'), to: '10.96.45.123', proto: 'tcp', dport: 80 }))
  it('laptop → NodePort on each node (masqueraded)', () => {
    for (const n of world.cluster!.nodes) expectSame(world, { from: 'laptop', to: n.ip, proto: 'tcp', dport: 30080 })
  })
  it('DNS query to kube-dns (CoreDNS answers in the replay)', () => {
    expectSame(world, { from: podNs('client'), to: '10.96.0.10', proto: 'udp', dport: 53, dns: { name: 'example.com', type: 'A' } })
  })
})

describe('scenario clusters: every pod (first three) → every Service', () => {
  for (const file of readdirSync(SCENARIO_CLUSTERS).filter((f) => f.endsWith('.yaml')).sort()) {
    it(file, () => {
      const loaded = loadClusterText(readFileSync(SCENARIO_CLUSTERS + file, 'utf8'), { file, seed: 1 })
      const world = loaded.world!
      const pods = world.cluster!.pods.filter((p) => !p.hostNetwork && p.netns).slice(0, 3)
      const ports = world.cluster!.services.flatMap((s) => (s.spec.clusterIP && s.spec.clusterIP !== 'None' ? (s.spec.ports ?? []).map((p) => ({ ip: s.spec.clusterIP!, port: p.port, proto: p.protocol === 'UDP' ? ('udp' as const) : ('tcp' as const) })) : []))
      expect(ports.length).toBeGreaterThan(0)
      for (const s of ports) for (const p of pods) expectSame(world, { from: p.netns!, to: s.ip, proto: s.proto, dport: s.port })
    })
  }
})

describe('enumerateTraceOutcomes', () => {
  it('lists a 2-endpoint Service as two outcomes of 1/2, chosen in the client node’s PREROUTING', () => {
    const world = kubeTestCluster('{plugin: flannel, backend: vxlan}')
    const client = world.cluster!.pods.find((p) => p.name === 'client')!
    const list = enumerateTraceOutcomes(world, { from: client.netns!, to: '10.96.45.123', proto: 'tcp', dport: 80 })
    const web = world.cluster!.pods.filter((p) => p.labels.app === 'web')
    expect(list.method).toBe('hook')
    // KUBE-SVC-… picks the first endpoint with probability 0.5, else the second.
    expect(list.outcomes.map((o) => [o.dnat, o.probability])).toEqual(web.map((p) => [`${p.ip!}:80`, 0.5]).sort())
    // kube-proxy's nat PREROUTING on the client's node, run by br_netfilter for the frame cni0 bridges.
    expect(list.outcomes.map((o) => o.at)).toEqual([0, 1].map(() => ({ netns: client.node, hook: 'PREROUTING', path: 'bridge' })))
    const second = list.replay(list.outcomes[1]!.choices)
    expect(second.outcome.deliveredNetns).toBe(web.find((p) => `${p.ip!}:80` === list.outcomes[1]!.dnat)!.netns)
    // The world after it holds the client node's connection to the ClusterIP (the start had none).
    const toVip = (w: World) => w.netns[client.node]!.conntrack.filter((e) => e.orig.dst === '10.96.45.123' && e.reply.src === second.outcome.dnat!.split(':')[0])
    expect([toVip(world).length, toVip(second.world).length]).toEqual([0, 1])
  })
})
