import { describe, expect, it } from 'vitest'
import { anonymiseKey, clearDrafts, DRAFTS_KEY, EMPTY_DRAFTS, LOCAL_LIMIT, loadDrafts, parseDrafts, saveDrafts, serializeDrafts } from './persist.ts'
import type { BigStore, Drafts, SmallStore } from './persist.ts'

function small(opts: { quota?: number } = {}): SmallStore & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => {
      if (opts.quota !== undefined && v.length > opts.quota) throw new Error('QuotaExceededError')
      data.set(k, v)
    },
    removeItem: (k) => void data.delete(k),
  }
}

function big(): BigStore & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return {
    data,
    get: (k) => Promise.resolve(data.get(k)),
    set: (k, v) => Promise.resolve(void data.set(k, v)),
    delete: (k) => Promise.resolve(void data.delete(k)),
  }
}

const drafts = (text: string): Drafts => ({
  anonymise: true,
  inputs: [
    { id: 'a', name: 'paste 1', text, node: 'w1', nodeEdited: true },
    { id: 'b', name: 'ip-route.txt', text: 'default via 10.0.0.1 dev eth0\n', node: 'node1', nodeEdited: false, folder: 'node1' },
  ],
})

describe('drafts', () => {
  it('round-trips through their text', () => {
    const d = drafts('root@w1:~# ip route\n<script>alert(1)</script>\r\n')
    expect(parseDrafts(serializeDrafts(d))).toEqual(d)
  })

  it.each<[string | null, string]>([
    [null, 'nothing stored'],
    ['not json', 'garbage'],
    ['[1,2]', 'an array'],
    ['{"inputs":[{"id":1}]}', 'an input without its fields'],
  ])('reads %j (%s) as empty drafts', (text) => {
    expect(parseDrafts(text)).toEqual(EMPTY_DRAFTS)
  })

  it('keeps the good inputs of a half-broken record', () => {
    const text = JSON.stringify({ inputs: [{ id: 'a', name: 'p', text: 't' }, { id: 'b' }, 'x'], anonymise: 'yes' })
    // Missing node fields default to "let the importer name it"; a non-boolean switch is off.
    expect(parseDrafts(text)).toEqual({ anonymise: false, inputs: [{ id: 'a', name: 'p', text: 't', node: '', nodeEdited: false }] })
  })

  it('puts small drafts in localStorage and big ones in IndexedDB', async () => {
    const s = small()
    const b = big()
    expect(await saveDrafts(drafts('x'), s, b)).toBe('local')
    expect(b.data.has(DRAFTS_KEY)).toBe(false)
    expect(await loadDrafts(s, b)).toEqual(drafts('x'))
    // Over the limit: the text goes to IndexedDB, localStorage only says where it is.
    const huge = 'x'.repeat(LOCAL_LIMIT + 1)
    expect(await saveDrafts(drafts(huge), s, b)).toBe('indexeddb')
    expect(s.data.get(DRAFTS_KEY)!.length).toBeLessThan(100)
    expect((await loadDrafts(s, b)).inputs[0]!.text).toBe(huge)
    // Small again: the big copy is removed so it cannot come back.
    await saveDrafts(drafts('y'), s, b)
    expect(b.data.has(DRAFTS_KEY)).toBe(false)
    expect((await loadDrafts(s, b)).inputs[0]!.text).toBe('y')
  })

  it('falls back to IndexedDB when localStorage is full', async () => {
    const s = small({ quota: 100 })
    const b = big()
    expect(await saveDrafts(drafts('z'.repeat(200)), s, b)).toBe('indexeddb')
    expect((await loadDrafts(s, b)).inputs[0]!.text).toBe('z'.repeat(200))
  })

  it('forgets everything when cleared', async () => {
    const s = small()
    const b = big()
    await saveDrafts(drafts('x'.repeat(LOCAL_LIMIT + 1)), s, b)
    await clearDrafts(s, b)
    expect(await loadDrafts(s, b)).toEqual(EMPTY_DRAFTS)
    expect(b.data.size).toBe(0)
  })

  it('keeps one anonymising key per browser', () => {
    const s = small()
    let n = 0
    const random = () => `key-${++n}`
    expect(anonymiseKey(s, random)).toBe('key-1')
    // The second call finds the stored key: placeholders stay the same across reloads.
    expect(anonymiseKey(s, random)).toBe('key-1')
  })
})
