import { describe, expect, it } from 'vitest'
import { simulate } from '../../engine/sim/simulate.ts'
import { bridgeWorld, vxlanWorld } from '../../engine/sim/testWorlds.ts'
import type { TraceStep } from '../../engine/sim/trace.ts'
import { nodeId } from '../graph/types.ts'
import { worldToGraph } from '../graph/worldToGraph.ts'
import { FLOW_STYLE, locate, stepToAnimation, traceAnimations, waitingToken } from './stepToAnimation.ts'

const bridge = bridgeWorld()
const bridgeGraph = worldToGraph(bridge)
const bridgeSteps = simulate(bridge, { from: 'pod-a', to: '10.244.1.3', proto: 'icmp' }, { seed: 7, now: 1000 }).steps
const vx = vxlanWorld()
const vxGraph = worldToGraph(vx)
const vxSteps = simulate(vx, { from: 'node1-pod', to: '10.244.2.5', proto: 'icmp' }, { seed: 7, now: 1000 }).steps

const first = (steps: readonly TraceStep[], pred: (s: TraceStep) => boolean) => steps.findIndex(pred)

describe('stepToAnimation', () => {
  it('gives every flow its own shape', () => {
    const shapes = Object.values(FLOW_STYLE).map((f) => f.shape)
    expect(new Set(shapes).size).toBe(shapes.length)
  })

  it('a veth crossing travels the veth edge from one end to the other', () => {
    const i = first(bridgeSteps, (s) => s.kind === 'veth' && s.flow === 'request' && s.netns === 'pod-a')
    const a = stepToAnimation(bridgeSteps[i]!, bridgeGraph)
    expect(a.from).toBe(nodeId.iface('pod-a', 'eth0'))
    expect(a.at).toBe(nodeId.iface('host', 'veth-a'))
    expect(a.edges).toEqual([`veth:${[nodeId.iface('host', 'veth-a'), nodeId.iface('pod-a', 'eth0')].sort().join('|')}`])
    expect(a.shape).toBe('circle')
  })

  it('a step without a device rests on the netns’s IP stack (or the pod’s containers)', () => {
    const send = stepToAnimation(bridgeSteps[0]!, bridgeGraph)
    expect(send.at).toBe(nodeId.stack('pod-a'))
    expect(send.from).toBeNull()
    expect(locate(vxGraph, 'node1-pod')).toBe(nodeId.stack('node1-pod'))
  })

  it('the bridge forwarding to a port travels the port edge', () => {
    const anims = traceAnimations(bridgeSteps, bridgeGraph)
    const hit = first(bridgeSteps, (s) => s.kind === 'fdb-hit' && s.flow === 'request')
    const tx = anims[hit + 1]!
    expect(bridgeSteps[hit + 1]!.kind).toBe('tx')
    expect(tx.from).toBe(nodeId.iface('host', 'cni0'))
    expect(tx.at).toBe(nodeId.iface('host', 'veth-b'))
    expect(tx.edges).toEqual([`port:${nodeId.iface('host', 'veth-b')}>${nodeId.iface('host', 'cni0')}`])
  })

  it('crossing the underlay passes the segment node and travels both underlay edges', () => {
    const i = first(vxSteps, (s) => s.kind === 'segment' && s.flow === 'request')
    const a = stepToAnimation(vxSteps[i]!, vxGraph)
    expect(a.from).toBe(nodeId.iface('node1', 'eth0'))
    expect(a.via).toEqual([nodeId.segment('underlay')])
    expect(a.at).toBe(nodeId.iface('node2', 'eth0'))
    expect(a.edges).toHaveLength(2)
    // The packet is wrapped: the VXLAN tunnel between the two flannel.1 devices lights up.
    expect(a.encapsulated).toBe(true)
    expect(a.tunnel).toBe(`vxlan:${[nodeId.iface('node1', 'flannel.1'), nodeId.iface('node2', 'flannel.1')].sort().join('|')}`)
  })

  it('after decapsulation the packet is no longer in the tunnel', () => {
    const i = first(vxSteps, (s) => s.kind === 'decap')
    const a = stepToAnimation(vxSteps[i]!, vxGraph)
    expect(a.at).toBe(nodeId.iface('node2', 'flannel.1'))
    expect(a.encapsulated).toBe(false)
    expect(a.tunnel).toBeNull()
  })

  it('marks drops and deliveries where they happen', () => {
    const anims = traceAnimations(vxSteps, vxGraph)
    const d = first(vxSteps, (s) => s.kind === 'deliver')
    expect(anims[d]).toMatchObject({ mark: 'deliver', at: nodeId.stack('node2-pod') })
    const drop = stepToAnimation({ ...vxSteps[5]!, kind: 'drop', netns: 'node1', dev: undefined }, vxGraph)
    expect(drop).toMatchObject({ mark: 'drop', at: nodeId.stack('node1') })
  })

  it('the request waits where it was while ARP goes out and back, then continues from there', () => {
    const anims = traceAnimations(bridgeSteps, bridgeGraph)
    const arp = first(bridgeSteps, (s) => s.flow === 'arp')
    const parked = waitingToken(bridgeSteps, anims, arp + 2)
    expect(parked?.flow).toBe('request')
    expect(parked?.at).toBe(nodeId.stack('pod-a'))
    expect(waitingToken(bridgeSteps, anims, 0)).toBeNull()
    // The first request step after ARP starts at pod-a, not where the ARP reply ended.
    const tx = first(bridgeSteps, (s) => s.flow === 'request' && s.kind === 'tx')
    expect(anims[tx]!.from).toBe(nodeId.stack('pod-a'))
    expect(anims[tx]!.at).toBe(nodeId.iface('pod-a', 'eth0'))
  })

  it('the reply starts where the request was delivered', () => {
    const anims = traceAnimations(bridgeSteps, bridgeGraph)
    const r = first(bridgeSteps, (s) => s.flow === 'reply')
    expect(anims[r]!.shape).toBe('square')
    expect(anims[r]!.at).toBe(nodeId.stack('pod-b'))
  })
})
