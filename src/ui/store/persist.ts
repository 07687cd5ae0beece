/**
 * What the app remembers across reloads, in localStorage: the instructor's last opened file
 * (with its text and the files given with it) and whether questions are on. Storage is
 * passed in (tests give a plain object); disabled or full storage is never an error, the
 * app just forgets. What is read back is checked, never trusted.
 */

/** The part of Storage these functions use. */
export type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

export interface SavedFile {
  readonly name: string
  readonly text: string
  /** World and cluster files given with it, by the name it refers to them by. */
  readonly refs: Readonly<Record<string, string>>
  /** Where it was fetched from (`?scenario=`), if it came by URL. */
  readonly url?: string
}

export const OWN_FILE_KEY = 'packetwalk.ownFile.v1'
export const CHECKPOINTS_KEY = 'packetwalk.checkpoints'

/** The browser's localStorage, or null where it is disabled. */
export function browserStorage(): KeyValueStore | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null
  } catch {
    return null
  }
}

export function saveOwnFile(store: KeyValueStore | null, f: SavedFile): boolean {
  if (!store) return false
  try {
    store.setItem(OWN_FILE_KEY, JSON.stringify({ name: f.name, text: f.text, refs: f.refs, ...(f.url !== undefined && { url: f.url }) }))
    return true
  } catch {
    return false
  }
}

const isStringRecord = (v: unknown): v is Record<string, string> => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')

export function loadOwnFile(store: KeyValueStore | null): SavedFile | null {
  if (!store) return null
  let v: unknown
  try {
    v = JSON.parse(store.getItem(OWN_FILE_KEY) ?? 'null')
  } catch {
    return null
  }
  if (v === null || typeof v !== 'object') return null
  const o = v as Record<string, unknown>
  if (typeof o.name !== 'string' || !o.name || typeof o.text !== 'string') return null
  const refs = isStringRecord(o.refs) ? o.refs : {}
  return { name: o.name, text: o.text, refs, ...(typeof o.url === 'string' && { url: o.url }) }
}

export function forgetOwnFile(store: KeyValueStore | null): void {
  try {
    store?.removeItem(OWN_FILE_KEY)
  } catch {
    // nothing to forget
  }
}

/** Questions are on unless turned off. */
export function loadCheckpointsOn(store: KeyValueStore | null): boolean {
  try {
    return store?.getItem(CHECKPOINTS_KEY) !== 'off'
  } catch {
    return true
  }
}

export function saveCheckpointsOn(store: KeyValueStore | null, on: boolean): void {
  try {
    store?.setItem(CHECKPOINTS_KEY, on ? 'on' : 'off')
  } catch {
    // remembered for this page only
  }
}

/** The catalog id of an instructor's file: `file-` and its name as a slug (`Week 3.yaml` → `file-week-3`). */
export function ownFileId(name: string): string {
  const slug = name
    .replace(/\.ya?ml$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
  return `file-${slug || 'scenario'}`
}
