/**
 * Layout: the graph's groups and leaves handed to ELK (layered, top to bottom, groups laid out
 * together with their children), and ELK's answer turned back into React Flow positions.
 * Positions are relative to the parent, as both ELK and React Flow want them. The ELK engine
 * itself is injected (a Web Worker in the browser, the bundled build in tests), so this module
 * stays pure and testable.
 */
import type { NodeHandle } from '@xyflow/react'
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js'
import type { GraphModel, PwEdge, PwNode } from './types.ts'

export interface Box {
  readonly x: number
  readonly y: number
  readonly width?: number
  readonly height?: number
}

export type Positions = Readonly<Record<string, Box>>

export type ElkLayout = (graph: ElkNode) => Promise<ElkNode>

const GROUP_TYPES = new Set(['netns', 'pod', 'servicesGroup'])

const ROOT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.layered.spacing.nodeNodeBetweenLayers': '30',
  'elk.spacing.nodeNode': '22',
  'elk.spacing.componentComponent': '48',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.crossingMinimization.forceNodeModelOrder': 'false',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.edgeRouting': 'POLYLINE',
}

/** The Service chain view reads left to right (ClusterIP → KUBE-SVC → KUBE-SEP), laid out on its own. */
const SERVICES_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.hierarchyHandling': 'SEPARATE_CHILDREN',
  'elk.padding': '[top=50,left=14,bottom=14,right=14]',
  'elk.spacing.nodeNode': '14',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
}

const GROUP_OPTIONS = {
  // Room for the group's title above its children.
  'elk.padding': '[top=50,left=14,bottom=14,right=14]',
  'elk.spacing.nodeNode': '20',
  'elk.layered.spacing.nodeNodeBetweenLayers': '26',
}

/**
 * From this many nodes on, crossing minimisation makes one pass instead of ELK's default
 * seven (`thoroughness`). A big cluster (300 pods: 800 boxes) lays out 2–4× faster; on the
 * graphs measured (48 and 830 boxes) every position came out the same.
 */
export const LARGE_GRAPH = 200
const FAST = { 'elk.layered.thoroughness': '1' }

/** The ELK graph for a graph model: groups nest their children; tunnel/BGP/Service→pod edges are left out. */
export function toElkGraph(g: GraphModel): ElkNode {
  const byId = new Map<string, ElkNode>()
  const large = g.nodes.length >= LARGE_GRAPH
  const opts = (o: Record<string, string>) => (large ? { ...o, ...FAST } : o)
  const root: ElkNode = { id: 'root', layoutOptions: opts(ROOT_OPTIONS), children: [], edges: [] }
  for (const n of g.nodes) {
    const group = GROUP_TYPES.has(n.type ?? '')
    const e: ElkNode = group ? { id: n.id, layoutOptions: opts(n.type === 'servicesGroup' ? SERVICES_OPTIONS : GROUP_OPTIONS), children: [] } : { id: n.id, width: n.width ?? 150, height: n.height ?? 50 }
    byId.set(n.id, e)
    const parent = n.parentId ? byId.get(n.parentId) : root
    ;(parent ?? root).children!.push(e)
  }
  const edges: ElkExtendedEdge[] = []
  for (const e of g.edges) {
    if (e.data?.layout === false) continue
    if (!byId.has(e.source) || !byId.has(e.target)) continue
    edges.push({ id: e.id, sources: [e.source], targets: [e.target] })
  }
  root.edges = edges
  return root
}

/** ELK's result as positions relative to each node's parent, with sizes for groups. */
export function fromElkGraph(root: ElkNode): Positions {
  const out: Record<string, Box> = {}
  const walk = (n: ElkNode) => {
    for (const c of n.children ?? []) {
      out[c.id] = { x: c.x ?? 0, y: c.y ?? 0, ...(c.children !== undefined && { width: c.width ?? 0, height: c.height ?? 0 }) }
      walk(c)
    }
  }
  walk(root)
  return out
}

/** Lay a graph out with the given ELK engine. */
export async function layoutGraph(g: GraphModel, elk: ElkLayout): Promise<Positions> {
  return fromElkGraph(await elk(toElkGraph(g)))
}

/** Handle size (px), as React Flow measures the (invisible) handles nodes.tsx draws, centred on the node's border. */
export const HANDLE_SIZE = 6

/**
 * Where the edges of a node of this size attach, as React Flow would measure them from the DOM:
 * the default pair (target on top, source at the bottom) first, then one source and one target
 * on each side for edges drawn over the layout (`ls`/`lt`, `rs`/`rt`, `ts`/`tt`, `bs`/`bt`).
 * Given with the node, they let React Flow draw edges without measuring anything.
 *
 * @example
 * nodeHandles(186, 62)[0] // { id: null, type: 'target', position: 'top', x: 90, y: -3, width: 6, height: 6 }
 */
