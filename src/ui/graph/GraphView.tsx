/**
 * The live graph: the world of the current segment drawn with React Flow, laid out once per
 * topology by ELK in a worker (positions cached, user drags kept), the packet token on top,
 * and the current step's emphasis pushed to the highlight store. Loaded lazily: React Flow
 * and the layout code are not part of the first bundle.
 */
import '@xyflow/react/dist/style.css'
import { Background, ControlButton, Controls, MiniMap, Panel, ReactFlow, ReactFlowProvider, applyNodeChanges, useNodesInitialized, useReactFlow, useStoreApi } from '@xyflow/react'
import type { EdgeTypes, NodeChange, NodeMouseHandler, NodeTypes } from '@xyflow/react'
import { useEffect, useMemo, useRef, useState } from 'react'
import { cachedTraceAnimations, waitingToken } from '../anim/stepToAnimation.ts'
import { diffLayers } from '../packet/layers.ts'
import { tokenRows } from '../packet/tokenRows.ts'
import { useExplainer } from '../store/explainer.ts'
import { frameDuration } from '../store/playback.ts'
import { current, focusNetns, focusServices, packetBefore, topologyWorld } from '../store/selectors.ts'
import { Legend } from '../components/Legend.tsx'
import { useForwardStep } from '../hooks/useForwardStep.ts'
import { selectedNode } from '../inspectors/graphTarget.ts'
import { elkLayout } from './elk.ts'
import { EMPTY_HIGHLIGHT, setHighlight } from './highlight.ts'
import { cachedLayout, storeLayout } from './layoutCache.ts'
import { layoutGraph, placeNodes, routeOverlayEdges } from './layout.ts'
import type { Positions } from './layout.ts'
import { ChainBoxNode, ContainersBoxNode, IfaceBoxNode, NetnsGroupNode, PodBoxNode, PodGroupBoxNode, SegmentBoxNode, ServiceBoxNode, ServicesGroupBoxNode, StackBoxNode } from './nodes.tsx'
import { PacketToken } from './PacketToken.tsx'
import { PwEdgeView } from './PwEdgeView.tsx'
import { nodeId } from './types.ts'
import type { GraphModel, PwNode } from './types.ts'
import { topologyKey, worldToGraph } from './worldToGraph.ts'

const nodeTypes: NodeTypes = {
  netns: NetnsGroupNode,
  pod: PodBoxNode,
  iface: IfaceBoxNode,
  stack: StackBoxNode,
  containers: ContainersBoxNode,
  segment: SegmentBoxNode,
  service: ServiceBoxNode,
  chain: ChainBoxNode,
  podGroup: PodGroupBoxNode,
  servicesGroup: ServicesGroupBoxNode,
}

/** Fit with room above the top row for the packet's header card. */
const FIT = { padding: { top: '72px', bottom: '16px', left: '16px', right: '16px' }, maxZoom: 1.25, duration: 0 } as const

const edgeTypes: EdgeTypes = { default: PwEdgeView, smoothstep: PwEdgeView }

/**
 * Bigger graphs render only what is in view. Below this, every node stays in the DOM, so a
 * camera glide never uncovers an empty strip that React Flow has not rendered yet.
 */
const VISIBLE_ONLY_ABOVE = 400

function useGraph(): { graph: GraphModel | null; key: string } {
  const scenario = useExplainer((s) => s.scenario)
  const segIndex = useExplainer((s) => (s.scenario ? current(s.scenario, s.playback.frame)?.segmentIndex ?? 0 : 0))
  const expandedNodes = useExplainer((s) => s.expandedNodes)
  const expandedServices = useExplainer((s) => s.expandedServices)
  const seg = scenario?.timeline.segments[segIndex]
  const world = seg ? topologyWorld(seg) : null
  const graph = useMemo(() => (world && scenario ? worldToGraph(world, { expandedNodes, expandedServices, focus: focusNetns(scenario.timeline), focusServices: focusServices(scenario.timeline) }) : null), [world, scenario, expandedNodes, expandedServices])
  const key = useMemo(() => (graph ? topologyKey(graph) : ''), [graph])
  return { graph, key }
}

