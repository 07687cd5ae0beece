/**
 * Sending a big plain-data value from the worker in pieces the page can take one task at a
 * time. A structured clone is deserialised in one go on the receiving thread: a 75,000-rule
 * import is ~1 M objects, which froze the page for seconds. Here every big container (an
 * array or record with more than `big` entries: a chain's rules, a table's chains) travels
 * in its own pieces of bounded size, and the page puts the value back together by following
 * recorded paths, without walking it again.
 *
 * Identity: a big container referenced from several places (one ruleset seen by the import
 * result and by the world) is sent once and shared again on arrival; small objects are
 * copied per reference, as JSON would. Values must be plain data (no Map, Date, class).
 */

export type PathKey = string | number

/** Where a big container goes: `path` inside the piece's data, the container by slot. */
export interface PieceMarker {
  readonly path: readonly PathKey[]
  readonly slot: number
}

export type Piece =
  | { readonly kind: 'root'; readonly data: unknown; readonly markers: readonly PieceMarker[] }
  /** Items `start…` of the array in `slot`. */
  | { readonly kind: 'array'; readonly slot: number; readonly start: number; readonly data: readonly unknown[]; readonly markers: readonly PieceMarker[] }
  /** Entries of the record in `slot`. */
  | { readonly kind: 'record'; readonly slot: number; readonly keys: readonly string[]; readonly data: readonly unknown[]; readonly markers: readonly PieceMarker[] }

export interface ChunkOptions {
  /** Containers with more entries than this travel in their own pieces. */
  readonly big?: number
  /** About how many values one piece may hold. */
  readonly budget?: number
}

const DEFAULTS = { big: 256, budget: 1500 }

/**
 * The pieces of a value, in the order they must be received: the root first, then each big
 * container's entries.
 *
 * @example
 * const a = assembler(); for (const p of pieces({ rules: Array(1000).fill({ raw: '-j ACCEPT' }) }, { big: 100, budget: 300 })) a.add(p)
 * a.finish() // { rules: [1000 × { raw: '-j ACCEPT' }] }, received in 5 pieces
 */
export function* pieces(root: unknown, opts: ChunkOptions = {}): Generator<Piece> {
  const big = opts.big ?? DEFAULTS.big
  const budget = opts.budget ?? DEFAULTS.budget
  const slots = new Map<object, number>()
  const queue: object[] = []
  let markers: PieceMarker[] = []
  let count = 0
  const path: PathKey[] = []

  const slotOf = (container: object): number => {
    let s = slots.get(container)
    if (s === undefined) {
      s = slots.size
      slots.set(container, s)
      queue.push(container)
    }
    return s
  }
  const pack = (v: unknown): unknown => {
    count++
    if (typeof v !== 'object' || v === null) return v
    if (Array.isArray(v)) {
      if (v.length > big) {
        markers.push({ path: [...path], slot: slotOf(v) })
        return null
      }
      const out: unknown[] = new Array(v.length)
      for (let i = 0; i < v.length; i++) {
        path.push(i)
        out[i] = pack(v[i])
        path.pop()
      }
      return out
    }
    const keys = Object.keys(v)
    if (keys.length > big) {
      markers.push({ path: [...path], slot: slotOf(v) })
      return null
    }
    const out: Record<string, unknown> = {}
    for (const k of keys) {
      path.push(k)
      define(out, k, pack((v as Record<string, unknown>)[k]))
      path.pop()
    }
    return out
  }

  yield { kind: 'root', data: pack(root), markers }
  for (let q = 0; q < queue.length; q++) {
    const container = queue[q]!
    const slot = slots.get(container)!
    if (Array.isArray(container)) {
      let start = 0
      while (start < container.length) {
        markers = []
        count = 0
        const data: unknown[] = []
        for (let i = start; i < container.length && (count < budget || data.length === 0); i++) {
          path.push(i - start)
          data.push(pack(container[i]))
          path.pop()
        }
        yield { kind: 'array', slot, start, data, markers }
        start += data.length
      }
    } else {
      const keys = Object.keys(container)
      let start = 0
      while (start < keys.length) {
        markers = []
        count = 0
        const data: unknown[] = []
        const batch: string[] = []
        for (let i = start; i < keys.length && (count < budget || data.length === 0); i++) {
          const k = keys[i]!
          path.push(batch.length)
          data.push(pack((container as Record<string, unknown>)[k]))
          path.pop()
          batch.push(k)
        }
        yield { kind: 'record', slot, keys: batch, data, markers }
        start += batch.length
      }
    }
  }
}

function define(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}

export interface Assembler {
  readonly add: (p: Piece) => void
  /** The value, once every piece was added. */
  readonly finish: () => unknown
}

/** Puts the pieces back together on the receiving side (in the order they were made). */
export function assembler(): Assembler {
  let root: { value: unknown } | undefined
  const containers = new Map<number, unknown[] | Record<string, unknown>>()
  /** Markers as (base container, path inside it). */
  const pending: { base: { value: unknown } | unknown[] | Record<string, unknown>; path: readonly PathKey[]; slot: number }[] = []
  const container = (slot: number, kind: 'array' | 'record') => {
    let c = containers.get(slot)
    if (!c) {
      c = kind === 'array' ? [] : {}
      containers.set(slot, c)
    }
    return c
  }
  return {
    add: (p) => {
      if (p.kind === 'root') {
        root = { value: p.data }
        for (const m of p.markers) pending.push({ base: root, path: ['value', ...m.path], slot: m.slot })
      } else if (p.kind === 'array') {
        const a = container(p.slot, 'array') as unknown[]
        for (let i = 0; i < p.data.length; i++) a[p.start + i] = p.data[i]
        for (const m of p.markers) pending.push({ base: a, path: [p.start + (m.path[0] as number), ...m.path.slice(1)], slot: m.slot })
      } else {
        const r = container(p.slot, 'record') as Record<string, unknown>
        for (let i = 0; i < p.data.length; i++) define(r, p.keys[i]!, p.data[i])
        for (const m of p.markers) pending.push({ base: r, path: [p.keys[m.path[0] as number]!, ...m.path.slice(1)], slot: m.slot })
      }
    },
    finish: () => {
      if (!root) throw new Error('no root piece received')
      for (const m of pending) {
        let parent = m.base as Record<PathKey, unknown>
        for (let i = 0; i < m.path.length - 1; i++) parent = parent[m.path[i]!] as Record<PathKey, unknown>
        const c = containers.get(m.slot)
        if (!c) throw new Error(`piece ${m.slot} never arrived`)
        parent[m.path[m.path.length - 1]!] = c
      }
      return root.value
    },
  }
}
