/**
 * The terminal's store: the shell state, and the lab being worked on. Thin: each action calls
 * one engine function (runLine, moveShell, interruptShell, checkLab) and keeps the result.
 * The app's own world (the explainer's current frame) comes in through `attach`/`syncWorld`;
 * what a command changes goes back out through the `onCommit` callback the panel was given.
 * In a lab every step (line, Ctrl-C, netns move) is saved (labSession.ts), and starting the
 * lab again replays them, so a reload brings back the same world, output and history.
 */
import { create } from 'zustand'
import type { World } from '../../engine/model/types.ts'
import type { Segment, TraceSegment } from '../../engine/scenario/timeline.ts'
import { checkLab, labWorld } from '../../engine/shell/labs.ts'
import type { DnsFault, LabId, LabResult } from '../../engine/shell/labs.ts'
import { interruptShell, runLine, shellSegments } from '../../engine/shell/run.ts'
import type { ShellRun } from '../../engine/shell/run.ts'
import { adoptWorld, createShell, moveShell, prompt } from '../../engine/shell/state.ts'
import type { ShellState } from '../../engine/shell/state.ts'
import { loadLabSession, saveLabSession } from './labSession.ts'
import type { LabStep, SavedLab } from './labSession.ts'

/**
 * Replay saved steps on a shell: the state after them and what the terminal showed (each
 * prompt, the line typed, its output). Deterministic: each run is seeded as `run` seeds it.
 */
export function replaySteps(start: ShellState, steps: readonly LabStep[]): { state: ShellState; transcript: string } {
  let state = start
  let transcript = ''
  for (const step of steps) {
    if ('run' in step) {
      transcript += `${prompt(state)}${step.run}\n`
      const r = runLine(state, step.run, { seed: state.runs + 1, now: state.clock })
      for (const chunk of r.output) transcript += chunk.text
      state = r.state
    } else if ('interrupt' in step) {
      const r = interruptShell(state)
      transcript += r.text
      state = r.state
    } else {
      state = moveShell(state, step.netns)
    }
  }
  return { state, transcript }
}

/** What a command line did, for the app: the world after it and the segments to play. */
export interface ShellCommit {
  readonly command: string
  readonly before: World
  readonly world: World
  readonly traces: readonly TraceSegment[]
  /** Traces and world changes in order, ready to append to a timeline. */
  readonly segments: readonly Segment[]
}

export interface ShellStore {
  readonly shell: ShellState | null
  /** The world this store last produced or adopted: a different one from the app is the app's. */
  readonly world: World | null
  readonly lab: LabId | null
  /** The DNS lab's fault (null for the other labs and outside labs). */
  readonly fault: DnsFault | null
  readonly labResult: LabResult | null
  /** What a replayed lab session printed, for a terminal that mounts after it ('' otherwise). */
  readonly transcript: string
  /** Increments on every attach: a terminal view belongs to one session. */
  readonly session: number
  readonly attach: (world: World, opts?: { netns?: string; lab?: LabId; epoch?: number }) => void
  /**
   * Open a lab: its saved session is replayed when there is one for the same fault; `fresh`
   * (Start over, another fault) starts from the lab's world and forgets the saved steps.
   */
  readonly startLab: (lab: LabId, opts?: { epoch?: number; fault?: DnsFault; fresh?: boolean }) => World
  readonly syncWorld: (world: World) => void
  readonly run: (line: string) => { run: ShellRun; commit: ShellCommit }
  readonly setNetns: (netns: string) => void
  readonly interrupt: () => string
}

/** Add a step to the current lab's saved session. */
function recordStep(lab: LabId | null, step: LabStep): void {
  if (!lab) return
  const saved = loadLabSession(lab)
  if (saved) saveLabSession(lab, { ...saved, steps: [...saved.steps, step] })
}

export const useShellStore = create<ShellStore>()((set, get) => ({
  shell: null,
  world: null,
  lab: null,
  fault: null,
  labResult: null,
  transcript: '',
  session: 0,
  attach: (world, opts = {}) => {
    const shell = createShell(world, { ...(opts.netns !== undefined && { netns: opts.netns }), epoch: opts.epoch ?? Date.now() })
    const lab = opts.lab ?? null
    set({ shell, world: shell.world, lab, fault: null, transcript: '', labResult: lab ? checkLab(lab, shell.world) : null, session: get().session + 1 })
  },
  startLab: (lab, opts = {}) => {
    const saved = loadLabSession(lab)
    const fault = lab === 'dns-debug' ? (opts.fault ?? saved?.fault ?? null) : null
    const resume = !opts.fresh && saved !== undefined && (saved.fault ?? null) === fault ? saved : undefined
    const session: SavedLab = resume ?? { ...(fault && { fault }), epoch: opts.epoch ?? Date.now(), steps: [] }
    if (!resume) saveLabSession(lab, session)
    const start = createShell(labWorld(lab, fault ? { fault } : {}), { epoch: session.epoch })
    const { state, transcript } = replaySteps(start, session.steps)
    set({ shell: state, world: state.world, lab, fault, transcript, labResult: checkLab(lab, state.world), session: get().session + 1 })
    return state.world
  },
  syncWorld: (world) => {
    const { shell, lab, world: mine } = get()
    if (!shell || world === mine) return
    const next = adoptWorld(shell, world)
    set({ shell: next, world: next.world, labResult: lab ? checkLab(lab, next.world) : null })
  },
  run: (line) => {
    const { shell, lab } = get()
    const state = shell ?? createShell({ netns: {}, segments: {}, nodes: [] }, { epoch: Date.now() })
    const before = state.world
    const run = runLine(state, line, { seed: state.runs + 1, now: state.clock })
    const world = run.state.world
    set({ shell: run.state, world, labResult: lab ? checkLab(lab, world) : get().labResult })
    if (line.trim() !== '') recordStep(lab, { run: line })
    return { run, commit: { command: line, before, world, traces: run.traces, segments: shellSegments(before, run, line) } }
  },
  setNetns: (netns) => {
    const { shell, lab } = get()
    if (!shell) return
    const next = moveShell(shell, netns)
    set({ shell: next })
    if (next !== shell) recordStep(lab, { netns })
  },
  interrupt: () => {
    const { shell, lab } = get()
    if (!shell) return ''
    const r = interruptShell(shell)
    set({ shell: r.state })
    if (r.state !== shell) recordStep(lab, { interrupt: true })
    return r.text
  },
}))
