/**
 * Fidelity check on the real kernel (root only, skipped loudly otherwise): each node's
 * combined iptables-save text (kube-proxy + flannel/Calico chains, with policies) is loaded
 * with iptables-legacy-restore in a throwaway netns and read back with iptables-legacy-save;
 * every table must come back line for line as we print it.
 */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { buildCluster } from './build.ts'
import { config, desc, kindNodes, pod, WEB, WEB_ALLOW_CLIENT } from './testClusters.ts'

function canRun(): boolean {
  try {
    if (process.getuid?.() !== 0) return false
    execFileSync('iptables-legacy-restore', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const POLICIES = `${WEB_ALLOW_CLIENT}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-egress}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.96.0.0/12]}}]
    ports: [{protocol: UDP, port: 53}, {port: 8000, endPort: 8100}]
  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}]
    ports: [{port: http}]
---
`

function tables(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  let cur: string | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue
    if (line.startsWith('*')) out[(cur = line)] = []
    else if (cur) out[cur]!.push(line.replace(/ \[\d+:\d+\]$/, ' [0:0]'))
  }
  return out
}

describe.skipIf(!canRun())('iptables-legacy accepts and prints back our node rules exactly', () => {
  it.each(['{plugin: flannel, backend: vxlan}', '{plugin: calico, mode: bgp}', '{plugin: calico, mode: ipip}'])('%s', (cni) => {
    const r = buildCluster(desc(config(cni) + kindNodes() + WEB + POLICIES + pod('client', 'k8s-guide-worker2', { app: 'client' }, [])), { seed: 4 })
    const ns = `pwD2-t${process.pid}`
    execFileSync('ip', ['netns', 'add', ns])
    try {
      for (const node of r.world.nodes) {
        const save = r.cluster.rules[node]!.save
        execFileSync('ip', ['netns', 'exec', ns, 'iptables-legacy-restore'], { input: save })
        const back = execFileSync('ip', ['netns', 'exec', ns, 'iptables-legacy-save'], { encoding: 'utf8' })
        expect(tables(back)).toEqual(tables(save))
      }
    } finally {
      execFileSync('ip', ['netns', 'del', ns])
    }
  })
})

if (!canRun()) console.warn('realIptables.test.ts: skipped (needs root and iptables-legacy-restore)')
