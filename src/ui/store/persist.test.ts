import { describe, expect, it } from 'vitest'
import { CHECKPOINTS_KEY, OWN_FILE_KEY, forgetOwnFile, loadCheckpointsOn, loadOwnFile, ownFileId, saveCheckpointsOn, saveOwnFile } from './persist.ts'
import type { KeyValueStore } from './persist.ts'

/** localStorage in miniature: a Map, optionally full (every write throws, as a full quota does). */
function memory(opts: { full?: boolean; broken?: boolean } = {}): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return {
    data,
    getItem: (k) => {
      if (opts.broken) throw new Error('SecurityError')
      return data.get(k) ?? null
    },
    setItem: (k, v) => {
      if (opts.full) throw new Error('QuotaExceededError')
      data.set(k, v)
    },
    removeItem: (k) => void data.delete(k),
  }
}

const FILE = { name: 'week3.yaml', text: 'kind: Scenario\n', refs: { 'classroom.yaml': 'kind: World\n' } }

describe('the instructor’s file, remembered', () => {
  it('comes back exactly as saved, with the files given with it', () => {
    const s = memory()
    expect(saveOwnFile(s, FILE)).toBe(true)
    expect(loadOwnFile(s)).toEqual(FILE)
    expect(saveOwnFile(s, { ...FILE, url: '/course/week3.yaml' })).toBe(true)
    expect(loadOwnFile(s)?.url).toBe('/course/week3.yaml')
  })

  it.each([
    ['nothing saved', undefined],
    ['not JSON', '{oops'],
    ['a string', '"week3"'],
    ['no name', JSON.stringify({ text: 'x' })],
    ['text not a string', JSON.stringify({ name: 'a.yaml', text: 3 })],
  ])('%s: nothing to restore', (_why, raw) => {
    const s = memory()
    if (raw !== undefined) s.data.set(OWN_FILE_KEY, raw)
    expect(loadOwnFile(s)).toBeNull()
  })

  it('refs that are not all text are dropped, the file itself is kept', () => {
    const s = memory()
    s.data.set(OWN_FILE_KEY, JSON.stringify({ name: 'a.yaml', text: 'x', refs: { 'w.yaml': 5 } }))
    expect(loadOwnFile(s)).toEqual({ name: 'a.yaml', text: 'x', refs: {} })
  })

  it('full or disabled storage is never an error: the app just forgets', () => {
    expect(saveOwnFile(memory({ full: true }), FILE)).toBe(false)
    expect(saveOwnFile(null, FILE)).toBe(false)
    expect(loadOwnFile(memory({ broken: true }))).toBeNull()
    expect(loadOwnFile(null)).toBeNull()
  })

  it('can be forgotten', () => {
    const s = memory()
    saveOwnFile(s, FILE)
    forgetOwnFile(s)
    expect(loadOwnFile(s)).toBeNull()
  })

  it.each([
    ['week3.yaml', 'file-week3'],
    ['Week 3 — Services.YML', 'file-week-3-services'], // lowercase, runs of other characters become one dash
    ['.yaml', 'file-scenario'], // nothing left: a fixed name
  ])('%s has the id %s', (name, id) => {
    expect(ownFileId(name)).toBe(id)
  })
})

describe('questions on or off, remembered', () => {
  it('on by default, off once turned off, on again once turned on', () => {
    const s = memory()
    expect(loadCheckpointsOn(s)).toBe(true)
    saveCheckpointsOn(s, false)
    expect(s.data.get(CHECKPOINTS_KEY)).toBe('off')
    expect(loadCheckpointsOn(s)).toBe(false)
    saveCheckpointsOn(s, true)
    expect(loadCheckpointsOn(s)).toBe(true)
  })

  it('unreadable storage: questions stay on', () => {
    expect(loadCheckpointsOn(memory({ broken: true }))).toBe(true)
    expect(loadCheckpointsOn(null)).toBe(true)
    expect(() => saveCheckpointsOn(memory({ full: true }), false)).not.toThrow()
  })
})
