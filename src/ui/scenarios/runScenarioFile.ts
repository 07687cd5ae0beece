/**
 * One scenario file → what the viewer plays: parse it, read the world or cluster file it names
 * (bundled raw by Vite), run it with the engine's runner, and turn its frame notes into
 * narration (each note holds until the next one in the same action; an action's title covers
 * the frames before its first note). Problems come back as one error naming file and line.
 */
import type { Diagnostic } from '../../engine/diagnostics.ts'
import { parseScenario, runScenario } from '../../engine/scenario/runner.ts'
import type { ActionSpan, FrameNote } from '../../engine/scenario/runner.ts'
import type { LoadedScenario, Narration } from './types.ts'

const referenced = import.meta.glob<string>('../../../scenarios/{worlds,clusters}/*.yaml', { query: '?raw', import: 'default' })

function describe(ds: readonly Diagnostic[]): string {
  return ds
    .filter((d) => d.severity === 'error')
    .slice(0, 3)
    .map((d) => `${d.file ?? ''}${d.line !== undefined ? `:${d.line}` : ''} ${d.message}`.trim())
    .join('; ')
}

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

export async function loadScenarioText(id: string, text: string, file: string): Promise<LoadedScenario> {
  const parsed = parseScenario(text, { file })
  if (!parsed.scenario) throw new Error(`${file}: ${describe(parsed.diagnostics) || 'not a scenario file'}`)
  const texts = new Map<string, string>()
  await Promise.all(
    Object.entries(referenced).map(async ([path, read]) => {
      texts.set(path.replace('../../../scenarios/', ''), await read())
    }),
  )
  const readFile = (rel: string) => texts.get(rel.replace(/^\.\//, ''))
  const run = runScenario(parsed.scenario, { readFile, file, source: parsed.source })
  if (run.diagnostics.some((d) => d.severity === 'error') || run.timeline.segments.length === 0) throw new Error(`${file}: ${describe(run.diagnostics) || 'the scenario produced nothing to play'}`)
  const m = parsed.scenario.metadata
  return { id, title: m.title, summary: m.summary.replace(/\s+/g, ' ').trim(), timeline: run.timeline, narration: narrationFromNotes(run.spans, run.notes) }
}
