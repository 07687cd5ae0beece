/**
 * Every scenario in scenarios/ replays: it parses, runs with zero error diagnostics and
 * meets every expectation it states, without and with each of its what-ifs. A scenario
 * that does not replay is broken. The file-level conventions (NN-slug names, order,
 * curriculum section, checkpoints, expectations on traffic) are checked here too.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatDiagnostic } from '../diagnostics.ts'
import { parseScenario, runScenario } from './runner.ts'
import type { ScenarioRun } from './runner.ts'
import type { ScenarioFile } from './schema.ts'

const DIR = new URL('../../../scenarios/', import.meta.url).pathname
const FILES = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort()

function load(file: string): ScenarioFile {
  const parsed = parseScenario(readFileSync(join(DIR, file), 'utf8'), { file })
  expect(parsed.diagnostics.map(formatDiagnostic), `${file} parses cleanly`).toEqual([])
  return parsed.scenario!
}

function replay(file: string, whatIfs: readonly string[] = []): ScenarioRun {
  const text = readFileSync(join(DIR, file), 'utf8')
  const parsed = parseScenario(text, { file })
  const readFile = (rel: string) => (existsSync(join(DIR, rel)) ? readFileSync(join(DIR, rel), 'utf8') : undefined)
  return runScenario(parsed.scenario!, { readFile, file, source: parsed.source }, { whatIfs })
}

/** Diagnostics of any severity, and unmet expectations: which action and field, what was expected, what happened. */
function failures(run: ScenarioRun): string[] {
  return [
    ...run.diagnostics.map(formatDiagnostic),
    ...run.results.filter((r) => !r.ok).map((r) => `action ${r.action} "${r.title}": ${r.field}: expected ${JSON.stringify(r.expected)}, got ${JSON.stringify(r.actual)}`),
  ]
}

const TRAFFIC = ['send', 'lookup', 'connect'] as const

describe('the scenario folder', () => {
  it('holds the welcome scenario and the curriculum in order', () => {
    // 00 welcome + 18 curriculum scenarios: 8.1–8.10 (11 files), 4 labs, 3 what-ifs.
    expect(FILES.length).toBeGreaterThanOrEqual(19)
    expect(FILES[0]).toBe('00-welcome.yaml')
  })

  it.each(FILES)('%s: name NN-slug.yaml with matching metadata.order, a section and a unique id', (file) => {
    const s = load(file)
    const m = /^(\d\d)-([a-z0-9-]+)\.yaml$/.exec(file)
    expect(m, 'file name is NN-slug.yaml').not.toBeNull()
    expect(s.metadata.order).toBe(Number(m![1]))
    expect(s.metadata.section).toBeTruthy()
    const ids = FILES.map((f) => load(f).metadata.id)
    expect(ids.filter((id) => id === s.metadata.id)).toHaveLength(1)
  })

  it.each(FILES)('%s: every traffic action states its expected outcome', (file) => {
    const s = load(file)
    const missing = s.actions.flatMap((a, i) => (TRAFFIC.some((k) => k in a) && !a.expect ? [`action ${i} "${a.title}"`] : []))
    expect(missing).toEqual([])
  })

  it.each(FILES)('%s: narration, and 1 to 3 checkpoints in the plain run', (file) => {
    const run = replay(file)
    expect(run.notes.length).toBeGreaterThan(0)
    expect(run.checkpoints.length).toBeGreaterThanOrEqual(1)
    expect(run.checkpoints.length).toBeLessThanOrEqual(3)
    // A checkpoint's right answer is one of its choices (checked at parse time too).
    for (const c of run.checkpoints) expect(c.choices[c.answer]).toBeDefined()
  })
})

describe('every scenario replays', () => {
  const cases = FILES.flatMap((file) => [[file, ''] as const, ...load(file).whatIfs.map((w) => [file, w.id] as const)])

  it.each(cases)('%s %s', (file, whatIf) => {
    const run = replay(file, whatIf ? [whatIf] : [])
    expect(failures(run)).toEqual([])
    expect(run.results.length).toBeGreaterThan(0)
    expect(run.timeline.segments.length).toBeGreaterThanOrEqual(run.scenario.actions.length)
    // Each action made at least one frame, and spans tile the timeline in order.
    expect(run.spans.map((s) => s.action)).toEqual(run.scenario.actions.map((_, i) => i))
    run.spans.forEach((s, i) => {
      if (i > 0) expect(s.firstFrame).toBe(run.spans[i - 1]!.lastFrame + 1)
    })
    // No placeholder is left unexpanded in what the viewer shows.
    expect([...run.notes.map((n) => n.text), ...run.checkpoints.flatMap((c) => [c.question, c.explain, ...c.choices])].filter((t) => t.includes('{{'))).toEqual([])
  })
})

describe('what-ifs change the outcome they claim to change', () => {
  // The toggles are the point of these scenarios; each must change at least one verdict,
  // drop reason, reply, path (the step kinds) or event relative to the plain run.
  const cases = FILES.flatMap((file) => load(file).whatIfs.map((w) => [file, w.id] as const))

  it.each(cases)('%s %s', (file, whatIf) => {
    const plain = replay(file)
    const toggled = replay(file, [whatIf])
    const summary = (r: ScenarioRun) => r.timeline.segments.map((s) => (s.kind === 'trace' ? `${s.outcome.verdict} ${s.outcome.deliveredNetns ?? ''} ${s.outcome.dropReason ?? ''} ${s.outcome.reply?.verdict ?? ''} ${s.steps.map((x) => x.kind).join(',')}` : s.events.map((e) => e.text).join('|')))
    expect(summary(toggled)).not.toEqual(summary(plain))
  })
})
