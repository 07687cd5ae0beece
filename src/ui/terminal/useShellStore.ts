/**
 * The terminal's store: the shell state, and the lab being worked on. Thin: each action calls
 * one engine function (runLine, moveShell, interruptShell, checkLab) and keeps the result.
 * The app's own world (the explainer's current frame) comes in through `attach`/`syncWorld`;
 * what a command changes goes back out through the `onCommit` callback the panel was given.
 */
import { create } from 'zustand'
import type { World } from '../../engine/model/types.ts'
import type { Segment, TraceSegment } from '../../engine/scenario/timeline.ts'
import { checkLab, labWorld } from '../../engine/shell/labs.ts'
import type { LabId, LabResult } from '../../engine/shell/labs.ts'
import { interruptShell, runLine, shellSegments } from '../../engine/shell/run.ts'
import type { ShellRun } from '../../engine/shell/run.ts'
import { adoptWorld, createShell, moveShell } from '../../engine/shell/state.ts'
import type { ShellState } from '../../engine/shell/state.ts'

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
  readonly labResult: LabResult | null
  /** Increments on every attach: a terminal view belongs to one session. */
  readonly session: number
  readonly attach: (world: World, opts?: { netns?: string; lab?: LabId; epoch?: number }) => void
  readonly startLab: (lab: LabId, opts?: { epoch?: number }) => World
  readonly syncWorld: (world: World) => void
  readonly run: (line: string) => { run: ShellRun; commit: ShellCommit }
  readonly setNetns: (netns: string) => void
  readonly interrupt: () => string
}

export const useShellStore = create<ShellStore>()((set, get) => ({
  shell: null,
  world: null,
  lab: null,
  labResult: null,
  session: 0,
  attach: (world, opts = {}) => {
    const shell = createShell(world, { ...(opts.netns !== undefined && { netns: opts.netns }), epoch: opts.epoch ?? Date.now() })
    const lab = opts.lab ?? null
    set({ shell, world: shell.world, lab, labResult: lab ? checkLab(lab, shell.world) : null, session: get().session + 1 })
  },
  startLab: (lab, opts = {}) => {
    const world = labWorld(lab)
    get().attach(world, { lab, ...(opts.epoch !== undefined && { epoch: opts.epoch }) })
    return get().world!
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
    return { run, commit: { command: line, before, world, traces: run.traces, segments: shellSegments(before, run, line) } }
  },
  setNetns: (netns) => {
    const { shell } = get()
    if (!shell) return
    set({ shell: moveShell(shell, netns) })
  },
  interrupt: () => {
    const { shell } = get()
    if (!shell) return ''
    const r = interruptShell(shell)
    set({ shell: r.state })
    return r.text
  },
}))
