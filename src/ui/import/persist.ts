/**
 * Nothing pasted is lost: the import drafts (every input's text, its name field, the
 * anonymise switch) are kept across reloads until the user clears them. Small drafts go to
 * localStorage (written synchronously, so a reload right after a paste keeps it); big ones
 * (a 75,000-line iptables-save is ~8 MB) go to IndexedDB, with a marker in localStorage.
 * Reading never throws: anything unreadable gives empty drafts.
 */

export interface DraftInput {
  readonly id: string
  /** Label: the file name, or `paste N`. */
  readonly name: string
  readonly text: string
  /** The node name field ('' = let the importer name it). */
  readonly node: string
  /** The user typed the name (a prefill never overwrites it). */
  readonly nodeEdited: boolean
  /** Folder the file came from, which names its node. */
  readonly folder?: string
}

export interface Drafts {
  readonly inputs: readonly DraftInput[]
  readonly anonymise: boolean
}

export const EMPTY_DRAFTS: Drafts = { inputs: [], anonymise: false }
export const DRAFTS_KEY = 'packetwalk.import.drafts'
/** Above this many characters the drafts go to IndexedDB (localStorage holds ~5 M characters in all). */
export const LOCAL_LIMIT = 1_500_000
const MARKER = '{"v":1,"in":"indexeddb"}'

/** Where the big drafts go (IndexedDB in the browser, a Map in tests). */
export interface BigStore {
  readonly get: (key: string) => Promise<string | undefined>
  readonly set: (key: string, value: string) => Promise<void>
  readonly delete: (key: string) => Promise<void>
}

export interface SmallStore {
  readonly getItem: (key: string) => string | null
  readonly setItem: (key: string, value: string) => void
  readonly removeItem: (key: string) => void
}

export function serializeDrafts(d: Drafts): string {
  return JSON.stringify({ v: 1, anonymise: d.anonymise, inputs: d.inputs.map((i) => ({ id: i.id, name: i.name, text: i.text, node: i.node, nodeEdited: i.nodeEdited, ...(i.folder !== undefined && { folder: i.folder }) })) })
}

/** Drafts from their stored text; malformed parts are dropped, never thrown. */
export function parseDrafts(text: string | null | undefined): Drafts {
  if (!text) return EMPTY_DRAFTS
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return EMPTY_DRAFTS
  }
  if (typeof raw !== 'object' || raw === null) return EMPTY_DRAFTS
  const r = raw as Record<string, unknown>
  const inputs: DraftInput[] = []
  for (const x of Array.isArray(r.inputs) ? (r.inputs as unknown[]) : []) {
    if (typeof x !== 'object' || x === null) continue
    const i = x as Record<string, unknown>
    if (typeof i.id !== 'string' || typeof i.name !== 'string' || typeof i.text !== 'string') continue
    inputs.push({ id: i.id, name: i.name, text: i.text, node: typeof i.node === 'string' ? i.node : '', nodeEdited: i.nodeEdited === true, ...(typeof i.folder === 'string' && { folder: i.folder }) })
  }
  return { inputs, anonymise: r.anonymise === true }
}

/**
 * Keep the drafts: localStorage when small, else IndexedDB (written first, then the marker,
 * so an interrupted save leaves the previous copy readable).
 */
export async function saveDrafts(d: Drafts, small: SmallStore, big: BigStore): Promise<'local' | 'indexeddb'> {
  const text = serializeDrafts(d)
  if (text.length <= LOCAL_LIMIT) {
    try {
      small.setItem(DRAFTS_KEY, text)
      await big.delete(DRAFTS_KEY).catch(() => undefined)
      return 'local'
    } catch {
      // Quota: fall through to IndexedDB.
    }
  }
  await big.set(DRAFTS_KEY, text)
  small.setItem(DRAFTS_KEY, MARKER)
  return 'indexeddb'
}

export async function loadDrafts(small: SmallStore, big: BigStore): Promise<Drafts> {
  let text: string | null
  try {
    text = small.getItem(DRAFTS_KEY)
  } catch {
    return EMPTY_DRAFTS
  }
  if (text === MARKER) {
    try {
      return parseDrafts(await big.get(DRAFTS_KEY))
    } catch {
      return EMPTY_DRAFTS
    }
  }
  return parseDrafts(text)
}

export async function clearDrafts(small: SmallStore, big: BigStore): Promise<void> {
  small.removeItem(DRAFTS_KEY)
  await big.delete(DRAFTS_KEY).catch(() => undefined)
}

/** A BigStore on IndexedDB (`packetwalk` database, `drafts` store). */
export function indexedDbStore(dbName = 'packetwalk', storeName = 'drafts'): BigStore {
  let db: Promise<IDBDatabase> | undefined
  const open = () =>
    (db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName, 1)
      req.onupgradeneeded = () => req.result.createObjectStore(storeName)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error ?? new Error('IndexedDB is not available'))
    }))
  const run = async <T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const d = await open()
    return new Promise<T>((resolve, reject) => {
      const tx = d.transaction(storeName, mode)
      const req = f(tx.objectStore(storeName))
      tx.oncomplete = () => resolve(req.result)
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'))
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
    })
  }
  return {
    get: async (key) => {
      const v = await run<unknown>('readonly', (s) => s.get(key))
      return typeof v === 'string' ? v : undefined
    },
    set: async (key, value) => {
      await run('readwrite', (s) => s.put(value, key))
    },
    delete: async (key) => {
      await run('readwrite', (s) => s.delete(key))
    },
  }
}

/** The per-browser anonymising key: random once, then kept, so placeholders stay the same across reloads. */
export function anonymiseKey(small: SmallStore, random: () => string): string {
  const KEY = 'packetwalk.import.anonKey'
  try {
    const k = small.getItem(KEY)
    if (k) return k
    const fresh = random()
    small.setItem(KEY, fresh)
    return fresh
  } catch {
    return random()
  }
}
