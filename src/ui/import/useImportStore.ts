/**
 * The import panel's store: the inputs the user gave (kept across reloads until cleared), the
 * worker job reading them, and what it sent back. Thin, as the explainer's store: actions
 * collect inputs, start one worker job, and set what it returns. Every change to the inputs
 * re-reads them shortly after (a new job cancels the running one).
 */
import { create } from 'zustand'
import type { DumpInput, ImportResult } from '../../engine/import/types.ts'
import type { World } from '../../engine/model/types.ts'
import type { AnonymiseCounts } from './anonymise.ts'
import { forgetOpened } from './catalog.ts'
import { inferNodeNames, nextPasteName, prefillFor, uniqueName } from './nameInference.ts'
import { anonymiseKey, clearDrafts, indexedDbStore, loadDrafts, saveDrafts } from './persist.ts'
import type { BigStore, DraftInput, SmallStore } from './persist.ts'
import type { ImportProgressMessage } from './protocol.ts'
import { startImportJob } from './workerClient.ts'
import type { ImportJob } from './workerClient.ts'

export interface ImportRead {
  readonly result: ImportResult
  readonly world: World
  /** The texts as read (anonymised): shown instead of the drafts while anonymising. */
  readonly shown?: readonly DumpInput[]
  readonly anonymised?: AnonymiseCounts
  readonly ms: { readonly anonymise: number; readonly read: number; readonly build: number; readonly send: number; readonly total: number }
  /** The drafts this result was read from (compare to know whether it is current). */
  readonly signature: string
}

export type ReadStatus = 'idle' | 'reading' | 'done' | 'failed' | 'cancelled'

export interface NewInput {
  readonly text: string
  /** A file's name; pastes get `paste N`. */
  readonly name?: string
  readonly folder?: string
}

export interface ImportState {
  readonly drafts: readonly DraftInput[]
  readonly anonymise: boolean
  /** Drafts were restored from storage (or there were none). */
  readonly restored: boolean
  readonly savedIn: 'local' | 'indexeddb' | null
  readonly saveError: string | null
  readonly status: ReadStatus
  readonly progress: ImportProgressMessage | null
  readonly read: ImportRead | null
  readonly error: string | null
  readonly restore: () => Promise<void>
  readonly addInputs: (items: readonly NewInput[]) => void
  readonly setText: (id: string, text: string) => void
  readonly setNode: (id: string, node: string) => void
  readonly remove: (id: string) => void
  readonly clearAll: () => Promise<void>
  readonly setAnonymise: (on: boolean) => void
  /** Read the inputs now (cancels a job already running). */
  readonly readNow: () => void
  readonly cancel: () => void
}

/**
 * Inputs as the importer takes them. The name field names the node when the user typed it or
 * a folder gave it; a name prefilled from the text is what the importer reads there anyway,
 * so it is left to the importer (which then says where the name came from).
 */
export function toDumpInputs(drafts: readonly DraftInput[]): DumpInput[] {
  return drafts.filter((d) => d.text.trim() !== '').map((d) => {
    const node = d.node.trim()
    return { name: d.name, text: d.text, ...(node !== '' && (d.nodeEdited || d.folder !== undefined) && { node }) }
  })
}

/** What a result depends on: a cheap fingerprint (lengths and a sample, not the 8 MB texts). */
export function draftsSignature(drafts: readonly DraftInput[], anonymise: boolean): string {
  return JSON.stringify([anonymise, drafts.map((d) => [d.id, d.name, d.node, d.text.length, d.text.slice(0, 64), d.text.slice(-64)])])
}

/** A draft for new text, with the node name prefilled from what the text says. */
export function newDraft(item: NewInput, existing: readonly DraftInput[], id: string): DraftInput {
  const names = existing.map((d) => d.name)
  const name = item.name !== undefined ? uniqueName(item.folder !== undefined ? `${item.folder}/${item.name}` : item.name, names) : nextPasteName(names)
  const prefill = prefillFor(inferNodeNames(item.text, item.folder !== undefined ? { folder: item.folder } : {}))
  return { id, name, text: item.text, node: prefill.value, nodeEdited: false, ...(item.folder !== undefined && { folder: item.folder }) }
}

const READ_DELAY_MS = 350
const SAVE_DELAY_MS = 250

let idSeq = 0
const newId = () => `in-${Date.now().toString(36)}-${(++idSeq).toString(36)}`

let job: ImportJob | undefined
let readTimer: ReturnType<typeof setTimeout> | undefined
let saveTimer: ReturnType<typeof setTimeout> | undefined

const small = (): SmallStore => window.localStorage
let bigStore: BigStore | undefined
const big = (): BigStore => (bigStore ??= indexedDbStore())

