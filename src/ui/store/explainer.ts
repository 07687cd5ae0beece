/**
 * The one bridge between the engine and the UI. Thin: actions collect inputs, call one
 * function (a catalog entry's `load`, the scenario runner, `worldAtFrame`) and set the
 * result; components select the slices they need. Playback and checkpoint rules live in
 * pure reducers (playback.ts, checkpoints.ts); what is remembered lives in persist.ts.
 */
import { useStore } from 'zustand'
import { createStore } from 'zustand/vanilla'
import type { Diagnostic } from '../../engine/diagnostics.ts'
import type { World } from '../../engine/model/types.ts'
import { frameCount, worldAtFrame } from '../../engine/scenario/timeline.ts'
import type { Segment } from '../../engine/scenario/timeline.ts'
import { warmUpLayout } from '../graph/warmUp.ts'
import { importedEntries } from '../import/catalog.ts'
import { demoCatalog } from '../scenarios/demos.ts'
import { mapFrame } from '../scenarios/fromRun.ts'
import { OWN_GROUP, ownEntry, ownSource, runOrThrow } from '../scenarios/ownFiles.ts'
import { ScenarioProblems } from '../scenarios/problems.ts'
import { pickScenario } from '../scenarios/references.ts'
import type { GivenFile } from '../scenarios/references.ts'
import { scenarioFileCatalog } from '../scenarios/scenarioFiles.ts'
import type { LoadedScenario, ScenarioEntry } from '../scenarios/types.ts'
import { INITIAL_CHECKPOINTS, checkpointReducer } from './checkpoints.ts'
import type { CheckpointAction, CheckpointState } from './checkpoints.ts'
import { browserStorage, loadCheckpointsOn, loadOwnFile, ownFileId, saveCheckpointsOn, saveOwnFile } from './persist.ts'
import type { SavedFile } from './persist.ts'
import { INITIAL_PLAYBACK, playbackReducer } from './playback.ts'
import type { PlaybackAction, PlaybackState } from './playback.ts'
import type { InspectorView } from './urlState.ts'

/** What the user picked to look at: a netns, or one device in it. */
export interface Selection {
  readonly netns: string
  readonly dev?: string
  /** A KUBE-* chain: its box in the Services chain view, when the graph draws it. */
  readonly chain?: string
  /** A Service's ClusterIP (held by no interface): its box, when the graph draws it. */
  readonly clusterIP?: string
  /**
   * Present when the pick was made in an inspector to point at something in the graph: the
   * netns the inspectors go on describing (null: the current step's). Absent: they describe `netns`.
   */
  readonly inspect?: string | null
}

export type Theme = 'light' | 'dark'

/** The explainer (graph, inspectors, playback), the import panel, or the terminal with labs. */
export type Mode = 'explainer' | 'import' | 'terminal'

/** A file that could not be opened: every problem, and the texts they point into. */
export interface Problems {
  readonly what: string
  readonly diagnostics: readonly Diagnostic[]
  readonly files: Readonly<Record<string, string>>
}