export function nodeHandles(width: number, height: number): NodeHandle[] {
  const h = HANDLE_SIZE / 2
  const at = { top: { x: width / 2 - h, y: -h }, bottom: { x: width / 2 - h, y: height - h }, left: { x: -h, y: height / 2 - h }, right: { x: width - h, y: height / 2 - h } } as const
  return HANDLES.map(({ id, type, position }) => ({ id, type, position: position as NodeHandle['position'], ...at[position], width: HANDLE_SIZE, height: HANDLE_SIZE }))
}

/**
 * Every node's ten handles, in the order React Flow looks them up: the default pair (target on
 * top, source at the bottom), then a source and a target on each side (`ls`/`lt`, `rs`/`rt`,
 * `ts`/`tt`, `bs`/`bt`). nodes.tsx draws the same list.
 */
export const HANDLES: readonly { readonly id: string | null; readonly type: 'source' | 'target'; readonly position: 'top' | 'bottom' | 'left' | 'right' }[] = [
  { id: null, type: 'target', position: 'top' },
  { id: null, type: 'source', position: 'bottom' },
  { id: 'ls', type: 'source', position: 'left' },
  { id: 'lt', type: 'target', position: 'left' },
  { id: 'rs', type: 'source', position: 'right' },
  { id: 'rt', type: 'target', position: 'right' },
  { id: 'ts', type: 'source', position: 'top' },
  { id: 'tt', type: 'target', position: 'top' },
  { id: 'bs', type: 'source', position: 'bottom' },
  { id: 'bt', type: 'target', position: 'bottom' },
]

/**
 * Nodes placed: the layout's positions, then the user's drags on top (a drag of a node that
 * still exists is kept across relayouts). Groups get their size from the layout. Every node
 * whose size is known carries it as `measured` with its handles, so React Flow shows it and
 * its edges on the first render instead of measuring each node in the DOM first.
 */
export function placeNodes(nodes: readonly PwNode[], positions: Positions, drags: Readonly<Record<string, { x: number; y: number }>> = {}): PwNode[] {
  return nodes.map((n) => {
    const p = positions[n.id]
    const d = drags[n.id]
    const position = d ?? (p ? { x: p.x, y: p.y } : n.position)
    const group = GROUP_TYPES.has(n.type ?? '') && p?.width !== undefined
    const width = group ? p.width : n.width
    const height = group ? (p.height ?? 0) : n.height
    const sized = width !== undefined && height !== undefined ? { measured: { width, height }, handles: nodeHandles(width, height) } : {}
    if (group) return { ...n, position, width, height, style: { ...n.style, width, height }, ...sized }
    return { ...n, position, ...sized }
  })
}

/** Absolute centre of each node (parents' positions added up). */
export function absoluteCentres(nodes: readonly PwNode[]): Map<string, { x: number; y: number }> {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const abs = new Map<string, { x: number; y: number }>()
  const origin = (n: PwNode): { x: number; y: number } => {
    const parent = n.parentId ? byId.get(n.parentId) : undefined
    const base = parent ? origin(parent) : { x: 0, y: 0 }
    return { x: base.x + n.position.x, y: base.y + n.position.y }
  }
  for (const n of nodes) {
    const o = origin(n)
    abs.set(n.id, { x: o.x + (n.width ?? 0) / 2, y: o.y + (n.height ?? 0) / 2 })
  }
  return abs
}

/**
 * Side handles for edges drawn over the layout (tunnels, BGP, Service → pod): leave from the
 * side facing the other end, so a tunnel between two nodes side by side is a short arc, not a loop.
 */
export function routeOverlayEdges(edges: readonly PwEdge[], nodes: readonly PwNode[]): PwEdge[] {
  const centre = absoluteCentres(nodes)
  return edges.map((e) => {
    const a = centre.get(e.source)
    const b = centre.get(e.target)
    if (e.data?.layout !== false || !a || !b) return e
    // Tunnels ride on the underlay: they leave and arrive from below, a U under both nodes.
    if (e.data.kind === 'vxlan' || e.data.kind === 'ipip') return { ...e, sourceHandle: 'bs', targetHandle: 'bt' }
    const dx = b.x - a.x
    const dy = b.y - a.y
    if (Math.abs(dx) >= Math.abs(dy)) return { ...e, sourceHandle: dx >= 0 ? 'rs' : 'ls', targetHandle: dx >= 0 ? 'lt' : 'rt' }
    return { ...e, sourceHandle: dy >= 0 ? 'bs' : 'ts', targetHandle: dy >= 0 ? 'tt' : 'bt' }
  })
}
