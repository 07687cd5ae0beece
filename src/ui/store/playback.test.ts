import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { INITIAL_PLAYBACK, SPEEDS, frameDuration, nearestSpeed, playbackReducer } from './playback.ts'
import type { PlaybackAction, PlaybackState } from './playback.ts'

const loaded = (total: number, frame = 0): PlaybackState => playbackReducer(INITIAL_PLAYBACK, { type: 'load', total, frame })
const run = (s: PlaybackState, ...actions: PlaybackAction['type'][]) => actions.reduce((x, type) => playbackReducer(x, { type } as PlaybackAction), s)

describe('playback reducer', () => {
  it.each([
    // [start frame, action, expected frame] on a 10-frame timeline
    [0, 'forward', 1],
    [9, 'forward', 9], // the last frame is the end
    [0, 'back', 0], // nothing before the first
    [5, 'back', 4],
    [5, 'start', 0],
    [5, 'end', 9],
  ] as const)('frame %i, %s → %i', (from, action, to) => {
    expect(run(loaded(10, from), action).frame).toBe(to)
  })

  it('stepping by hand pauses playback', () => {
    const playing = run(loaded(10), 'play')
    expect(playing.playing).toBe(true)
    expect(run(playing, 'forward').playing).toBe(false)
    expect(run(playing, 'back').playing).toBe(false)
  })

  it('the clock advances one frame and stops on the last', () => {
    let s = run(loaded(3), 'play')
    s = run(s, 'tick')
    expect(s).toMatchObject({ frame: 1, playing: true })
    s = run(s, 'tick')
    expect(s).toMatchObject({ frame: 2, playing: false })
    expect(run(s, 'tick')).toBe(s) // paused: the clock does nothing
  })

  it('play at the end starts over; a one-frame timeline never plays', () => {
    expect(run(loaded(10, 9), 'play')).toMatchObject({ frame: 0, playing: true })
    expect(run(loaded(1), 'play').playing).toBe(false)
  })

  it('seek and load clamp to the timeline', () => {
    expect(playbackReducer(loaded(10), { type: 'seek', frame: 42 }).frame).toBe(9)
    expect(playbackReducer(loaded(10), { type: 'seek', frame: -3 }).frame).toBe(0)
    expect(loaded(10, 99).frame).toBe(9)
    expect(loaded(0, 5).frame).toBe(0)
  })

  it('speed moves through 0.25× … 4× and stays inside', () => {
    let s = loaded(5)
    for (let i = 0; i < 10; i++) s = run(s, 'faster')
    expect(s.speed).toBe(4)
    for (let i = 0; i < 10; i++) s = run(s, 'slower')
    expect(s.speed).toBe(0.25)
    expect(playbackReducer(s, { type: 'speed', speed: 1.9 }).speed).toBe(2)
    expect(nearestSpeed(100)).toBe(4)
    // Faster means shorter frames.
    expect(frameDuration(4)).toBeLessThan(frameDuration(1))
  })

  test.prop([fc.integer({ min: 0, max: 200 }), fc.array(fc.constantFrom('forward', 'back', 'start', 'end', 'play', 'pause', 'toggle', 'tick', 'faster', 'slower'), { maxLength: 60 })])(
    'whatever the controls do, the frame stays on the timeline and the speed in the list',
    (total, actions) => {
      const s = run(loaded(total), ...(actions as PlaybackAction['type'][]))
      expect(s.frame).toBeGreaterThanOrEqual(0)
      expect(s.frame).toBeLessThanOrEqual(Math.max(0, total - 1))
      expect(SPEEDS).toContain(s.speed)
    },
  )
})
