/**
 * A scenario run (the engine's runner output) → what the viewer plays. Pure: the same run
 * always gives the same narration, checkpoints, results and per-action outcomes, so the
 * browser and the build (which pre-runs the default scenario) agree exactly.
 */
import type { ActionSpan, FrameNote, ScenarioRun } from '../../engine/scenario/runner.ts'
import type { Segment, Timeline } from '../../engine/scenario/timeline.ts'
import type { ActionOutcome, LoadedScenario, Narration, ScenarioSource } from './types.ts'

/** Notes hold until the next note of the same action; the action's title fills the rest of its frames. */
export function narrationFromNotes(spans: readonly ActionSpan[], notes: readonly FrameNote[]): Narration[] {
  const out: Narration[] = []
  for (const s of spans) {
    const mine = notes.filter((n) => n.action === s.action && n.frame >= s.firstFrame && n.frame <= s.lastFrame).sort((a, b) => a.frame - b.frame)
    const firstNote = mine[0]?.frame ?? s.lastFrame + 1
    if (firstNote > s.firstFrame) out.push({ from: s.firstFrame, to: firstNote - 1, text: s.title })
    mine.forEach((n, i) => out.push({ from: n.frame, to: (mine[i + 1]?.frame ?? s.lastFrame + 1) - 1, text: n.text }))
  }
  return out
}

/** One segment's result in words: `delivered to 10.244.1.3 (pod-b); reply delivered`, `dropped: …`, or a change's title. */
export function describeSegment(seg: Segment): string {
  if (seg.kind === 'change') return `changed: ${seg.title}`
  const o = seg.outcome
  const where = o.deliveredTo ? ` to ${o.deliveredTo}${o.deliveredNetns ? ` (${o.deliveredNetns})` : ''}` : ''
  const why = o.verdict !== 'delivered' && o.dropReason ? `: ${o.dropReason}` : ''
  const nat = o.dnat ? `, DNAT ${o.dnat}` : ''
  const masq = o.masquerade ? ', masqueraded' : ''
  const reply = o.reply ? `; reply ${o.reply.verdict}` : ''
  return `${seg.title}: ${o.verdict}${where}${nat}${masq}${why}${reply}`
}

function segmentStarts(t: Timeline): number[] {
  const out: number[] = []
  let f = 0
  for (const s of t.segments) {
    out.push(f)
    f += s.kind === 'trace' ? Math.max(1, s.steps.length) : 1
  }
  return out
}

/** Per action: its frames and what its traces ended in (changes are listed by title). */
export function actionOutcomes(timeline: Timeline, spans: readonly ActionSpan[]): ActionOutcome[] {
  const starts = segmentStarts(timeline)
  return spans.map((s) => ({
    action: s.action,
    title: s.title,
    firstFrame: s.firstFrame,
    lastFrame: s.lastFrame,
    outcomes: timeline.segments.filter((_, i) => starts[i]! >= s.firstFrame && starts[i]! <= s.lastFrame).map(describeSegment),
  }))
}

export interface WhatIfChange {
  readonly action: number
  readonly title: string
  /** As written (empty: the action made no frames then). */
  readonly before: readonly string[]
  /** With the what-if on (empty: no frames now). */
  readonly after: readonly string[]
}

/** The actions whose outcome differs between the run as written and the run with a what-if on. */
export function whatIfChanges(baseline: readonly ActionOutcome[], now: readonly ActionOutcome[]): WhatIfChange[] {
  const byAction = new Map<number, { title: string; before: readonly string[]; after: readonly string[] }>()
  for (const a of baseline) byAction.set(a.action, { title: a.title, before: a.outcomes, after: [] })
  for (const a of now) byAction.set(a.action, { title: a.title, before: byAction.get(a.action)?.before ?? [], after: a.outcomes })
  return [...byAction]
    .sort((x, y) => x[0] - y[0])
    .filter(([, v]) => JSON.stringify(v.before) !== JSON.stringify(v.after))
    .map(([action, v]) => ({ action, ...v }))
}

/**
 * Where the same moment is in another run of the scenario: the same action, as many frames in
 * as before (clamped to the action's frames); the start of the next action that exists otherwise.
 */
export function mapFrame(from: readonly ActionOutcome[], to: readonly ActionOutcome[], frame: number): number {
  const a = from.find((x) => frame >= x.firstFrame && frame <= x.lastFrame)
  if (!a) return 0
  const same = to.find((x) => x.action === a.action)
  if (same) return Math.min(same.lastFrame, same.firstFrame + (frame - a.firstFrame))
  const next = to.find((x) => x.action > a.action)
  return next?.firstFrame ?? to.at(-1)?.lastFrame ?? 0
}

/** The run as the viewer plays it. */
export function loadedFromRun(id: string, run: ScenarioRun, source?: ScenarioSource): LoadedScenario {
  const m = run.scenario.metadata
  return {
    id,
    title: m.title,
    summary: m.summary.replace(/\s+/g, ' ').trim(),
    timeline: run.timeline,
    narration: narrationFromNotes(run.spans, run.notes),
    ...(m.section !== undefined && { section: m.section }),
    checkpoints: run.checkpoints.map((c) => ({ frame: c.frame, question: c.question, choices: c.choices, answer: c.answer, explain: c.explain })),
    results: run.results.map((r) => ({ action: r.action, title: r.title, field: r.field, expected: r.expected, actual: r.actual, ok: r.ok })),
    outcomes: actionOutcomes(run.timeline, run.spans),
    notSimulated: m.notSimulated,
    whatIfs: run.scenario.whatIfs.map((w) => ({ id: w.id, label: w.label, description: w.description.replace(/\s+/g, ' ').trim() })),
    activeWhatIfs: run.whatIfs,
    ...(source && { source }),
    ...(run.scenario.compare && { compare: run.scenario.compare }),
    warnings: run.diagnostics.filter((d) => d.severity !== 'error'),
  }
}
