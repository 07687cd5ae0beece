/**
 * Playback as a reducer: the frame shown, whether it plays, and how fast. Pure, so every
 * control (buttons, keys, the scrubber, the clock) goes through the same rules: stepping by
 * hand pauses, playing from the last frame starts over, the clock stops at the end.
 */

export const SPEEDS = [0.25, 0.5, 1, 1.5, 2, 4] as const
export type Speed = (typeof SPEEDS)[number]

export interface PlaybackState {
  readonly frame: number
  readonly total: number
  readonly playing: boolean
  readonly speed: Speed
}

export type PlaybackAction =
  | { readonly type: 'load'; readonly total: number; readonly frame?: number }
  | { readonly type: 'forward' }
  | { readonly type: 'back' }
  | { readonly type: 'start' }
  | { readonly type: 'end' }
  | { readonly type: 'seek'; readonly frame: number }
  | { readonly type: 'play' }
  | { readonly type: 'pause' }
  | { readonly type: 'toggle' }
  | { readonly type: 'faster' }
  | { readonly type: 'slower' }
  | { readonly type: 'speed'; readonly speed: number }
  /** The playback clock: one frame on, stopping at the end. */
  | { readonly type: 'tick' }

export const INITIAL_PLAYBACK: PlaybackState = { frame: 0, total: 0, playing: false, speed: 1 }

const clamp = (f: number, total: number) => Math.max(0, Math.min(Math.floor(Number.isFinite(f) ? f : 0), Math.max(0, total - 1)))

/** The speed in SPEEDS nearest to `s`. */
export function nearestSpeed(s: number): Speed {
  let best: Speed = 1
  for (const x of SPEEDS) if (Math.abs(x - s) < Math.abs(best - s)) best = x
  return best
}

export function playbackReducer(s: PlaybackState, a: PlaybackAction): PlaybackState {
  const last = Math.max(0, s.total - 1)
  switch (a.type) {
    case 'load':
      return { ...s, total: a.total, frame: clamp(a.frame ?? 0, a.total), playing: false }
    case 'forward':
      return { ...s, frame: clamp(s.frame + 1, s.total), playing: false }
    case 'back':
      return { ...s, frame: clamp(s.frame - 1, s.total), playing: false }
    case 'start':
      return { ...s, frame: 0, playing: false }
    case 'end':
      return { ...s, frame: last, playing: false }
    case 'seek':
      return { ...s, frame: clamp(a.frame, s.total), playing: false }
    case 'play':
      if (s.total <= 1) return s
      return { ...s, playing: true, frame: s.frame >= last ? 0 : s.frame }
    case 'pause':
      return { ...s, playing: false }
    case 'toggle':
      return playbackReducer(s, { type: s.playing ? 'pause' : 'play' })
    case 'faster': {
      const i = SPEEDS.indexOf(s.speed)
      return { ...s, speed: SPEEDS[Math.min(SPEEDS.length - 1, i + 1)]! }
    }
    case 'slower': {
      const i = SPEEDS.indexOf(s.speed)
      return { ...s, speed: SPEEDS[Math.max(0, i - 1)]! }
    }
    case 'speed':
      return { ...s, speed: nearestSpeed(a.speed) }
    case 'tick': {
      if (!s.playing) return s
      const frame = clamp(s.frame + 1, s.total)
      return { ...s, frame, playing: frame < last }
    }
  }
}

/** How long one frame stays on screen while playing (ms). */
export function frameDuration(speed: number): number {
  return Math.round(1100 / speed)
}
