import ELK from 'elkjs/lib/elk.bundled.js'
import { describe, expect, it } from 'vitest'
import type { ClusterState } from '../../engine/kube/state.ts'
import { vxlanWorld } from '../../engine/sim/testWorlds.ts'
import { absoluteCentres, layoutGraph, placeNodes, routeOverlayEdges, toElkGraph } from './layout.ts'
import { nodeId } from './types.ts'
import { worldToGraph } from './worldToGraph.ts'

const elk = new ELK()
const run = (g: Parameters<typeof elk.layout>[0]) => elk.layout(g)

describe('layout', () => {
  it('nests groups, and leaves tunnel edges out of the layout', () => {
    const g = worldToGraph(vxlanWorld())
    const e = toElkGraph(g)
    const node1 = e.children!.find((c) => c.id === nodeId.netns('node1'))!
    expect(node1.children!.map((c) => c.id)).toContain(nodeId.netns('node1-pod'))
    expect(e.edges!.some((x) => x.id.startsWith('vxlan:'))).toBe(false)
    expect(e.edges!.some((x) => x.id.startsWith('veth:'))).toBe(true)
  })

  it('places pods above their node’s NIC and the underlay below both nodes', async () => {
    const g = worldToGraph(vxlanWorld())
    const placed = placeNodes(g.nodes, await layoutGraph(g, run))
    const c = absoluteCentres(placed)
    const y = (id: string) => c.get(id)!.y
    expect(y(nodeId.stack('node1-pod'))).toBeLessThan(y(nodeId.iface('node1', 'cni0')))
    expect(y(nodeId.iface('node1', 'cni0'))).toBeLessThan(y(nodeId.iface('node1', 'eth0')))
    expect(y(nodeId.iface('node1', 'eth0'))).toBeLessThan(y(nodeId.segment('underlay')))
    // Groups got a size that holds their children.
    const group = placed.find((n) => n.id === nodeId.netns('node1'))!
    expect(group.width).toBeGreaterThan(176)
  })

  it('keeps a user drag over the layout position', async () => {
    const g = worldToGraph(vxlanWorld())
    const positions = await layoutGraph(g, run)
    const id = nodeId.segment('underlay')
    const placed = placeNodes(g.nodes, positions, { [id]: { x: 5, y: 7 } })
    expect(placed.find((n) => n.id === id)!.position).toEqual({ x: 5, y: 7 })
  })

  it('routes a tunnel under both nodes, and a BGP session through the facing sides', async () => {
    const cluster = { bgp: { sessions: [{ node: 'node1', peer: 'node2' }] } } as unknown as ClusterState
    const g = worldToGraph({ ...vxlanWorld(), cluster })
    const placed = placeNodes(g.nodes, await layoutGraph(g, run))
    const routed = routeOverlayEdges(g.edges, placed)
    const vx = routed.find((e) => e.data?.kind === 'vxlan')!
    expect([vx.sourceHandle, vx.targetHandle]).toEqual(['bs', 'bt'])
    const bgp = routed.find((e) => e.data?.kind === 'bgp')!
    const c = absoluteCentres(placed)
    const left = c.get(bgp.source)!.x < c.get(bgp.target)!.x
    expect(bgp.sourceHandle).toBe(left ? 'rs' : 'ls')
    // Edges that are laid out keep their default handles.
    expect(routed.find((e) => e.data?.kind === 'veth')!.sourceHandle).toBeUndefined()
  })
})