function Flow() {
  const { graph, key } = useGraph()
  const theme = useExplainer((s) => s.theme)
  const [laidOut, setLaidOut] = useState<{ key: string; positions: Positions } | null>(null)
  const [layoutError, setLayoutError] = useState<string | null>(null)
  const [drags, setDrags] = useState<Readonly<Record<string, { x: number; y: number }>>>({})
  const rf = useReactFlow()
  const fitted = useRef('')
  const positions = cachedLayout(key) ?? (laidOut?.key === key ? laidOut.positions : null)

  // Lay out once per topology (in the worker); cached layouts are used as they are.
  useEffect(() => {
    if (!graph || cachedLayout(key)) return
    let live = true
    layoutGraph(graph, elkLayout).then(
      (p) => {
        storeLayout(key, p)
        if (!live) return
        setLaidOut({ key, positions: p })
        setLayoutError(null)
      },
      (e: unknown) => live && setLayoutError(e instanceof Error ? e.message : String(e)),
    )
    return () => {
      live = false
    }
  }, [graph, key])

  const ready = graph !== null && positions !== null
  const base = useMemo(() => (graph && positions ? placeNodes(graph.nodes, positions, drags) : []), [graph, positions, drags])
  // React Flow owns measuring and dragging: its changes apply to a copy of the placed nodes.
  const [flow, setFlow] = useState<{ base: PwNode[]; nodes: PwNode[] }>({ base, nodes: base })
  let nodes = flow.nodes
  if (flow.base !== base) {
    setFlow({ base, nodes: base })
    nodes = base
  }

  const edges = useMemo(() => (graph && ready ? routeOverlayEdges(graph.edges, nodes) : []), [ready, graph, nodes])

  // Fit the view once per topology, when React Flow has measured the nodes.
  const initialized = useNodesInitialized()
  useEffect(() => {
    if (!ready || !initialized || nodes.length === 0 || fitted.current === key) return
    fitted.current = key
    void rf.fitView(FIT).then(() => {
      // Too small to read as a whole (a cluster): follow the packet instead, unless the user chose.
      useExplainer.getState().setFollow(rf.getZoom() < 0.6, false)
    })
  }, [ready, initialized, nodes, key, rf])

  // The pane changes size with presenter mode and the terminal: fit the graph to it again.
  const presenter = useExplainer((s) => s.presenter)
  const mode = useExplainer((s) => s.mode)
  const paneKey = `${presenter}-${mode}`
  const lastPane = useRef(paneKey)
  useEffect(() => {
    if (lastPane.current === paneKey || !ready) return
    lastPane.current = paneKey
    const id = requestAnimationFrame(() => void rf.fitView(FIT))
    return () => cancelAnimationFrame(id)
  }, [paneKey, ready, rf])

  const onNodesChange = (changes: NodeChange<PwNode>[]) => {
    setFlow((f) => ({ base: f.base, nodes: applyNodeChanges(changes, f.nodes) }))
    const moved: Record<string, { x: number; y: number }> = {}
    for (const c of changes) if (c.type === 'position' && c.dragging === false && c.position) moved[c.id] = c.position
    if (Object.keys(moved).length) setDrags((d) => ({ ...d, ...moved }))
  }

  const onNodeClick: NodeMouseHandler<PwNode> = (_e, n) => {
    const st = useExplainer.getState()
    if (n.type === 'podGroup') return st.toggleNode(n.data.node)
    if (n.type === 'chain' && n.data.role === 'more' && n.data.service) return st.toggleService(n.data.service)
    if (n.type === 'chain' && n.data.service && n.data.role === 'svc') return st.toggleService(n.data.service)
    if ('netns' in n.data && typeof n.data.netns === 'string') st.select({ netns: n.data.netns, ...(n.type === 'iface' && { dev: n.data.dev }) })
  }

  return (
    <ReactFlow<PwNode>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onNodesChange={onNodesChange}
      onNodeClick={onNodeClick}
      onPaneClick={() => useExplainer.getState().select(null)}
      nodesConnectable={false}
      edgesFocusable={false}
      elementsSelectable
      onlyRenderVisibleElements={nodes.length > VISIBLE_ONLY_ABOVE}
      minZoom={0.1}
      maxZoom={2.5}
      colorMode={theme}
      aria-label="Network graph"
    >
      <Background gap={24} size={1} />
      <Controls showInteractive={false}>
        <FollowButton />
      </Controls>
      <MiniMap pannable zoomable ariaLabel="Mini map of the graph" nodeStrokeWidth={2} style={{ width: 150, height: 100 }} />
      <Panel position="top-right">
        <Legend />
      </Panel>
      {!ready && (
        <Panel position="top-center">
          <div className="pw-status" role="status">
            {layoutError ? `Layout failed: ${layoutError}` : 'Laying out the graph…'}
          </div>
        </Panel>
      )}
      {graph && ready && <Token graph={graph} />}
      {ready && initialized && <span data-testid="graph-ready" hidden />}
    </ReactFlow>
  )
}

