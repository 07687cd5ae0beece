import { describe, expect, it } from 'vitest'
import { addAddr, addNetns, addVethPair, newNetns, setLinkUp, setMaster } from '../../engine/model/ops.ts'
import type { World } from '../../engine/model/types.ts'
import type { ClusterState } from '../../engine/kube/state.ts'
import { parseIptablesSave } from '../../engine/netfilter/save.ts'
import { bridgeWorld, vxlanWorld } from '../../engine/sim/testWorlds.ts'
import { nodeId } from './types.ts'
import type { EdgeKind, GraphModel } from './types.ts'
import { serviceKey, topologyKey, worldToGraph } from './worldToGraph.ts'

const ids = (g: GraphModel) => g.nodes.map((n) => n.id)
const edgesOf = (g: GraphModel, kind: EdgeKind) => g.edges.filter((e) => e.data?.kind === kind).map((e) => `${e.source} → ${e.target}`)
const parentOf = (g: GraphModel, id: string) => g.nodes.find((n) => n.id === id)?.parentId

/** Add `n` extra pods behind node1's cni0 in the VXLAN world. */
function crowded(n: number): World {
  let w = vxlanWorld()
  for (let i = 0; i < n; i++) {
    const pod = `extra-${i}`
    w = addNetns(w, newNetns(pod, 'pod', { node: 'node1' }))
    w = addVethPair(w, { netns: 'node1', name: `veth-x${i}` }, { netns: pod, name: 'eth0' })
    w = setMaster(w, 'node1', `veth-x${i}`, 'cni0')
    w = setLinkUp(w, 'node1', `veth-x${i}`, true)
    w = setLinkUp(w, pod, 'eth0', true)
    w = addAddr(w, pod, 'eth0', `10.244.1.${20 + i}/24`)
  }
  return w
}

