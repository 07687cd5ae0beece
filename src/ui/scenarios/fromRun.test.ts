import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario } from '../../engine/scenario/runner.ts'
import { frameCount } from '../../engine/scenario/timeline.ts'
import { actionOutcomes, loadedFromRun, mapFrame, narrationFromNotes, whatIfChanges } from './fromRun.ts'
import type { ActionOutcome } from './types.ts'
import { narrationAt } from './types.ts'

const read = (rel: string) => readFileSync(new URL(`../../../scenarios/${rel}`, import.meta.url), 'utf8')
function runFile(name: string, whatIfs: string[] = []) {
  const p = parseScenario(read(`${name}.yaml`), { file: `${name}.yaml` })
  return runScenario(p.scenario!, { readFile: read, source: p.source }, { whatIfs })
}

const outcome = (action: number, firstFrame: number, lastFrame: number, ...outcomes: string[]): ActionOutcome => ({ action, title: `action ${action}`, firstFrame, lastFrame, outcomes })

describe('narration from the runner’s notes', () => {
  it('notes hold until the next note of the action; the action title covers frames before the first note', () => {
    const spans = [
      { action: 0, title: 'first action', firstFrame: 0, lastFrame: 9 },
      { action: 1, title: 'second action', firstFrame: 10, lastFrame: 12 },
    ]
    const notes = [
      { frame: 3, action: 0, text: 'A' },
      { frame: 6, action: 0, text: 'B' },
    ]
    expect(narrationFromNotes(spans, notes)).toEqual([
      { from: 0, to: 2, text: 'first action' },
      { from: 3, to: 5, text: 'A' },
      { from: 6, to: 9, text: 'B' },
      { from: 10, to: 12, text: 'second action' },
    ])
  })
})

describe('what a what-if changed', () => {
  it('lists only the actions whose outcome differs, as written → now', () => {
    const before = [outcome(0, 0, 9, 'ping: delivered'), outcome(1, 10, 19, 'curl: delivered')]
    const after = [outcome(0, 0, 9, 'ping: delivered'), outcome(1, 10, 14, 'curl: dropped: FORWARD')]
    expect(whatIfChanges(before, after)).toEqual([{ action: 1, title: 'action 1', before: ['curl: delivered'], after: ['curl: dropped: FORWARD'] }])
  })

  it('an action that makes no frames any more (or only now) counts as a change', () => {
    expect(whatIfChanges([outcome(0, 0, 3, 'x')], [])).toEqual([{ action: 0, title: 'action 0', before: ['x'], after: [] }])
    expect(whatIfChanges([], [outcome(2, 0, 3, 'y')])).toEqual([{ action: 2, title: 'action 2', before: [], after: ['y'] }])
  })

  it.each([
    // [frame in the old run, frame in the new run] — same action, same offset, clamped to its frames
    [5, 5], // action 0 is frames 0–9 in both
    [12, 11], // action 1: 2 frames in (10→12) becomes 9+2 = 11
    [19, 13], // action 1 is shorter now: its last frame
  ])('frame %i maps to %i', (from, to) => {
    const old = [outcome(0, 0, 9), outcome(1, 10, 19)]
    const now = [outcome(0, 0, 8), outcome(1, 9, 13)]
    expect(mapFrame(old, now, from)).toBe(to)
  })

  it('an action gone in the new run maps to the next one that exists', () => {
    expect(mapFrame([outcome(0, 0, 4), outcome(1, 5, 9)], [outcome(1, 0, 3)], 2)).toBe(0)
  })
})

describe('a scenario file as the viewer plays it', () => {
  it('the welcome scenario: narration on every frame, one checkpoint, every expectation met', () => {
    const run = runFile('00-welcome')
    const s = loadedFromRun('scn-00-welcome', run, { kind: 'bundled', name: '00-welcome' })
    const n = frameCount(s.timeline)
    for (let f = 0; f < n; f++) expect(narrationAt(s, f), `frame ${f}`).toBeTruthy()
    expect(s.checkpoints).toHaveLength(1)
    expect(s.checkpoints![0]!.choices[s.checkpoints![0]!.answer]).toMatch(/echo request/)
    expect(s.results!.length).toBeGreaterThan(0)
    expect(s.results!.every((r) => r.ok)).toBe(true)
    expect(s.section).toBe('Start here')
    // Its one action ends delivered, reply delivered.
    expect(s.outcomes).toEqual([expect.objectContaining({ action: 0, outcomes: [expect.stringMatching(/: delivered to 10\.244\.1\.3.*reply delivered/)] })])
  })

  it('a what-if changes the outcome it is about (FORWARD policy DROP drops pod-a → pod-b)', () => {
    const base = actionOutcomes(runFile('05-pod-to-pod-same-node').timeline, runFile('05-pod-to-pod-same-node').spans)
    const dropped = runFile('05-pod-to-pod-same-node', ['forward-drop'])
    const changes = whatIfChanges(base, actionOutcomes(dropped.timeline, dropped.spans))
    expect(changes.length).toBeGreaterThan(0)
    expect(changes[0]!.before.join()).toMatch(/delivered/)
    expect(changes[0]!.after.join()).toMatch(/dropped/)
  })
})