/** Camera follows the packet: on for big graphs or a projector, off to see the whole picture. */
function FollowButton() {
  const follow = useExplainer((s) => s.follow)
  return (
    <ControlButton onClick={() => useExplainer.getState().setFollow(!follow)} aria-pressed={follow} aria-label={follow ? 'Stop following the packet' : 'Follow the packet'} title={follow ? 'Stop following the packet' : 'Follow the packet'} data-testid="follow-toggle" className={follow ? 'is-on' : ''}>
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <circle cx="10" cy="10" r="3.5" />
        <path d="M10 1v4M10 15v4M1 10h4M15 10h4" stroke="currentColor" strokeWidth="2" fill="none" />
      </svg>
    </ControlButton>
  )
}

/** How long the camera takes to glide to the packet's node (ms). */
const GLIDE_MS = 350
let glideEnd: ReturnType<typeof setTimeout> | undefined

/**
 * Move the camera in one step and let the browser animate the viewport's CSS transform
 * (`.pw-glide` in styles.css): React Flow's store changes once, not once per frame, so nodes,
 * edges and the minimap render once per move. The class comes off when the glide is over, so
 * the user's own panning stays immediate.
 */
function glide(viewport: HTMLElement | null | undefined, ms: number): void {
  clearTimeout(glideEnd)
  if (!viewport) return
  if (ms <= 0) {
    viewport.classList.remove('pw-glide')
    return
  }
  viewport.style.setProperty('--pw-glide-ms', `${ms}ms`)
  viewport.classList.add('pw-glide')
  glideEnd = setTimeout(() => viewport.classList.remove('pw-glide'), ms + 50)
}

/** Keep the node the packet is on in the middle of the view, at a readable zoom. */
function useFollow(at: string | null): void {
  const follow = useExplainer((s) => s.follow)
  const rf = useReactFlow()
  const store = useStoreApi()
  useEffect(() => {
    if (!follow || !at) return
    const n = rf.getInternalNode(at)
    if (!n) return
    const w = n.measured.width ?? 0
    const h = n.measured.height ?? 0
    const reduce = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false
    const zoom = Math.max(rf.getZoom(), 1)
    // Gliding only pans: a change of zoom (the first follow, after fitting the graph) jumps.
    const ms = reduce || zoom !== rf.getZoom() ? 0 : GLIDE_MS
    glide(store.getState().domNode?.querySelector<HTMLElement>('.react-flow__viewport'), ms)
    void rf.setCenter(n.internals.positionAbsolute.x + w / 2, n.internals.positionAbsolute.y + h / 2, { zoom, duration: 0 })
  }, [follow, at, rf, store])
}