export interface ExplainerState {
  readonly catalog: readonly ScenarioEntry[]
  readonly status: 'idle' | 'loading' | 'ready' | 'error'
  readonly error: string | null
  readonly problems: Problems | null
  readonly scenario: LoadedScenario | null
  readonly playback: PlaybackState
  /** The world right after the current frame (conntrack, FDB, ARP, counters as they are then). */
  readonly world: World | null
  readonly view: InspectorView
  readonly selection: Selection | null
  readonly expandedNodes: ReadonlySet<string>
  readonly expandedServices: ReadonlySet<string>
  readonly theme: Theme
  /** The graph's camera follows the packet (for big graphs and projectors). */
  readonly follow: boolean
  /** The user chose follow on or off: the app stops deciding for them. */
  readonly followChosen: boolean
  readonly checkpoints: CheckpointState
  readonly mode: Mode
  /** Large type, panels hidden, clicker keys. */
  readonly presenter: boolean
  /** The laser dot following the mouse (presenter mode). */
  readonly pointer: boolean
  /** A what-if re-run is in progress. */
  readonly rerunning: boolean
  /** Replace the catalog (a scenario-file loader does this; the demos are the default). */
  readonly setCatalog: (entries: readonly ScenarioEntry[]) => void
  readonly open: (id: string, at?: { frame?: number; view?: InspectorView; whatIf?: string }) => Promise<void>
  /** Open an instructor's files (picked or dropped together): the scenario and the world/cluster files it names. */
  readonly openFiles: (files: readonly GivenFile[]) => Promise<void>
  /** Open an instructor's file fetched by URL (same origin), with the files it names beside it. */
  readonly openUrl: (url: string, at?: { frame?: number; view?: InspectorView }) => Promise<void>
  readonly closeProblems: () => void
  /** Run the scenario again with this what-if on (null: as written). */
  readonly setWhatIf: (id: string | null) => Promise<void>
  readonly dispatch: (a: PlaybackAction) => void
  readonly answer: (choice: number) => void
  /** Done with the question on screen (answered or skipped): move on. */
  readonly continueOn: () => void
  readonly setCheckpointsOn: (on: boolean) => void
  /** Frames from the terminal: appended to the timeline (or starting a new one), shown from the first. */
  readonly appendSegments: (segments: readonly Segment[], label: string, fresh?: { id: string; title: string; summary: string }) => void
  readonly setMode: (m: Mode) => void
  readonly setPresenter: (on: boolean) => void
  readonly setPointer: (on: boolean) => void
  readonly setView: (v: InspectorView) => void
  readonly select: (s: Selection | null) => void
  readonly toggleNode: (node: string) => void
  readonly toggleService: (key: string) => void
  readonly setTheme: (t: Theme) => void
  /** `byUser` false: the app's own suggestion (a big graph turns following on), ignored once the user chose. */
  readonly setFollow: (on: boolean, byUser?: boolean) => void
}

let loadSeq = 0

const toggled = (set: ReadonlySet<string>, key: string): ReadonlySet<string> => {
  const next = new Set(set)
  if (next.has(key)) next.delete(key)
  else next.add(key)
  return next
}

const checkpointFrames = (s: LoadedScenario | null): number[] => s?.checkpoints?.map((c) => c.frame) ?? []

/** The catalog at start: the curriculum, the instructor’s remembered file, the built-in demos, then the imported views a reload can rebuild. */
function initialCatalog(saved: SavedFile | null): ScenarioEntry[] {
  return [...scenarioFileCatalog, ...(saved ? [ownEntry(saved)] : []), ...demoCatalog, ...importedEntries()]
}

/** Put (or replace) an entry; own files sit after the curriculum, before the demos. */
function withEntry(catalog: readonly ScenarioEntry[], entry: ScenarioEntry): ScenarioEntry[] {
  const rest = catalog.filter((e) => e.id !== entry.id && e.group !== OWN_GROUP)
  const at = rest.findIndex((e) => e.group === 'Built-in demos')
  const out = [...rest]
  out.splice(at < 0 ? out.length : at, 0, entry)
  return out
}

function problemsOf(e: unknown, what: string): Problems {
  if (e instanceof ScenarioProblems) return { what: e.what, diagnostics: e.diagnostics, files: e.files }
  return { what, diagnostics: [{ code: 'SCN000', severity: 'error', message: e instanceof Error ? e.message : String(e) }], files: {} }
}

