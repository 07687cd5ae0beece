import { describe, expect, it } from 'vitest'
import { buildCluster } from './build.ts'
import { addNode, applyPolicy, applyService, createDeployment, deleteDeployment, deletePod, deletePolicy, deploymentFromArgs, expose, printDiff, scaleDeployment, switchCni } from './operations.ts'
import type { OperationResult } from './operations.ts'
import { endpointChainName, serviceChainName } from './names.ts'
import { printIpRoute } from './printers.ts'
import { config, desc, kindNodes, WEB } from './testClusters.ts'
import { NetworkPolicy } from './schema.ts'

function base(cni = '{plugin: flannel, backend: vxlan}') {
  const r = buildCluster(desc(config(cni, 'dns: {replicas: 1}\n') + kindNodes() + WEB), { seed: 21 })
  return { world: r.world, cluster: r.cluster }
}

const nodeDiff = (r: OperationResult, node: string) => r.diff.find((d) => d.netns === node)

describe('scaleDeployment web 2 → 4', () => {
  const before = base()
  const r = scaleDeployment(before, { name: 'web' }, 4)
  const webIps = (c: typeof before.cluster) => c.pods.filter((p) => p.labels.app === 'web').map((p) => p.ip!)
  const oldIps = webIps(before.cluster)
  const newIps = webIps(r.cluster).filter((ip) => !oldIps.includes(ip))
  const svc = serviceChainName('default/web', 'tcp')

  it('starts exactly two pods (RunPodSandbox + CNI ADD each)', () => {
    expect(newIps).toHaveLength(2)
    expect(r.events.filter((e) => e.kind === 'RunPodSandbox')).toHaveLength(2)
  })

  it('on every node, kube-proxy adds the two SEP chains and rewrites the probability cascade 1/4, 1/3, 1/2 — nothing else', () => {
    for (const node of r.world.nodes) {
      const rules = nodeDiff(r, node)!.sections.rules!
      const seps = newIps.flatMap((ip) => {
        const sep = endpointChainName('default/web', 'tcp', `${ip}:80`)
        // kube-proxy's two SEP rules: masquerade hairpin traffic, then DNAT
        return [`-A ${sep} -s ${ip}/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ`, `-A ${sep} -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination ${ip}:80`]
      })
      const added = rules.added.filter((l) => l.startsWith('-A KUBE-SEP-'))
      expect(added.sort()).toEqual(seps.sort())
      const cascadeOf = (save: string) => save.split('\n').filter((l) => l.startsWith(`-A ${svc} -m comment`))
      const oldCascade = cascadeOf(before.cluster.rules[node]!.save)
      const newCascade = cascadeOf(r.cluster.rules[node]!.save)
      // 4 endpoints: probabilities 1/4, 1/3, 1/2 as iptables-save prints them (%.11f of the kernel's u32), the last one unconditional
      expect(newCascade.map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'last')).toEqual(['0.25000000000', '0.33333333349', '0.50000000000', 'last'])
      expect(oldCascade.map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'last')).toEqual(['0.50000000000', 'last'])
      // Nothing else changes: added = the SEP rules + cascade lines that are new; removed = cascade lines that went away.
      expect(rules.added.filter((l) => !l.startsWith('-A KUBE-SEP-')).sort()).toEqual(newCascade.filter((l) => !oldCascade.includes(l)).sort())
      expect([...rules.removed].sort()).toEqual(oldCascade.filter((l) => !newCascade.includes(l)).sort())
      expect(rules.removed.length).toBeGreaterThan(0)
    }
  })

  it('the new pods add their veths, routes and FDB entries on their nodes only', () => {
    const touched = r.diff.filter((d) => d.kind === 'pod').map((d) => d.change)
    expect(touched).toEqual(['created', 'created'])
    expect(printDiff(r.diff)).toContain('+ -A KUBE-SEP-')
  })

  it('scaling back down to 2 deletes the newest pods and restores the original rules', () => {
    const down = scaleDeployment(r, { name: 'web' }, 2)
    expect(webIps(down.cluster).sort()).toEqual([...oldIps].sort())
    for (const node of down.world.nodes) expect(down.cluster.rules[node]!.kubeProxy).toBe(before.cluster.rules[node]!.kubeProxy)
    expect(down.events.filter((e) => e.kind === 'CNI' && e.text.includes('frees'))).toHaveLength(2)
  })
})

