/**
 * Derived views of the explainer state: the current segment and step, the world whose shape
 * the graph draws, the netns a timeline goes through. Pure functions of the state, cached per
 * timeline where the work is more than a lookup.
 */
import type { World } from '../../engine/model/types.ts'
import { frameAt } from '../../engine/scenario/timeline.ts'
import type { Segment, Timeline } from '../../engine/scenario/timeline.ts'
import type { TraceStep } from '../../engine/sim/trace.ts'
import type { LoadedScenario } from '../scenarios/types.ts'

export interface Current {
  readonly frame: number
  readonly segmentIndex: number
  readonly segment: Segment
  /** The trace step on screen; null on a change frame. */
  readonly step: TraceStep | null
  readonly stepIndex: number
  /** Steps of the current segment (empty for a change). */
  readonly steps: readonly TraceStep[]
}

export function current(scenario: LoadedScenario | null, frame: number): Current | null {
  if (!scenario || scenario.timeline.segments.length === 0) return null
  const f = frameAt(scenario.timeline, frame)
  const segment = scenario.timeline.segments[f.segment]
  if (!segment) return null
  const steps = segment.kind === 'trace' ? segment.steps : []
  return { frame: f.index, segmentIndex: f.segment, segment, step: steps[f.step] ?? null, stepIndex: f.step, steps }
}

/** The world whose topology the graph shows: before a trace (traces never change links), after a change. */
export function topologyWorld(seg: Segment): World {
  return seg.kind === 'trace' ? seg.before : seg.after
}

const focusCache = new WeakMap<Timeline, ReadonlySet<string>>()

/**
 * Every netns a timeline's packets go through: these stay visible when pods are folded. A
 * pod an ARP broadcast merely reaches (a flood copy it drops: the question is not about it)
 * is not one of them; it stays in its node's "more pods" box, which the copy visits instead.
 */
export function focusNetns(t: Timeline): ReadonlySet<string> {
  let f = focusCache.get(t)
  if (f) return f
  const out = new Set<string>()
  for (const s of t.segments) {
    if (s.kind !== 'trace') continue
    for (const st of s.steps) {
      if (st.flow === 'arp' && st.kind !== 'arp-reply' && st.kind !== 'arp-request') continue
      out.add(st.netns)
      if (st.to) out.add(st.to.netns)
    }
  }
  f = out
  focusCache.set(t, f)
  return f
}

const serviceCache = new WeakMap<Timeline, ReadonlySet<string>>()

/** `ip:port/proto` of everything the timeline sends to: the Services worth drawing. */
export function focusServices(t: Timeline): ReadonlySet<string> {
  let f = serviceCache.get(t)
  if (f) return f
  const out = new Set<string>()
  for (const s of t.segments) if (s.kind === 'trace') out.add(`${s.send.to}:${s.send.dport ?? '*'}/${s.send.proto}`)
  f = out
  serviceCache.set(t, f)
  return f
}

/** The packet just before a step, in the same flow (for before/after views); undefined at a flow's first step. */
export function packetBefore(steps: readonly TraceStep[], index: number): TraceStep['packet'] | undefined {
  const cur = steps[index]
  if (!cur) return undefined
  for (let i = index - 1; i >= 0; i--) if (steps[i]!.flow === cur.flow) return steps[i]!.packet
  return undefined
}

/** The netns the inspectors describe: the user's pick, else where the current step happened. */
export function inspectedNetns(selection: { netns: string } | null, step: TraceStep | null, world: World | null): string | null {
  if (selection && world?.netns[selection.netns]) return selection.netns
  if (step) return step.netns
  return world ? (Object.keys(world.netns)[0] ?? null) : null
}