/** The store itself (build-time prerender.tsx reads it; components use `useExplainer`). */
export const explainerStore = createStore<ExplainerState>()((set, get) => {
  /** Show a loaded scenario at a frame: playback, world and per-scenario view state start over. */
  const show = (scenario: LoadedScenario, frame = 0, extra: Partial<ExplainerState> = {}) => {
    const playback = playbackReducer(get().playback, { type: 'load', total: frameCount(scenario.timeline), frame })
    const catalog = get().catalog.map((e) => (e.id === scenario.id ? { ...e, title: scenario.title, summary: scenario.summary } : e))
    set({
      status: 'ready',
      error: null,
      scenario,
      catalog,
      playback,
      world: worldAtFrame(scenario.timeline, playback.frame),
      selection: null,
      expandedNodes: new Set(),
      expandedServices: new Set(),
      checkpoints: checkpointReducer(get().checkpoints, { type: 'reset' }, []),
      ...extra,
    })
  }
  const cp = (a: CheckpointAction) => checkpointReducer(get().checkpoints, a, checkpointFrames(get().scenario))

  /** Open an own file's source: problems are listed and nothing else changes. */
  const openOwn = async (f: SavedFile, frame = 0) => {
    const seq = ++loadSeq
    const id = ownFileId(f.name)
    set({ status: 'loading', problems: null })
    try {
      const loaded = await runOrThrow(id, ownSource(f))
      if (seq !== loadSeq) return
      saveOwnFile(browserStorage(), f)
      set({ catalog: withEntry(get().catalog, ownEntry(f, loaded.title, loaded.summary)) })
      show(loaded, frame)
    } catch (e) {
      if (seq !== loadSeq) return
      const problems = problemsOf(e, f.name)
      set({ status: get().scenario ? 'ready' : 'error', error: get().scenario ? null : `Could not open ${f.name}.`, problems })
    }
  }

  return {
    catalog: initialCatalog(loadOwnFile(browserStorage())),
    status: 'idle',
    error: null,
    problems: null,
    scenario: null,
    playback: INITIAL_PLAYBACK,
    world: null,
    view: 'step',
    selection: null,
    expandedNodes: new Set(),
    expandedServices: new Set(),
    theme: 'light',
    follow: false,
    followChosen: false,
    checkpoints: { ...INITIAL_CHECKPOINTS, enabled: loadCheckpointsOn(browserStorage()) },
    mode: 'explainer',
    presenter: false,
    pointer: false,
    rerunning: false,

    setCatalog: (catalog) => set({ catalog }),

    open: async (id, at = {}) => {
      const entry = get().catalog.find((e) => e.id === id)
      if (!entry) {
        set({ status: 'error', error: `No scenario called “${id}”. Pick one from the list.` })
        return
      }
      const seq = ++loadSeq
      set({ status: 'loading', error: null, problems: null, ...(at.view && { view: at.view }) })
      // Its graph will need laying out: the worker starts while the scenario loads and runs.
      if (!entry.laidOut) warmUpLayout()
      try {
        let scenario = await entry.load()
        if (seq !== loadSeq) return // a later open() won
        if (at.whatIf && scenario.source && scenario.whatIfs?.some((w) => w.id === at.whatIf)) {
          const base = scenario.outcomes
          scenario = { ...(await runOrThrow(id, scenario.source, [at.whatIf])), ...(base && { baseline: base }) }
          if (seq !== loadSeq) return
        }
        show(scenario, at.frame ?? 0)
      } catch (e) {
        if (seq !== loadSeq) return
        if (e instanceof ScenarioProblems) set({ status: 'error', error: e.message, problems: problemsOf(e, entry.title) })
        else set({ status: 'error', error: e instanceof Error ? e.message : String(e) })
      }
    },

    openFiles: async (files) => {
      const picked = pickScenario(files)
      if ('error' in picked) {
        set({ problems: { what: files.map((f) => f.name).join(', ') || 'Nothing', diagnostics: [{ code: 'SCN003', severity: 'error', message: picked.error }], files: {} } })
        return
      }
      await openOwn({ name: picked.scenario.name, text: picked.scenario.text, refs: picked.refs })
    },

    openUrl: async (url, at = {}) => {
      const seq = ++loadSeq
      set({ status: 'loading', problems: null, ...(at.view && { view: at.view }) })
      const { fetchScenarioUrl } = await import('../scenarios/runScenarioFile.ts')
      const r = await fetchScenarioUrl(url)
      if (seq !== loadSeq) return
      if ('problems' in r) {
        set({ status: get().scenario ? 'ready' : 'error', error: get().scenario ? null : `Could not open ${url}.`, problems: { what: url, diagnostics: r.problems, files: {} } })
        return
      }
      const s = r.source as Extract<typeof r.source, { kind: 'own' }>
      await openOwn({ name: s.name, text: s.text, refs: s.refs, ...(s.url !== undefined && { url: s.url }) }, at.frame ?? 0)
    },

    closeProblems: () => set({ problems: null }),

    setWhatIf: async (id) => {
      const { scenario, playback } = get()
      if (!scenario?.source || get().rerunning) return
      const baseline = scenario.activeWhatIfs?.length ? scenario.baseline : scenario.outcomes
      set({ rerunning: true })
      try {
        const next = await runOrThrow(scenario.id, scenario.source, id ? [id] : [])
        if (get().scenario !== scenario) return // another scenario was opened meanwhile
        const frame = mapFrame(scenario.outcomes ?? [], next.outcomes ?? [], playback.frame)
        show(id && baseline ? { ...next, baseline } : next, frame, { rerunning: false, view: get().view })
      } catch (e) {
        set({ rerunning: false, problems: problemsOf(e, scenario.title) })
      }
    },

    dispatch: (a) => {
      const { playback, scenario, checkpoints } = get()
      // Moving on from a frame with a question: hold there and ask first.
      if ((a.type === 'forward' || a.type === 'tick') && scenario) {
        if (checkpoints.asking && a.type === 'forward') {
          // Stepping on while asked skips the question.
          set({ checkpoints: cp({ type: 'continue' }) })
        } else {
          const asked = cp({ type: 'advance', from: playback.frame, byClock: a.type === 'tick' && playback.playing })
          if (asked.asking && asked !== checkpoints) {
            set({ checkpoints: asked, playback: { ...playback, playing: false } })
            return
          }
        }
      } else if (checkpoints.asking && a.type !== 'faster' && a.type !== 'slower' && a.type !== 'speed') {
        set({ checkpoints: cp({ type: 'dismiss' }) })
      }
      const next = playbackReducer(get().playback, a)
      if (next === get().playback) return
      if (next.frame !== playback.frame && scenario) set({ playback: next, world: worldAtFrame(scenario.timeline, next.frame) })
      else set({ playback: next })
    },

    answer: (choice) => set({ checkpoints: cp({ type: 'answer', choice }) }),

    continueOn: () => {
      const asking = get().checkpoints.asking
      if (!asking) return
      set({ checkpoints: cp({ type: 'continue' }) })
      get().dispatch({ type: 'forward' })
      if (asking.resume) get().dispatch({ type: 'play' })
    },

    setCheckpointsOn: (on) => {
      saveCheckpointsOn(browserStorage(), on)
      set({ checkpoints: cp({ type: 'enable', on }) })
    },

    appendSegments: (segments, label, fresh) => {
      if (segments.length === 0) return
      const base = fresh ? null : get().scenario
      const timeline = { segments: [...(base?.timeline.segments ?? []), ...segments] }
      const from = base ? frameCount(base.timeline) : 0
      const to = frameCount(timeline) - 1
      const scenario: LoadedScenario = base
        ? { ...base, timeline, narration: [...base.narration, { from, to, text: label }] }
        : { id: fresh!.id, title: fresh!.title, summary: fresh!.summary, timeline, narration: [{ from, to, text: label }] }
      const playback = playbackReducer(get().playback, { type: 'load', total: to + 1, frame: from })
      set({ scenario, playback, world: worldAtFrame(timeline, from), status: 'ready', error: null, ...(fresh && { selection: null }) })
    },

    setMode: (mode) => set({ mode, ...(mode !== 'explainer' && { presenter: false, pointer: false }) }),
    setPresenter: (presenter) => set({ presenter, ...(!presenter && { pointer: false }), ...(presenter && { mode: 'explainer' as const }) }),
    setPointer: (pointer) => set({ pointer }),
    setView: (view) => set({ view }),
    select: (selection) => set({ selection }),
    toggleNode: (node) => set({ expandedNodes: toggled(get().expandedNodes, node) }),
    toggleService: (key) => set({ expandedServices: toggled(get().expandedServices, key) }),
    setTheme: (theme) => set({ theme }),
    setFollow: (follow, byUser = true) => {
      if (!byUser && get().followChosen) return
      set({ follow, ...(byUser && { followChosen: true }) })
    },
  }
})

/** The explainer's state in a component: `useExplainer((s) => s.playback)`; outside React, `useExplainer.getState()`. */
export const useExplainer = Object.assign(<T>(selector: (s: ExplainerState) => T): T => useStore(explainerStore, selector), explainerStore)