function randomKey(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export const useImportStore = create<ImportState>()((set, get) => {
  const save = (now = false) => {
    clearTimeout(saveTimer)
    saveTimer = undefined
    // Until the kept drafts are back, saving would overwrite them: restore() saves after merging.
    if (!get().restored) return
    const run = () => {
      saveTimer = undefined
      const { drafts, anonymise } = get()
      saveDrafts({ inputs: drafts, anonymise }, small(), big()).then(
        (where) => set({ savedIn: where, saveError: null }),
        (e: unknown) => set({ saveError: `Could not keep the inputs in this browser: ${e instanceof Error ? e.message : String(e)}` }),
      )
    }
    if (now) run()
    else saveTimer = setTimeout(run, SAVE_DELAY_MS)
  }
  const scheduleRead = () => {
    clearTimeout(readTimer)
    // Reading is due: say so now (the last result stays on screen, marked stale).
    if (toDumpInputs(get().drafts).length > 0) set({ status: 'reading', progress: null, error: null })
    readTimer = setTimeout(() => get().readNow(), READ_DELAY_MS)
  }
  const changed = (drafts: DraftInput[], opts: { saveNow?: boolean } = {}) => {
    set({ drafts })
    save(opts.saveNow ?? true)
    scheduleRead()
  }

  if (typeof window !== 'undefined') {
    // A reload right after typing: write what the debounce still holds.
    window.addEventListener('pagehide', () => {
      if (saveTimer !== undefined) save(true)
    })
  }

  return {
    drafts: [],
    anonymise: false,
    restored: false,
    savedIn: null,
    saveError: null,
    status: 'idle',
    progress: null,
    read: null,
    error: null,

    restore: async () => {
      if (get().restored) return
      const d = await loadDrafts(small(), big()).catch(() => ({ inputs: [], anonymise: false }))
      if (get().restored) return
      // Inputs added before the stored ones came back are kept after them.
      const added = get().drafts.filter((x) => !d.inputs.some((y) => y.id === x.id))
      const drafts = [...d.inputs, ...added]
      set({ drafts, anonymise: d.anonymise || get().anonymise, restored: true })
      if (added.length > 0) save(true)
      if (drafts.length > 0) get().readNow()
    },

    addInputs: (items) => {
      const drafts = [...get().drafts]
      for (const item of items) drafts.push(newDraft(item, drafts, newId()))
      changed(drafts)
    },

    setText: (id, text) => {
      const drafts = get().drafts.map((d) => {
        if (d.id !== id) return d
        if (d.nodeEdited) return { ...d, text }
        // The name follows the text until the user types one.
        const prefill = prefillFor(inferNodeNames(text, d.folder !== undefined ? { folder: d.folder } : {}))
        return { ...d, text, node: prefill.value }
      })
      changed(drafts, { saveNow: false })
    },

    setNode: (id, node) => changed(get().drafts.map((d) => (d.id === id ? { ...d, node, nodeEdited: true } : d)), { saveNow: false }),

    remove: (id) => changed(get().drafts.filter((d) => d.id !== id)),

    clearAll: async () => {
      clearTimeout(readTimer)
      clearTimeout(saveTimer)
      job?.cancel()
      job = undefined
      set({ drafts: [], read: null, status: 'idle', progress: null, error: null, savedIn: null })
      forgetOpened()
      await clearDrafts(small(), big()).catch(() => undefined)
    },

    setAnonymise: (on) => {
      set({ anonymise: on })
      save(true)
      scheduleRead()
    },

    readNow: () => {
      clearTimeout(readTimer)
      const { drafts, anonymise } = get()
      const inputs = toDumpInputs(drafts)
      job?.cancel()
      job = undefined
      if (inputs.length === 0) {
        set({ status: 'idle', read: null, progress: null, error: null })
        return
      }
      const signature = draftsSignature(drafts, anonymise)
      const started = performance.now()
      const key = anonymise ? anonymiseKey(small(), randomKey) : undefined
      const current = startImportJob(inputs, { ...(key !== undefined && { anonymiseKey: key }), onProgress: (p) => set({ progress: p }) })
      job = current
      set({ status: 'reading', progress: null, error: null })
      void current.end.then((end) => {
        if (job !== current) return
        job = undefined
        if (end.kind === 'done') {
          const { payload: p, done: d } = end
          set({
            status: 'done',
            progress: null,
            read: { result: p.result, world: p.world, ...(p.shown && { shown: p.shown }), ...(d.anonymised && { anonymised: d.anonymised }), ms: { ...d.ms, total: performance.now() - started }, signature },
          })
        } else if (end.kind === 'failed') set({ status: 'failed', progress: null, error: end.message })
        else set({ status: 'cancelled', progress: null })
      })
    },

    cancel: () => {
      clearTimeout(readTimer)
      if (job) job.cancel()
      else if (get().status === 'reading') set({ status: 'cancelled', progress: null })
    },
  }
})
