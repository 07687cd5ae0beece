import ELK from 'elkjs/lib/elk.bundled.js'
import { describe, expect, it } from 'vitest'
import type { ClusterState } from '../../engine/kube/state.ts'
import { vxlanWorld } from '../../engine/sim/testWorlds.ts'
import { HANDLE_SIZE, LARGE_GRAPH, absoluteCentres, layoutGraph, nodeHandles, placeNodes, routeOverlayEdges, toElkGraph } from './layout.ts'
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

  it('a large graph asks ELK for one crossing-minimisation pass, everywhere in the hierarchy; a small one keeps the default', () => {
    const small = toElkGraph(worldToGraph(vxlanWorld()))
    expect(small.layoutOptions!['elk.layered.thoroughness']).toBeUndefined()
    const g = worldToGraph(vxlanWorld())
    // Pad the same graph past the threshold with loose boxes.
    const pad = Array.from({ length: LARGE_GRAPH }, (_, i) => ({ ...g.nodes.find((n) => n.type === 'segment')!, id: `pad-${i}` }))
    const big = toElkGraph({ ...g, nodes: [...g.nodes, ...pad] })
    const groups: NonNullable<typeof big.children> = []
    const walk = (n: typeof big) => n.children?.forEach((c) => (c.children ? (groups.push(c), walk(c)) : undefined))
    walk(big)
    expect(big.layoutOptions!['elk.layered.thoroughness']).toBe('1')
    expect(groups.length).toBeGreaterThan(0)
    expect(groups.every((c) => c.layoutOptions!['elk.layered.thoroughness'] === '1')).toBe(true)
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

  it('gives every placed node its size and handles, so React Flow measures nothing', async () => {
    const g = worldToGraph(vxlanWorld())
    const placed = placeNodes(g.nodes, await layoutGraph(g, run))
    for (const n of placed) {
      expect(n.measured, n.id).toEqual({ width: n.width, height: n.height })
      expect(n.handles, n.id).toHaveLength(10)
    }
    // A group's size is the layout's; a leaf keeps the size worldToGraph reserved for it.
    const group = placed.find((n) => n.id === nodeId.netns('node1'))!
    expect(group.measured!.width).toBeGreaterThan(176)
    expect(placed.find((n) => n.id === nodeId.iface('node1', 'eth0'))!.measured).toEqual({ width: 186, height: 62 })
  })
})

describe('nodeHandles', () => {
  // Where React Flow measured the DOM handles of a 186×62 box: 6 px squares centred on its border.
  const h = HANDLE_SIZE / 2
  it.each([
    [null, 'target', 'top', 93 - h, -h],
    [null, 'source', 'bottom', 93 - h, 62 - h],
    ['ls', 'source', 'left', -h, 31 - h],
    ['rt', 'target', 'right', 186 - h, 31 - h],
    ['bt', 'target', 'bottom', 93 - h, 62 - h],
  ] as const)('%s %s handle on the %s side at (%d, %d)', (id, type, position, x, y) => {
    const found = nodeHandles(186, 62).find((x) => x.id === id && x.type === type)
    expect(found).toMatchObject({ position, x, y, width: HANDLE_SIZE, height: HANDLE_SIZE })
  })

  it('lists the default pair first, where React Flow looks for an edge without a handle id', () => {
    const hs = nodeHandles(100, 40)
    expect(hs.find((x) => x.type === 'source')!.id).toBeNull()
    expect(hs.find((x) => x.type === 'target')!.id).toBeNull()
  })
})