describe('worldToGraph', () => {
  it('Exercise 1: three netns groups, veth pairs, bridge ports, one stack per netns', () => {
    const g = worldToGraph(bridgeWorld())
    for (const ns of ['host', 'pod-a', 'pod-b']) {
      expect(ids(g)).toContain(nodeId.netns(ns))
      expect(ids(g)).toContain(nodeId.stack(ns))
    }
    // The pod end is the source, so the layout puts pods above the host.
    expect(edgesOf(g, 'veth').sort()).toEqual([`${nodeId.iface('pod-a', 'eth0')} → ${nodeId.iface('host', 'veth-a')}`, `${nodeId.iface('pod-b', 'eth0')} → ${nodeId.iface('host', 'veth-b')}`])
    expect(edgesOf(g, 'port').sort()).toEqual([`${nodeId.iface('host', 'veth-a')} → ${nodeId.iface('host', 'cni0')}`, `${nodeId.iface('host', 'veth-b')} → ${nodeId.iface('host', 'cni0')}`])
    // cni0 carries the host's address: it reaches the host's IP stack. Bridge ports do not.
    expect(edgesOf(g, 'stack')).toContain(`${nodeId.iface('host', 'cni0')} → ${nodeId.stack('host')}`)
    expect(edgesOf(g, 'stack').some((e) => e.includes('veth-a'))).toBe(false)
    // Every node's parent appears before it (React Flow requires it).
    const seen = new Set<string>()
    for (const n of g.nodes) {
      if (n.parentId) expect(seen.has(n.parentId), n.id).toBe(true)
      seen.add(n.id)
    }
  })

  it('Exercise 2: pods nest in their node, the underlay joins the NICs, a VXLAN edge joins the VTEPs', () => {
    const g = worldToGraph(vxlanWorld())
    expect(parentOf(g, nodeId.netns('node1-pod'))).toBe(nodeId.netns('node1'))
    expect(g.nodes.find((n) => n.id === nodeId.stack('node1-pod'))?.type).toBe('containers')
    expect(edgesOf(g, 'underlay').sort()).toEqual([`${nodeId.iface('node1', 'eth0')} → seg:underlay`, `${nodeId.iface('node2', 'eth0')} → seg:underlay`])
    // Both nodes' FDB entries point at each other: one tunnel edge, not two.
    const vx = g.edges.filter((e) => e.data?.kind === 'vxlan')
    expect(vx).toHaveLength(1)
    expect(vx[0]).toMatchObject({ source: nodeId.iface('node1', 'flannel.1'), target: nodeId.iface('node2', 'flannel.1'), data: { label: 'VXLAN VNI 1', layout: false } })
    expect(g.ipOwner['192.168.1.20']).toBe('node2')
    const eth = g.nodes.find((n) => n.id === nodeId.iface('node1', 'flannel.1'))
    expect(eth?.data).toMatchObject({ detail: 'VXLAN VNI 1 · UDP 8472', mtu: 1450, addrs: ['10.244.1.0/32'] })
  })

  it('no VXLAN edge when the FDB has no remote VTEP', () => {
    const w = vxlanWorld()
    const node1 = w.netns.node1!
    const g = worldToGraph({ ...w, netns: { ...w.netns, node1: { ...node1, fdb: node1.fdb.filter((f) => !f.dst) } } })
    // node2 still points at node1: the tunnel exists in one direction, drawn once.
    expect(g.edges.filter((e) => e.data?.kind === 'vxlan')).toHaveLength(1)
    const w2 = { ...w, netns: Object.fromEntries(Object.entries(w.netns).map(([k, n]) => [k, { ...n, fdb: n.fdb.filter((f) => !f.dst) }])) }
    expect(worldToGraph(w2).edges.filter((e) => e.data?.kind === 'vxlan')).toHaveLength(0)
  })

  it('folds pods on a crowded node into one box, except the ones in focus', () => {
    const w = crowded(8) // node1 now has 9 pods (> 6)
    const g = worldToGraph(w, { focus: new Set(['node1-pod']) })
    expect(ids(g)).toContain(nodeId.podGroup('node1'))
    expect(g.nodes.find((n) => n.id === nodeId.podGroup('node1'))?.data).toEqual({ node: 'node1', count: 8 })
    expect(ids(g)).toContain(nodeId.netns('node1-pod'))
    expect(ids(g)).not.toContain(nodeId.netns('extra-3'))
    // Their host ends are folded too, and both the pod and its host end point at the box.
    expect(ids(g)).not.toContain(nodeId.iface('node1', 'veth-x3'))
    expect(g.alias['extra-3']).toBe(nodeId.podGroup('node1'))
    expect(g.alias['node1|veth-x3']).toBe(nodeId.podGroup('node1'))
    // node2 has one pod: nothing folded there.
    expect(ids(g)).not.toContain(nodeId.podGroup('node2'))
    // Expanding the node shows them all.
    const open = worldToGraph(w, { expandedNodes: new Set(['node1']) })
    expect(ids(open)).toContain(nodeId.netns('extra-3'))
    expect(ids(open)).not.toContain(nodeId.podGroup('node1'))
  })

  it('draws a Service from the nat table: ClusterIP → KUBE-SVC → KUBE-SEP (with chances) → the pod', () => {
    const w = vxlanWorld()
    const rules = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SVC-WEB - [0:0]',
      ':KUBE-SEP-A - [0:0]',
      ':KUBE-SEP-B - [0:0]',
      '-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB',
      '-A KUBE-SVC-WEB -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-A',
      '-A KUBE-SVC-WEB -j KUBE-SEP-B',
      '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.5:80',
      '-A KUBE-SEP-B -p tcp -m tcp -j DNAT --to-destination 10.244.2.5:80',
      'COMMIT',
      '',
    ].join('\n')
    const { ruleset } = parseIptablesSave(rules)
    const g = worldToGraph({ ...w, netns: { ...w.netns, node1: { ...w.netns.node1!, netfilter: ruleset } } })
    const svc = g.nodes.find((n) => n.type === 'service')
    expect(svc?.data).toMatchObject({ name: 'default/web:http', clusterIP: '10.96.0.20', port: '80/tcp', from: 'node1' })
    // The ClusterIP hangs off no interface: its only edges are chain edges.
    expect(g.edges.filter((e) => e.source === svc!.id || e.target === svc!.id).every((e) => e.data?.kind === 'chain')).toBe(true)
    expect(g.edges.filter((e) => e.source === nodeId.chain('KUBE-SVC-WEB')).map((e) => e.label)).toEqual(['50%', '50%'])
    expect(edgesOf(g, 'chain')).toContain(`${nodeId.chain('KUBE-SEP-B')} → ${nodeId.stack('node2-pod')}`)
  })

  it('draws only the Services the timeline uses; the rest wait behind one box', () => {
    const lines = ['*nat', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-A - [0:0]', ':KUBE-SVC-B - [0:0]', ':KUBE-SEP-A - [0:0]', ':KUBE-SEP-B - [0:0]']
    lines.push('-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m udp --dport 53 -j KUBE-SVC-A', '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-SVC-B')
    lines.push('-A KUBE-SVC-A -j KUBE-SEP-A', '-A KUBE-SVC-B -j KUBE-SEP-B', '-A KUBE-SEP-A -p udp -m udp -j DNAT --to-destination 10.244.1.5:53', '-A KUBE-SEP-B -p tcp -m tcp -j DNAT --to-destination 192.168.1.10:6443', 'COMMIT', '')
    const w = vxlanWorld()
    const world = { ...w, netns: { ...w.netns, node1: { ...w.netns.node1!, netfilter: parseIptablesSave(lines.join('\n')).ruleset } } }
    const g = worldToGraph(world, { focusServices: new Set([serviceKey('10.96.0.10', 53, 'udp')]) })
    expect(g.nodes.filter((n) => n.type === 'service').map((n) => n.data.clusterIP)).toEqual(['10.96.0.10'])
    expect(g.nodes.find((n) => n.id === nodeId.more('*'))?.data).toMatchObject({ chain: '+1 other ClusterIP port' })
    // A timeline that uses none: one box says how many there are, nothing else.
    const none = worldToGraph(world, { focusServices: new Set() })
    expect(none.nodes.filter((n) => n.parentId === nodeId.servicesGroup()).map((n) => n.data)).toEqual([expect.objectContaining({ chain: '2 ClusterIP ports', role: 'more' })])
    // Asking for all of them shows both.
    const all = worldToGraph(world, { focusServices: new Set(), expandedServices: new Set(['*']) })
    expect(all.nodes.filter((n) => n.type === 'service')).toHaveLength(2)
  })

  it('folds long SEP lists into a "+N more" node until the Service is expanded', () => {
    const n = 6
    const seps = Array.from({ length: n }, (_, i) => `KUBE-SEP-E${i}`)
    const lines = ['*nat', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-WEB - [0:0]', ...seps.map((s) => `:${s} - [0:0]`), '-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-WEB']
    seps.forEach((s, i) => {
      lines.push(`-A KUBE-SVC-WEB${n - i > 1 ? ` -m statistic --mode random --probability ${(1 / (n - i)).toFixed(10)}` : ''} -j ${s}`)
      lines.push(`-A ${s} -p tcp -m tcp -j DNAT --to-destination 10.244.9.${i}:80`)
    })
    lines.push('COMMIT', '')
    const w = vxlanWorld()
    const world = { ...w, netns: { ...w.netns, node1: { ...w.netns.node1!, netfilter: parseIptablesSave(lines.join('\n')).ruleset } } }
    const g = worldToGraph(world)
    // 3 shown + 1 "more" (threshold 4): the folded three carry half the traffic.
    expect(g.nodes.filter((x) => x.type === 'chain' && x.data.role === 'sep')).toHaveLength(3)
    const more = g.edges.find((e) => e.target === nodeId.more('10.96.0.20:80/tcp'))
    expect(more?.label).toBe('50%')
    const open = worldToGraph(world, { expandedServices: new Set(['10.96.0.20:80/tcp']) })
    expect(open.nodes.filter((x) => x.type === 'chain' && x.data.role === 'sep')).toHaveLength(6)
  })

  it('draws BGP sessions when the cluster data has them', () => {
    // Only the part of ClusterState this reads.
    const cluster = { bgp: { asNumber: 64512, advertised: [], sessions: [{ node: 'node1', peer: 'node2', peerIp: '192.168.1.20', state: 'Established', info: '' }, { node: 'node2', peer: 'node1', peerIp: '192.168.1.10', state: 'Established', info: '' }] } } as unknown as ClusterState
    const w: World = { ...vxlanWorld(), cluster }
    expect(edgesOf(worldToGraph(w), 'bgp')).toEqual([`${nodeId.stack('node1')} → ${nodeId.stack('node2')}`])
  })

  it('is deterministic, and its topology key changes only with the shape', () => {
    const a = worldToGraph(vxlanWorld())
    const b = worldToGraph(vxlanWorld())
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(topologyKey(a)).toBe(topologyKey(b))
    expect(topologyKey(worldToGraph(crowded(1)))).not.toBe(topologyKey(a))
  })
})
