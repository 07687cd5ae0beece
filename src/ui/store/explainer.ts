/**
 * The one bridge between the engine and the UI. Thin: actions collect inputs, call one
 * engine function (a catalog entry's `load`, `worldAtFrame`) and set the result; components
 * select the slices they need. Playback rules live in the pure reducer (playback.ts).
 */
import { create } from 'zustand'
import type { World } from '../../engine/model/types.ts'
import { frameCount, worldAtFrame } from '../../engine/scenario/timeline.ts'
import { demoCatalog } from '../scenarios/demos.ts'
import { scenarioFileCatalog } from '../scenarios/scenarioFiles.ts'
import type { LoadedScenario, ScenarioEntry } from '../scenarios/types.ts'
import { INITIAL_PLAYBACK, playbackReducer } from './playback.ts'
import type { PlaybackAction, PlaybackState } from './playback.ts'
import type { InspectorView } from './urlState.ts'

/** What the user picked to look at: a netns, or one device in it. */
export interface Selection {
  readonly netns: string
  readonly dev?: string
}

export type Theme = 'light' | 'dark'

export interface ExplainerState {
  readonly catalog: readonly ScenarioEntry[]
  readonly status: 'idle' | 'loading' | 'ready' | 'error'
  readonly error: string | null
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
  /** Replace the catalog (a scenario-file loader does this; the demos are the default). */
  readonly setCatalog: (entries: readonly ScenarioEntry[]) => void
  readonly open: (id: string, at?: { frame?: number; view?: InspectorView }) => Promise<void>
  readonly dispatch: (a: PlaybackAction) => void
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

export const useExplainer = create<ExplainerState>()((set, get) => ({
  catalog: [...demoCatalog, ...scenarioFileCatalog],
  status: 'idle',
  error: null,
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

  setCatalog: (catalog) => set({ catalog }),

  open: async (id, at = {}) => {
    const entry = get().catalog.find((e) => e.id === id)
    if (!entry) {
      set({ status: 'error', error: `No scenario called “${id}”. Pick one from the list.` })
      return
    }
    const seq = ++loadSeq
    set({ status: 'loading', error: null, ...(at.view && { view: at.view }) })
    try {
      const scenario = await entry.load()
      if (seq !== loadSeq) return // a later open() won
      const playback = playbackReducer(get().playback, { type: 'load', total: frameCount(scenario.timeline), frame: at.frame ?? 0 })
      // The entry's title and summary become the ones the file itself gives.
      const catalog = get().catalog.map((e) => (e.id === id ? { ...e, title: scenario.title, summary: scenario.summary } : e))
      set({ status: 'ready', scenario, catalog, playback, world: worldAtFrame(scenario.timeline, playback.frame), selection: null, expandedNodes: new Set(), expandedServices: new Set() })
    } catch (e) {
      if (seq !== loadSeq) return
      set({ status: 'error', error: e instanceof Error ? e.message : String(e) })
    }
  },

  dispatch: (a) => {
    const { playback, scenario } = get()
    const next = playbackReducer(playback, a)
    if (next === playback) return
    if (next.frame !== playback.frame && scenario) set({ playback: next, world: worldAtFrame(scenario.timeline, next.frame) })
    else set({ playback: next })
  },

  setView: (view) => set({ view }),
  select: (selection) => set({ selection }),
  toggleNode: (node) => set({ expandedNodes: toggled(get().expandedNodes, node) }),
  toggleService: (key) => set({ expandedServices: toggled(get().expandedServices, key) }),
  setTheme: (theme) => set({ theme }),
  setFollow: (follow, byUser = true) => {
    if (!byUser && get().followChosen) return
    set({ follow, ...(byUser && { followChosen: true }) })
  },
}))
