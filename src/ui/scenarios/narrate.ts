/** Narration anchors for built-in demos: a whole segment, or the first step of a kind in it. */
import { segmentStart } from '../../engine/scenario/timeline.ts'
import type { Timeline } from '../../engine/scenario/timeline.ts'
import type { Narration } from './types.ts'

/** Narration for a whole segment. */
export function over(t: Timeline, segment: number, text: string): Narration {
  const from = segmentStart(t, segment)
  const seg = t.segments[segment]!
  return { from, to: from + (seg.kind === 'trace' ? Math.max(1, seg.steps.length) : 1) - 1, text }
}

/** Narration for the first step of a kind in a segment (and the steps up to the next narrated one). */
export function at(t: Timeline, segment: number, pick: (kind: string, i: number) => boolean, text: string): Narration[] {
  const seg = t.segments[segment]
  if (seg?.kind !== 'trace') return []
  const i = seg.steps.findIndex((s, k) => pick(s.kind, k))
  if (i < 0) return []
  const from = segmentStart(t, segment) + i
  return [{ from, to: from, text }]
}