describe('other operations', () => {
  it('deletePod: the ReplicaSet replaces it with a new name; host-local does not reuse the freed IP at once', () => {
    const s = base()
    const victim = s.cluster.pods.find((p) => p.labels.app === 'web')!
    const r = deletePod(s, { name: victim.name })
    const web = r.cluster.pods.filter((p) => p.labels.app === 'web')
    expect(web).toHaveLength(2)
    expect(web.some((p) => p.name === victim.name)).toBe(false)
    expect(web.map((p) => p.ip)).not.toContain(victim.ip)
    expect(r.diff.find((d) => d.netns === victim.netns)?.change).toBe('deleted')
  })

  it('createDeployment + expose NodePort: a Service with a ClusterIP from the service CIDR and a NodePort in 30000-32767', () => {
    let s: OperationResult = createDeployment(base(), deploymentFromArgs({ name: 'api', replicas: 1, port: 8080 }))
    expect(s.cluster.pods.filter((p) => p.labels.app === 'api')).toHaveLength(1)
    s = expose(s, { name: 'api' }, { port: 80, targetPort: 8080, type: 'NodePort' })
    const svc = s.cluster.services.find((x) => x.metadata.name === 'api')!
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./)
    expect(svc.spec.ports[0]!.nodePort).toBeGreaterThanOrEqual(30000)
    expect(svc.spec.ports[0]!.nodePort).toBeLessThanOrEqual(32767)
    const added = nodeDiff(s, 'k8s-guide-worker')!.sections.rules!.added
    expect(added.some((l) => l.startsWith('-A KUBE-NODEPORTS') && l.includes(`--dport ${svc.spec.ports[0]!.nodePort!}`))).toBe(true)
    expect(added.some((l) => l.includes('"default/api -> ') && l.includes(':8080'))).toBe(true)
  })

  it('deleteDeployment: pods gone, its Service has no endpoints (kube-proxy REJECTs)', () => {
    const r = deleteDeployment(base(), { name: 'web' })
    expect(r.cluster.pods.filter((p) => p.labels.app === 'web')).toEqual([])
    expect(r.cluster.rules['k8s-guide-worker']!.kubeProxy).toContain('"default/web has no endpoints"')
  })

  const POLICY = NetworkPolicy.parse({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-web', namespace: 'default' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } })

  it('applyPolicy under Calico adds the policy chain and the drop to the web pods\' cali-tw chains; deletePolicy removes them', () => {
    const s = base('{plugin: calico, mode: bgp}')
    const r = applyPolicy(s, POLICY)
    const webNode = r.cluster.pods.find((p) => p.labels.app === 'web')!.node
    const added = nodeDiff(r, webNode)!.sections.rules!.added
    expect(added).toContain('-A cali-tw-' + r.cluster.pods.find((p) => p.labels.app === 'web' && p.node === webNode)!.hostVeth! + ' -m mark --mark 0x0/0x20000 -m comment --comment "Drop if no policies passed packet" -j DROP')
    expect(added.some((l) => l.includes('-j cali-pi-deny-web'))).toBe(true)
    const back = deletePolicy(r, { name: 'deny-web' })
    expect(back.cluster.rules[webNode]!.save).toBe(s.cluster.rules[webNode]!.save)
  })

  it('applyPolicy under flannel stores the policy, changes no rule, and says why', () => {
    const r = applyPolicy(base(), POLICY)
    expect(r.cluster.networkPolicies).toHaveLength(1)
    expect(r.diff).toEqual([])
    expect(r.events[0]!.text).toContain('not enforced')
  })

  it('addNode: the new node gets the next address and podCIDR; every node learns its subnet', () => {
    const r = addNode(base())
    expect(r.world.nodes).toHaveLength(4)
    const n = r.cluster.nodes.at(-1)!
    expect(n).toMatchObject({ name: 'node4', podCIDR: '10.244.3.0/24' })
    for (const other of ['k8s-guide-control-plane', 'k8s-guide-worker', 'k8s-guide-worker2']) {
      expect(nodeDiff(r, other)!.sections.routes!.added).toEqual(['10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink'])
      expect(nodeDiff(r, other)!.sections.fdb!.added).toHaveLength(1)
    }
    expect(printIpRoute(r.world.netns.node4!)).toContain('10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink')
  })

  it('switchCni flannel → calico ipip: flannel.1/cni0 go, tunl0 and bird routes come, pods restart with cali veths', () => {
    const s = base()
    const r = switchCni(s, { plugin: 'calico', mode: 'ipip' })
    for (const node of r.world.nodes) {
      const ns = r.world.netns[node]!
      expect(ns.links.some((l) => l.name === 'flannel.1' || l.name === 'cni0')).toBe(false)
      expect(ns.links.some((l) => l.name === 'tunl0')).toBe(true)
      expect(printIpRoute(ns)).toContain('proto bird')
      expect(r.cluster.rules[node]!.diagnostics).toEqual([])
    }
    expect(r.cluster.pods.filter((p) => !p.hostNetwork).every((p) => p.hostVeth?.startsWith('cali'))).toBe(true)
    expect(r.cluster.policy.enforced).toBe(true)
    expect(r.events.some((e) => e.kind === 'CNI' && e.text.includes('frees'))).toBe(true)
  })
})

describe('world notes', () => {
  it('under flannel, a stored NetworkPolicy becomes a "not enforced" note on the world', () => {
    const pol = NetworkPolicy.parse({ kind: 'NetworkPolicy', metadata: { name: 'deny-web', namespace: 'default' }, spec: { podSelector: {} } })
    const r = applyPolicy(base(), pol)
    expect(r.world.notes?.some((n) => n.startsWith('NetworkPolicy not enforced (default/deny-web)'))).toBe(true)
    expect(applyPolicy(base('{plugin: calico, mode: bgp}'), pol).world.notes?.some((n) => n.startsWith('NetworkPolicy not enforced'))).toBe(false)
  })
})

describe('a Service applied again (apiserver update)', () => {
  it('keeps its ClusterIP and NodePort: its own addresses are not "already allocated" to it', () => {
    let s: OperationResult = createDeployment(base(), deploymentFromArgs({ name: 'api', replicas: 1, port: 8080 }))
    s = expose(s, { name: 'api' }, { port: 80, targetPort: 8080, type: 'NodePort' })
    const first = s.cluster.services.find((x) => x.metadata.name === 'api')!
    // The same object without the allocated fields, as a user's YAML would have it.
    const again = { ...first, spec: { ...first.spec, clusterIP: undefined, ports: first.spec.ports.map(({ nodePort: _n, ...p }) => p) } }
    const applied = applyService(s, again)
    const svc = applied.cluster.services.find((x) => x.metadata.name === 'api')!
    expect(svc.spec.clusterIP).toBe(first.spec.clusterIP)
    expect(svc.spec.ports[0]!.nodePort).toBe(first.spec.ports[0]!.nodePort)
    expect(applied.events.some((e) => /allocates/.test(e.text))).toBe(false)
    expect(applied.diagnostics.filter((d) => d.code === 'K8S008')).toEqual([])
  })
})
