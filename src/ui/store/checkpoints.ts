/**
 * "What happens next?" as a reducer. A checkpoint belongs to a frame: the learner sees that
 * frame first, and when they (or the playback clock) try to move on from it, playback holds
 * and asks. An answer reveals the right choice and why; continuing moves on (and resumes
 * playing if the clock had been running). Each checkpoint is asked once per run; jumping
 * (scrubber, Home/End, a hop) never asks. Questions can be turned off.
 */

export interface Asking {
  readonly frame: number
  /** The choice made; null while still asking. */
  readonly chosen: number | null
  /** The clock was running when it asked: continuing plays on. */
  readonly resume: boolean
}

export interface CheckpointState {
  readonly enabled: boolean
  readonly asking: Asking | null
  /** Frames whose question was answered or skipped in this run. */
  readonly done: readonly number[]
}

export type CheckpointAction =
  /** The viewer tries to move on from `from` (a step forward or a clock tick). */
  | { readonly type: 'advance'; readonly from: number; readonly byClock: boolean }
  | { readonly type: 'answer'; readonly choice: number }
  /** Done with this question (answered or skipped): it is not asked again. */
  | { readonly type: 'continue' }
  /** Moved some other way (back, jump): the question goes away unanswered. */
  | { readonly type: 'dismiss' }
  /** A new scenario or run: nothing answered yet. */
  | { readonly type: 'reset' }
  | { readonly type: 'enable'; readonly on: boolean }

export const INITIAL_CHECKPOINTS: CheckpointState = { enabled: true, asking: null, done: [] }

export function checkpointReducer(s: CheckpointState, a: CheckpointAction, frames: readonly number[]): CheckpointState {
  switch (a.type) {
    case 'advance':
      if (!s.enabled || s.asking || !frames.includes(a.from) || s.done.includes(a.from)) return s
      return { ...s, asking: { frame: a.from, chosen: null, resume: a.byClock } }
    case 'answer':
      if (!s.asking || s.asking.chosen !== null || !Number.isInteger(a.choice) || a.choice < 0) return s
      return { ...s, asking: { ...s.asking, chosen: a.choice } }
    case 'continue':
      if (!s.asking) return s
      return { ...s, asking: null, done: s.done.includes(s.asking.frame) ? s.done : [...s.done, s.asking.frame] }
    case 'dismiss':
      return s.asking ? { ...s, asking: null } : s
    case 'reset':
      return s.asking || s.done.length ? { ...s, asking: null, done: [] } : s
    case 'enable':
      return { ...s, enabled: a.on, asking: a.on ? s.asking : null }
  }
}
