/**
 * What the graph emphasises right now: the node the packet is on, the one it came from, the
 * edges it travelled, the tunnel it is inside, nodes the step's table entry names, and the
 * user's selection. A small store of its own, so each node and edge subscribes to its own
 * answer and a step re-renders only what changes.
 */
import { create } from 'zustand'
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

export const useHighlight = create<Highlight>()(() => EMPTY_HIGHLIGHT)

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
