import { describe, expect, it } from 'vitest'
import type { World } from '../../engine/model/types.ts'
import { parseIptablesSave } from '../../engine/netfilter/save.ts'
import { vxlanWorld } from '../../engine/sim/testWorlds.ts'
import { nodeId } from '../graph/types.ts'
import { worldToGraph } from '../graph/worldToGraph.ts'
import type { Selection } from '../store/explainer.ts'
import { inspectorPick, isPointedAt, pointAt, selectedNode, targetForChain, targetForIp } from './graphTarget.ts'
import { conntrackAddrs } from './tableRows.ts'

/** The VXLAN world (node1/node2, a pod on each) with one kube-proxy Service in node1's nat table. */
function withService(): World {
  const w = vxlanWorld()
  const rules = [
    '*nat',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-SVC-WEB - [0:0]',
    ':KUBE-SEP-A - [0:0]',
    '-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB',
    '-A KUBE-SVC-WEB -j KUBE-SEP-A',
    '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.2.5:80',
    'COMMIT',
    '',
  ].join('\n')
  return { ...w, netns: { ...w.netns, node1: { ...w.netns.node1!, netfilter: parseIptablesSave(rules).ruleset } } }
}

describe('targetForIp: an address → who holds it', () => {
  const w = withService()
  const cases: { ip: string; context?: string; want: ReturnType<typeof targetForIp>; why: string }[] = [
    { ip: '10.244.2.5', want: { netns: 'node2-pod', dev: 'eth0', name: 'netns node2-pod' }, why: 'the pod on node2 has it on eth0' },
    { ip: '10.244.1.1', want: { netns: 'node1', dev: 'cni0', name: 'node node1' }, why: "node1's bridge holds the pod gateway" },
    { ip: '192.168.1.20', want: { netns: 'node2', dev: 'eth0', name: 'node node2' }, why: "node2's NIC on the underlay" },
    { ip: '10.96.0.20', context: 'node1', want: { netns: 'node1', clusterIP: '10.96.0.20', name: 'ClusterIP 10.96.0.20' }, why: "no interface holds a ClusterIP; node1's KUBE-SERVICES catches it" },
    { ip: '10.96.0.20', context: 'node2', want: undefined, why: "node2's nat table does not know it: nothing to point at" },
    { ip: '8.8.8.8', want: undefined, why: 'outside the world' },
    { ip: '127.0.0.1', want: undefined, why: 'loopback addresses are everyone’s: no owner (as netnsOwning)' },
  ]
  it.each(cases)('$ip ($why)', ({ ip, context, want }) => {
    expect(targetForIp(w, ip, context)).toEqual(want)
  })
})

describe('targetForChain: only the chains the Service view draws', () => {
  it.each([
    ['KUBE-SERVICES', true],
    ['KUBE-SVC-WEB', true],
    ['KUBE-SEP-A', true],
    ['KUBE-POSTROUTING', false], // no box for it: the header stays plain text
    ['PREROUTING', false],
  ] as const)('%s → %s', (chain, drawn) => {
    expect(targetForChain('node1', chain) !== undefined).toBe(drawn)
  })
})

describe('selectedNode: a selection → the node the graph emphasises', () => {
  const w = withService()
  const g = worldToGraph(w)
  const cases: { sel: Selection; want: string | null; why: string }[] = [
    { sel: { netns: 'node1', dev: 'cni0' }, want: nodeId.iface('node1', 'cni0'), why: 'the device box' },
    { sel: { netns: 'node1', dev: 'lo' }, want: nodeId.stack('node1'), why: 'loopback is not drawn: the netns stack instead' },
    { sel: { netns: 'node2-pod' }, want: nodeId.stack('node2-pod'), why: "the pod's box" },
    { sel: { netns: 'node1', chain: 'KUBE-SVC-WEB' }, want: nodeId.chain('KUBE-SVC-WEB'), why: 'the chain view has the box' },
    { sel: { netns: 'node1', chain: 'KUBE-SVC-GONE' }, want: nodeId.stack('node1'), why: 'a chain without a box: where it ran' },
    { sel: { netns: 'node1', clusterIP: '10.96.0.20' }, want: nodeId.service('10.96.0.20:80/tcp'), why: 'the Service box of that ClusterIP' },
    { sel: { netns: 'nowhere' }, want: null, why: 'a netns the graph does not draw' },
  ]
  it.each(cases)('$why', ({ sel, want }) => {
    expect(selectedNode(sel, g)).toBe(want)
  })

  it('a folded pod: the pod group standing for it', () => {
    const folded = worldToGraph(w, { podFoldThreshold: 0 })
    // node2-pod is folded into node2's group box (threshold 0, no focus).
    expect(selectedNode({ netns: 'node2-pod', dev: 'eth0' }, folded)).toBe(nodeId.podGroup('node2'))
  })
})

describe('pointAt: the graph shows the target, the inspectors keep their netns', () => {
  const t = { netns: 'node2-pod', dev: 'eth0', name: 'netns node2-pod' }
  it.each([
    { prev: null, inspect: null, why: 'nothing picked: inspectors go on following the step' },
    { prev: { netns: 'node2' }, inspect: 'node2', why: 'the netns picked in the picker stays inspected' },
    { prev: { netns: 'node1', dev: 'cni0', inspect: 'node2' }, inspect: 'node2', why: 'a pointer after a pointer keeps the first pick' },
    { prev: { netns: 'node1', inspect: null }, inspect: null, why: '…and keeps following the step' },
  ] as { prev: Selection | null; inspect: string | null; why: string }[])('$why', ({ prev, inspect }) => {
    const sel = pointAt(t, prev)
    expect(sel).toEqual({ netns: 'node2-pod', dev: 'eth0', inspect })
    expect(inspectorPick(sel)).toEqual(inspect === null ? null : { netns: inspect })
    expect(isPointedAt(t, sel)).toBe(true)
  })

  it('a plain pick (picker, graph click) is what the inspectors describe, and no pointer', () => {
    const sel: Selection = { netns: 'node2-pod', dev: 'eth0' }
    expect(inspectorPick(sel)).toBe(sel)
    // Same netns and device, but picked in the graph: the inspector button is not "on".
    expect(isPointedAt(t, sel)).toBe(false)
  })
})

describe('conntrackAddrs: each endpoint once, in conntrack -L order', () => {
  it('a DNATed connection names client, ClusterIP and backend', () => {
    const e = { id: 1, orig: { src: '10.244.1.5', dst: '10.96.0.20', proto: 'tcp', sport: 40000, dport: 80 }, reply: { src: '10.244.2.5', dst: '10.244.1.5', proto: 'tcp', sport: 80, dport: 40000 }, status: [], mark: 0, expires: 0 } as const
    // The reply's dst is the client again (no SNAT): listed once.
    expect(conntrackAddrs(e).map((a) => `${a.role} ${a.ip}`)).toEqual(['original src 10.244.1.5', 'original dst 10.96.0.20', 'reply src 10.244.2.5'])
  })
})
