import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadClusterText } from '../../engine/kube/load.ts'
import { worldAtStep } from '../../engine/sim/effects.ts'
import { simulate } from '../../engine/sim/simulate.ts'
import { bridgeWorld, vxlanWorld } from '../../engine/sim/testWorlds.ts'
import type { ChainWalk } from '../../engine/sim/trace.ts'
import { parseIptablesSave } from '../../engine/netfilter/save.ts'
import { loadWorld } from '../scenarios/buildDemo.ts'
import { addrRows, bgpView, chainView, conntrackRows, fdbRows, lastNetfilterStep, neighRows, routeRows, ruleRows, sysctlRows } from './tableRows.ts'
import { addRule, DEFAULT_RULES } from '../../engine/route/rules.ts'
import { addRoute, putNetns } from '../../engine/model/ops.ts'

const used = (rows: readonly { used: boolean; text: string }[]) => rows.filter((r) => r.used).map((r) => r.text)

describe('table rows', () => {
  const start = vxlanWorld()
  const { steps } = simulate(start, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' }, { seed: 7, now: 1000 })
  const at = (i: number) => worldAtStep(start, steps, i)

  it('marks the route a lookup used, with the engine’s reason', () => {
    const i = steps.findIndex((s) => s.kind === 'route' && s.netns === 'node1')
    const rows = routeRows(at(i).netns.node1!, steps[i])
    expect(used(rows)).toEqual(['10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink'])
    expect(rows.find((r) => r.used)?.reason).toMatch(/only matching route/)
  })

  it('a neighbour learned by ARP appears at its step, not before (Back restores the table)', () => {
    const i = steps.findIndex((s) => s.kind === 'neigh-learn' && s.netns === 'node1-pod')
    // Before the ARP request there is no entry; while it waits for the answer it is INCOMPLETE.
    const ask = steps.findIndex((s) => s.kind === 'arp-request' && s.netns === 'node1-pod')
    expect(neighRows(at(ask - 1).netns['node1-pod']!, steps[ask - 1]).map((r) => r.text)).toEqual([])
    expect(neighRows(at(i - 1).netns['node1-pod']!, steps[i - 1]).map((r) => r.text)).toEqual(['10.244.1.1 dev eth0 INCOMPLETE'])
    const rows = neighRows(at(i).netns['node1-pod']!, steps[i])
    expect(used(rows)).toEqual(['10.244.1.1 dev eth0 lladdr 02:00:00:00:c1:01 REACHABLE'])
    expect(rows[0]!.reason).toBe('learned by this step')
  })

  it('splits bridge FDB from VXLAN FDB and marks the VTEP used at encapsulation', () => {
    const i = steps.findIndex((s) => s.kind === 'encap')
    const { bridge, vxlan } = fdbRows(at(i).netns.node1!, steps[i])
    expect(vxlan.map((r) => r.text)).toEqual(['02:00:00:00:f2:02 dev flannel.1 dst 192.168.1.20 self permanent'])
    expect(vxlan[0]!.used).toBe(true)
    expect(vxlan[0]!.reason).toMatch(/VTEP for this MAC is 192.168.1.20/)
    expect(bridge.every((r) => !r.used)).toBe(true)
  })

  it('marks the sysctl that dropped a packet (ip_forward off)', () => {
    const w = vxlanWorld({ ipForward: false })
    const t = simulate(w, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' }, { seed: 1 }).steps
    const rows = sysctlRows(w.netns.node1!, t.at(-1))
    expect(used(rows)).toEqual(['net.ipv4.ip_forward = 0'])
  })

  it('marks a local address when the packet is for this netns', () => {
    const b = bridgeWorld()
    const t = simulate(b, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 1 }).steps
    const i = t.findIndex((s) => s.ref?.table === 'addr' && s.netns === 'pod-b')
    expect(used(addrRows(b.netns['pod-b']!, t[i]))).toEqual(['10.244.1.3/24 dev eth0'])
  })

  it('iptables: every rule of the chain, matched / missed with the failing match / not evaluated', async () => {
    const w = await loadWorld('clusterip-same-node')
    const t = simulate(w, { from: 'a', to: '10.96.1.100', proto: 'tcp', dport: 80 }, { seed: 1 }).steps
    const i = t.findIndex((s) => s.netfilter?.hook === 'PREROUTING')
    const ns = worldAtStep(w, t, i).netns.host!
    const walk = t[i]!.netfilter!.chains.find((c) => c.chain === 'TEST-SVC')!
    const v = chainView(walk, ns.netfilter, ns.counters)
    // Seed 1 takes the second DNAT: the statistic rule is "missed" because its coin said no.
    expect(v.rows.map((r) => r.status)).toEqual(['missed', 'matched'])
    expect(v.rows[0]!.eval?.failed).toMatch(/not taken/)
    // The conntrack entry made by this hook is in the table from this step on.
    const ct = conntrackRows(worldAtStep(w, t, t.length - 1).netns.host!, 1000)
    expect(ct[0]!.text).toMatch(/^tcp +6 \d+ \w+ src=10\.244\.1\.2 dst=10\.96\.1\.100 .*dport=80/)
    expect(lastNetfilterStep(t, i + 1)?.index).toBe(i)
  })

  it('rules folded into a miss run count as missed; rules after the exit were never evaluated', () => {
    const { ruleset } = parseIptablesSave(['*nat', ':KUBE-SERVICES - [0:0]', ...[1, 2, 3, 4, 5].map((n) => `-A KUBE-SERVICES -d 10.96.0.${n}/32 -j ACCEPT`), 'COMMIT', ''].join('\n'))
    const walk: ChainWalk = { table: 'nat', chain: 'KUBE-SERVICES', rules: [{ ruleId: 'nat:KUBE-SERVICES:4', index: 4, raw: '-d 10.96.0.4/32 -j ACCEPT', result: 'matched', action: 'ACCEPT' }], exit: 'ACCEPT', missRuns: [{ from: 1, to: 3 }] }
    const v = chainView(walk, ruleset, { 'nat:KUBE-SERVICES:4': [1, 60] })
    expect(v.rows.map((r) => [r.num, r.status, r.inMissRun])).toEqual([
      [1, 'missed', true],
      [2, 'missed', true],
      [3, 'missed', true],
      [4, 'matched', false],
      [5, 'not-evaluated', false],
    ])
    expect(v.rows[3]!.counters).toEqual([1, 60])
  })
})

describe('bgpView: a Calico node’s peers and the block it advertises', () => {
  const text = readFileSync(new URL('../../../scenarios/clusters/two-nodes-calico.yaml', import.meta.url), 'utf8')
  const w = loadClusterText(text, { seed: 1 }).world!

  it('node1 advertises its podCIDR block and peers with node2, whose block it learned', () => {
    // two-nodes-calico.yaml: node1 podCIDR 10.244.1.0/24, node2 192.168.1.20 with 10.244.2.0/24; full mesh.
    expect(bgpView(w, w.netns.node1!)).toEqual({
      node: 'node1',
      asNumber: 64512,
      advertised: ['10.244.1.0/24'],
      peers: [{ peer: 'node2', peerIp: '192.168.1.20', state: 'Established', info: 'node-to-node mesh', learned: ['10.244.2.0/24'] }],
    })
    // What it learned is what BIRD installed: the route via the peer, proto bird.
    expect(routeRows(w.netns.node1!).map((r) => r.text)).toContain('10.244.2.0/24 via 192.168.1.20 dev eth0 proto bird')
  })

  it('no BGP view for a pod, or for a node without Calico', () => {
    const pod = Object.values(w.netns).find((n) => n.kind === 'pod')!
    expect(bgpView(w, pod)).toBeUndefined()
    const flannel = vxlanWorld()
    expect(bgpView(flannel, flannel.netns.node1!)).toBeUndefined()
  })
})

describe('ip rule rows', () => {
  it('none with the kernel\'s defaults (the table stays hidden)', () => {
    expect(ruleRows(bridgeWorld().netns['pod-a']!)).toEqual([])
  })

  it('one row per rule as ip rule prints it (priorities right-aligned, not tabbed); the rule that chose the route\'s table is marked, and that table\'s route shown', () => {
    let w = bridgeWorld()
    // pod-a: 8.8.8.8 is looked up in table 100 (rule 32765, the kernel's pick for a rule added without pref).
    const added = addRule(DEFAULT_RULES, { to: '8.8.8.8', action: 'lookup', table: 100 })
    if (!added.ok) throw new Error('add failed')
    w = putNetns(w, { ...w.netns['pod-a']!, rules: added.rules })
    w = addRoute(w, 'pod-a', { dst: 'default', type: 'unicast', table: 100, via: '10.244.1.1', dev: 'eth0', scope: 'global', proto: 'boot' })
    const { steps } = simulate(w, { from: 'pod-a', to: '8.8.8.8', proto: 'icmp' }, { seed: 1, now: 0 })
    const i = steps.findIndex((s) => s.kind === 'route' && s.netns === 'pod-a')
    const rows = ruleRows(worldAtStep(w, steps, i).netns['pod-a']!, steps[i])
    expect(rows.map((r) => r.text)).toEqual(['    0: from all lookup local', '32765: from all to 8.8.8.8 lookup 100', '32766: from all lookup main', '32767: from all lookup default'])
    expect(used(rows)).toEqual(['32765: from all to 8.8.8.8 lookup 100'])
    expect(used(routeRows(worldAtStep(w, steps, i).netns['pod-a']!, steps[i]))).toEqual(['default via 10.244.1.1 dev eth0 table 100'])
  })
})
