import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { scenarioCases, testClusterCases, withoutLearnedState } from './cases.ts'
import { bridgeWorld } from '../engine/sim/testWorlds.ts'
import { simulate } from '../engine/sim/simulate.ts'

const SCENARIOS = new URL('../../scenarios/', import.meta.url).pathname

describe('scenarioCases: every scenario meets the kernel, or says why not', () => {
  const r = scenarioCases(SCENARIOS)

  it('loads every scenario without a problem', () => {
    expect(r.problems).toEqual([])
  })

  it('no scenario is dropped: each is a case or is listed as skipped with its reason', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'))
    for (const f of files) {
      const stem = f.replace(/\.yaml$/, '')
      const covered = r.cases.some((c) => c.name.startsWith(`scenario:${stem}`)) || r.skipped.some((s) => s.where === f)
      expect(covered, f).toBe(true)
    }
  })

  it('sends after a change to the world are probed in the world after it', () => {
    // 08: a send, then `scale` (a new backend: new rules), then a send through the Service again.
    const after = r.cases.find((c) => c.name === 'scenario:08-clusterip-service@2')
    expect(after?.probes.some((p) => p.kind === 'tcp')).toBe(true)
    // 01/02/04 start pods before any send: only the later worlds have probes.
    for (const stem of ['01-pause-container', '02-pod-gets-an-ip', '04-host-local-ipam']) expect(r.cases.some((c) => c.name.startsWith(`scenario:${stem}@`)), stem).toBe(true)
  })

  it('lookup and connect become DNS queries (each name the resolver asks), a resolver lookup, and a TCP connect', () => {
    const dns10 = r.cases.find((c) => c.name === 'scenario:10-dns-through-coredns')
    expect(dns10).toBeDefined()
    const kinds = new Set(dns10!.probes.map((p) => p.kind))
    // 10 has only lookup and connect actions: before, it had no probe at all.
    expect([...kinds].sort()).toEqual(['conntrack', 'dns', 'resolve', 'tcp'])
    // A short name with ndots 5 goes through the search list: several names are asked.
    const names = dns10!.probes.flatMap((p) => (p.kind === 'dns' ? [p.name] : []))
    expect(names.some((n) => n.endsWith('.svc.cluster.local'))).toBe(true)
  })

  it('a bare UDP datagram to port 53 is asked as a DNS query on the same path (dnsmasq ignores anything else)', () => {
    // 15's third action sends UDP to the kube-dns ClusterIP port 53 from the client pod.
    const c = r.cases.find((x) => x.name.includes('scenario:15-lab-debug-dns[policy-blocks-dns]') && !x.name.includes('@'))
    expect(c?.probes.some((p) => p.kind === 'dns' && p.server === '10.96.0.10')).toBe(true)
    expect(r.skipped).toEqual([])
  })
})

describe('testClusterCases: the kube/flows.test.ts clusters', () => {
  const cases = testClusterCases()
  const kinds = (i: number) => new Set(Object.values(cases[i]!.world.netns).flatMap((n) => n.links.map((l) => l.kind)))

  it('one case per CNI, with the tunnels each backend uses', () => {
    expect(cases.map((c) => c.name)).toEqual(['kube:flows-flannel-vxlan', 'kube:flows-flannel-host-gw', 'kube:flows-calico-bgp', 'kube:flows-calico-ipip'])
    // vxlan encapsulates, host-gw and bgp route plainly, ipip uses tunl0.
    expect(kinds(0).has('vxlan')).toBe(true)
    expect(kinds(1).has('vxlan') || kinds(1).has('ipip')).toBe(false)
    expect(kinds(2).has('vxlan') || kinds(2).has('ipip')).toBe(false)
    expect(kinds(3).has('ipip')).toBe(true)
  })

  it('each is probed across nodes and through its DNS records (SRV, PTR, a headless Service, a short name)', () => {
    for (const c of cases) {
      const dns = c.probes.flatMap((p) => (p.kind === 'dns' ? [p] : []))
      expect(dns.some((p) => p.type === 'SRV'), c.name).toBe(true)
      expect(dns.some((p) => p.type === 'PTR'), c.name).toBe(true)
      expect(dns.some((p) => p.name.startsWith('web-pods.')), c.name).toBe(true)
      expect(c.probes.some((p) => p.kind === 'resolve'), c.name).toBe(true)
    }
  })
})

describe('withoutLearnedState', () => {
  it('drops conntrack entries and learned neighbours the start world did not have', () => {
    const start = bridgeWorld()
    const r = simulate(start, { from: 'pod-a', to: '10.244.1.3', proto: 'tcp', dport: 80 }, { seed: 1, now: 0 })
    const learned = (w: typeof start) => Object.values(w.netns).reduce((n, x) => n + x.neigh.length + x.conntrack.length, 0)
    // The trace learned something (ARP at least), and the cleaned world is back to the start's.
    expect(learned(r.world)).toBeGreaterThan(learned(start))
    expect(learned(withoutLearnedState(r.world, start))).toBe(learned(start))
  })
})
