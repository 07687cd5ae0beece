/**
 * What the graph emphasises right now: the node the packet is on, the one it came from, the
 * edges it travelled, the tunnel it is inside, nodes the step's table entry names, and the
 * user's selection. Each node and edge subscribes to its own id, and a change notifies only
 * the ids whose emphasis it changes: a step re-renders the few boxes it moves between, not
 * one selector per node of a 300-pod graph.
 */
import { useCallback, useSyncExternalStore } from 'react'
import type { Flow } from '../../engine/sim/trace.ts'

export interface Highlight {
  readonly current: string | null
  readonly from: string | null
  readonly edges: ReadonlySet<string>
  readonly tunnel: string | null
  readonly related: ReadonlySet<string>
  readonly selected: string | null
  readonly flow: Flow | null
}

export const EMPTY_HIGHLIGHT: Highlight = { current: null, from: null, edges: new Set(), tunnel: null, related: new Set(), selected: null, flow: null }

export type NodeEmphasis = 'current' | 'selected' | 'related' | 'from' | null

export function nodeEmphasis(h: Highlight, id: string): NodeEmphasis {
  if (h.current === id) return 'current'
  if (h.selected === id) return 'selected'
  if (h.related.has(id)) return 'related'
  if (h.from === id) return 'from'
  return null
}

export type EdgeEmphasis = 'active' | 'tunnel' | null

export function edgeEmphasis(h: Highlight, id: string): EdgeEmphasis {
  if (h.edges.has(id)) return 'active'
  if (h.tunnel === id) return 'tunnel'
  return null
}

/** Every id whose node or edge emphasis can differ between two highlights. */
export function touchedIds(a: Highlight, b: Highlight): Set<string> {
  const out = new Set<string>()
  for (const h of [a, b]) {
    for (const id of [h.current, h.from, h.selected, h.tunnel]) if (id !== null) out.add(id)
    for (const id of h.related) out.add(id)
    // An active edge's class names the flow: a new flow changes every active edge.
    if (a.flow !== b.flow) for (const id of h.edges) out.add(id)
  }
  const edgesChanged = (x: Highlight, y: Highlight) => {
    for (const id of x.edges) if (!y.edges.has(id)) out.add(id)
  }
  edgesChanged(a, b)
  edgesChanged(b, a)
  return out
}

let state: Highlight = EMPTY_HIGHLIGHT
const listeners = new Map<string, Set<() => void>>()

export function getHighlight(): Highlight {
  return state
}

/** Replace the highlight; only the nodes and edges whose emphasis may change hear of it. */
export function setHighlight(next: Highlight): void {
  const prev = state
  if (next === prev) return
  state = next
  for (const id of touchedIds(prev, next)) listeners.get(id)?.forEach((l) => l())
}

function subscribe(id: string, l: () => void): () => void {
  let set = listeners.get(id)
  if (!set) listeners.set(id, (set = new Set()))
  set.add(l)
  return () => {
    set.delete(l)
    if (set.size === 0 && listeners.get(id) === set) listeners.delete(id)
  }
}

function useOwnId<T>(id: string, read: (h: Highlight, id: string) => T): T {
  const sub = useCallback((l: () => void) => subscribe(id, l), [id])
  return useSyncExternalStore(sub, () => read(state, id))
}

/** `' is-current'` and the like, for a node's class list ('' when it is not emphasised). */
export function useNodeEmphasis(id: string): string {
  return useOwnId(id, (h, x) => {
    const e = nodeEmphasis(h, x)
    return e ? ` is-${e}` : ''
  })
}

/** `' is-active flow-request'`, `' is-tunnel'` or '', for an edge's class list. */
export function useEdgeEmphasis(id: string): string {
  return useOwnId(id, (h, x) => {
    const e = edgeEmphasis(h, x)
    return e === 'active' ? ` is-active${h.flow ? ` flow-${h.flow}` : ''}` : e ? ` is-${e}` : ''
  })
}
