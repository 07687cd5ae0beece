/**
 * The imported views the explainer can reopen after a reload: the last "Show in the
 * explainer" and the last trace played are remembered (what was asked, not the result), and
 * rebuilt on demand from the inputs this browser keeps. Light on purpose: the app's first
 * load reads it; the rebuilding code (the worker, the engine) loads only when an entry opens.
 */
import type { ScenarioEntry } from '../scenarios/types.ts'
import type { TraceForm } from './traceImport.ts'

export const IMPORT_GROUP = 'Imported'
export const IMPORT_VIEW_ID = 'imported-nodes'
export const IMPORT_TRACE_ID = 'imported-trace'
export const OPENED_KEY = 'packetwalk.import.opened'

export type OpenedImport =
  | { readonly id: typeof IMPORT_VIEW_ID; readonly title: string; readonly summary: string }
  | { readonly id: typeof IMPORT_TRACE_ID; readonly title: string; readonly summary: string; readonly form: TraceForm; readonly outcome: number }

interface Storage {
  readonly getItem: (k: string) => string | null
  readonly setItem: (k: string, v: string) => void
}

const storage = (): Storage | undefined => {
  try {
    return typeof window === 'undefined' ? undefined : window.localStorage
  } catch {
    return undefined
  }
}

/** The remembered views; anything unreadable is left out. */
export function parseOpened(text: string | null | undefined): OpenedImport[] {
  let raw: unknown
  try {
    raw = JSON.parse(text ?? '[]')
  } catch {
    return []
  }
  if (!Array.isArray(raw)) return []
  const out: OpenedImport[] = []
  for (const x of raw as unknown[]) {
    if (typeof x !== 'object' || x === null) continue
    const o = x as Record<string, unknown>
    if (typeof o.title !== 'string' || typeof o.summary !== 'string') continue
    if (o.id === IMPORT_VIEW_ID) out.push({ id: IMPORT_VIEW_ID, title: o.title, summary: o.summary })
    else if (o.id === IMPORT_TRACE_ID && typeof o.outcome === 'number' && isForm(o.form)) out.push({ id: IMPORT_TRACE_ID, title: o.title, summary: o.summary, form: o.form, outcome: o.outcome })
  }
  return out
}

function isForm(f: unknown): f is TraceForm {
  if (typeof f !== 'object' || f === null) return false
  const o = f as Record<string, unknown>
  return typeof o.from === 'string' && typeof o.to === 'string' && (o.proto === 'tcp' || o.proto === 'udp' || o.proto === 'icmp') && typeof o.port === 'string' && typeof o.allOutcomes === 'boolean'
}

/** Remember a view the user opened (replacing the previous one with its id). */
export function rememberOpened(o: OpenedImport, s: Storage | undefined = storage()): void {
  if (!s) return
  try {
    const rest = parseOpened(s.getItem(OPENED_KEY)).filter((x) => x.id !== o.id)
    s.setItem(OPENED_KEY, JSON.stringify([...rest, o]))
  } catch {
    // Storage full or off: the view simply will not come back after a reload.
  }
}

/** Forget them (the inputs were cleared). */
export function forgetOpened(s: Storage | undefined = storage()): void {
  try {
    s?.setItem(OPENED_KEY, '[]')
  } catch {
    // nothing to forget
  }
}

/** Catalog entries for the remembered views; opening one re-reads the kept inputs and rebuilds it. */
export function importedEntries(s: Storage | undefined = storage()): ScenarioEntry[] {
  let opened: OpenedImport[]
  try {
    opened = parseOpened(s?.getItem(OPENED_KEY))
  } catch {
    return []
  }
  return opened.map((o) => ({ id: o.id, title: o.title, summary: o.summary, group: IMPORT_GROUP, load: () => import('./restore.ts').then((m) => m.restoreOpened(o)) }))
}