/** Room (px) a revealed box keeps from the view's edges. */
const REVEAL_MARGIN = 24

/**
 * Bring the selected box into view when it lies (even partly) outside it: an inspector's link
 * may name a pod or chain far from where the camera is. A box already in view stays where it
 * is, so a click in the graph never moves it; the zoom is the user's.
 */
function useReveal(id: string | null): void {
  const rf = useReactFlow()
  const store = useStoreApi()
  useEffect(() => {
    if (!id) return
    const n = rf.getInternalNode(id)
    if (!n) return
    const { width, height, transform, domNode } = store.getState()
    const [tx, ty, zoom] = transform
    const w = n.measured.width ?? 0
    const h = n.measured.height ?? 0
    const { x, y } = n.internals.positionAbsolute
    const left = x * zoom + tx
    const top = y * zoom + ty
    const inView = left >= REVEAL_MARGIN && top >= REVEAL_MARGIN && left + w * zoom <= width - REVEAL_MARGIN && top + h * zoom <= height - REVEAL_MARGIN
    if (inView) return
    const reduce = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false
    glide(domNode?.querySelector<HTMLElement>('.react-flow__viewport'), reduce ? 0 : GLIDE_MS)
    void rf.setCenter(x + w / 2, y + h / 2, { zoom, duration: 0 })
  }, [id, rf, store])
}

/** The token for the current step, and the step's emphasis pushed to the highlight store. */
function Token({ graph }: { graph: GraphModel }) {
  const scenario = useExplainer((s) => s.scenario)
  const frame = useExplainer((s) => s.playback.frame)
  const speed = useExplainer((s) => s.playback.speed)
  const selection = useExplainer((s) => s.selection)
  const c = current(scenario, frame)
  const steps = c?.steps
  const anims = steps ? cachedTraceAnimations(steps, graph) : []
  // Travel only when stepping forward by one; going back or jumping places the token directly.
  const travel = useForwardStep(frame)

  const anim = c?.step ? anims[c.stepIndex] : undefined
  const step = c?.step ?? null
  useFollow(anim?.at ?? null)
  const selected = useMemo(() => (selection ? selectedNode(selection, graph) : null), [selection, graph])
  useReveal(selected)

  useEffect(() => {
    const related = new Set<string>()
    const ref = step?.ref
    if (ref && 'netns' in ref) {
      const dev = ref.table === 'route' ? ref.route.dev : ref.table === 'neigh' || ref.table === 'fdb' ? ref.entry.dev : ref.table === 'addr' || ref.table === 'link' ? ref.dev : undefined
      if (dev && graph.nodes.some((n) => n.id === nodeId.iface(ref.netns, dev))) related.add(nodeId.iface(ref.netns, dev))
    }
    setHighlight(anim ? { current: anim.at, from: anim.from, edges: new Set(anim.edges), tunnel: anim.tunnel, related, selected, flow: anim.flow } : { ...EMPTY_HIGHLIGHT, selected })
  }, [anim, step, selected, graph])

  const stepIndex = c?.stepIndex ?? 0
  const rows = steps && step ? tokenRows(diffLayers(packetBefore(steps, stepIndex), step.packet)) : []

  if (!anim || !step || !c) return null
  const parked = waitingToken(c.steps, anims, c.stepIndex)
  return <PacketToken anim={anim} step={step} rows={rows} parked={parked} travel={travel} seconds={Math.min(0.9, (frameDuration(speed) * 0.7) / 1000)} />
}

/** The graph, with React Flow's store; the token animates with the Web Animations API (reduced motion honoured there). */
export default function GraphView() {
  return (
    <ReactFlowProvider>
      <Flow />
    </ReactFlowProvider>
  )
}
