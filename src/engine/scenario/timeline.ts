/**
 * A timeline is what a viewer plays: an ordered list of segments, each either a packet trace
 * (its steps are frames) or a change to the world (one frame: a pod starts, a deployment
 * scales, a sysctl flips). Plain data. The world at any frame is recomputed from the
 * segment's starting world and the effects of the steps up to that frame, which is how
 * stepping back restores conntrack, FDB, ARP and counters exactly.
 */
import type { World } from '../model/types.ts'
import { worldAtStep } from '../sim/effects.ts'
import type { Outcome, SendSpec, TraceStep } from '../sim/trace.ts'

export interface WorldEvent {
  readonly kind: string
  readonly text: string
  readonly node?: string
  readonly pod?: string
  /** Free-form details for inspectors (a CNI invocation, a diff). */
  readonly detail?: unknown
}

export interface TraceSegment {
  readonly kind: 'trace'
  readonly title: string
  readonly send: SendSpec
  readonly before: World
  readonly after: World
  readonly steps: readonly TraceStep[]
  readonly outcome: Omit<Outcome, 'steps'>
}

export interface ChangeSegment {
  readonly kind: 'change'
  readonly title: string
  readonly before: World
  readonly after: World
  readonly events: readonly WorldEvent[]
  /** Lines added/removed per netns, in `ip route` / `iptables-save` / `bridge fdb` form. */
  readonly diff?: readonly { readonly netns: string; readonly added: readonly string[]; readonly removed: readonly string[] }[]
}

export type Segment = TraceSegment | ChangeSegment

export interface Timeline {
  readonly segments: readonly Segment[]
}

/** A position in a timeline: which segment, and which step of a trace segment. */
export interface Frame {
  readonly index: number
  readonly segment: number
  /** Step index inside a trace segment; 0 for a change segment. */
  readonly step: number
}

export function frameCount(t: Timeline): number {
  return t.segments.reduce((n, s) => n + (s.kind === 'trace' ? Math.max(1, s.steps.length) : 1), 0)
}

/** Frame index → (segment, step). Clamped to the timeline. */
export function frameAt(t: Timeline, index: number): Frame {
  const total = frameCount(t)
  let i = Math.max(0, Math.min(index, total - 1))
  const wanted = i
  for (let s = 0; s < t.segments.length; s++) {
    const seg = t.segments[s]!
    const n = seg.kind === 'trace' ? Math.max(1, seg.steps.length) : 1
    if (i < n) return { index: wanted, segment: s, step: i }
    i -= n
  }
  return { index: 0, segment: 0, step: 0 }
}

/** First frame index of a segment. */
export function segmentStart(t: Timeline, segment: number): number {
  let n = 0
  for (let s = 0; s < segment && s < t.segments.length; s++) {
    const seg = t.segments[s]!
    n += seg.kind === 'trace' ? Math.max(1, seg.steps.length) : 1
  }
  return n
}

/** The world as it is right after the frame (a change frame shows the world after the change). */
export function worldAtFrame(t: Timeline, index: number): World {
  const f = frameAt(t, index)
  const seg = t.segments[f.segment]
  if (!seg) throw new Error('empty timeline')
  return seg.kind === 'trace' ? worldAtStep(seg.before, seg.steps, f.step) : seg.after
}
