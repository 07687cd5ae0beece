import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { INITIAL_CHECKPOINTS, checkpointReducer } from './checkpoints.ts'
import type { CheckpointAction, CheckpointState } from './checkpoints.ts'

// Questions at frames 3 and 7 of some timeline.
const FRAMES = [3, 7]
const run = (s: CheckpointState, ...actions: CheckpointAction[]) => actions.reduce((x, a) => checkpointReducer(x, a, FRAMES), s)
const advance = (from: number, byClock = false): CheckpointAction => ({ type: 'advance', from, byClock })

describe('checkpoints', () => {
  it.each([
    // [moving on from, asks?] — why
    [3, true], // frame 3 has a question
    [7, true],
    [2, false], // arriving at 3 does not ask: the learner sees frame 3 first
    [4, false], // leaving a frame after the question's frame does not ask
  ])('moving on from frame %i asks: %s', (from, asks) => {
    expect(run(INITIAL_CHECKPOINTS, advance(from)).asking !== null).toBe(asks)
  })

  it('asks, takes one answer, then continuing marks it done so it is not asked again', () => {
    let s = run(INITIAL_CHECKPOINTS, advance(3))
    expect(s.asking).toEqual({ frame: 3, chosen: null, resume: false })
    s = run(s, { type: 'answer', choice: 2 }, { type: 'answer', choice: 0 })
    expect(s.asking?.chosen).toBe(2) // the first answer counts; no changing it after the reveal
    s = run(s, { type: 'continue' })
    expect(s).toMatchObject({ asking: null, done: [3] })
    expect(run(s, advance(3)).asking).toBeNull() // asked once per run
    expect(run(s, advance(7)).asking?.frame).toBe(7)
  })

  it('remembers that the clock was running, so continuing plays on', () => {
    expect(run(INITIAL_CHECKPOINTS, advance(7, true)).asking?.resume).toBe(true)
  })

  it('a question dismissed by moving away is asked again next time', () => {
    const s = run(INITIAL_CHECKPOINTS, advance(3), { type: 'dismiss' })
    expect(s).toMatchObject({ asking: null, done: [] })
    expect(run(s, advance(3)).asking?.frame).toBe(3)
  })

  it('turned off: never asks, and turning off closes the question on screen', () => {
    const off = run(INITIAL_CHECKPOINTS, { type: 'enable', on: false })
    expect(run(off, advance(3)).asking).toBeNull()
    expect(run(INITIAL_CHECKPOINTS, advance(3), { type: 'enable', on: false }).asking).toBeNull()
  })

  it('a new run forgets what was answered, and keeps the on/off choice', () => {
    const s = run({ ...INITIAL_CHECKPOINTS, enabled: false }, { type: 'enable', on: true }, advance(3), { type: 'continue' }, { type: 'reset' })
    expect(s).toEqual({ enabled: true, asking: null, done: [] })
  })

  it('answers outside the choices are ignored (not an integer, negative)', () => {
    const s = run(INITIAL_CHECKPOINTS, advance(3))
    expect(run(s, { type: 'answer', choice: -1 }).asking?.chosen).toBeNull()
    expect(run(s, { type: 'answer', choice: 1.5 }).asking?.chosen).toBeNull()
  })

  const action = fc.oneof(
    fc.record({ type: fc.constant('advance' as const), from: fc.integer({ min: 0, max: 9 }), byClock: fc.boolean() }),
    fc.record({ type: fc.constant('answer' as const), choice: fc.integer({ min: -1, max: 4 }) }),
    fc.constantFrom<CheckpointAction>({ type: 'continue' }, { type: 'dismiss' }, { type: 'reset' }, { type: 'enable', on: true }, { type: 'enable', on: false }),
  )
  test.prop([fc.array(action, { maxLength: 40 })])('whatever happens, only question frames are asked, each done once, never while off', (actions) => {
    const s = run(INITIAL_CHECKPOINTS, ...actions)
    if (s.asking) {
      expect(FRAMES).toContain(s.asking.frame)
      expect(s.enabled).toBe(true)
    }
    expect(new Set(s.done).size).toBe(s.done.length)
    for (const f of s.done) expect(FRAMES).toContain(f)
  })
})
