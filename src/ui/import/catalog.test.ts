import { describe, expect, it } from 'vitest'
import { forgetOpened, IMPORT_GROUP, importedEntries, OPENED_KEY, parseOpened, rememberOpened } from './catalog.ts'
import type { OpenedImport } from './catalog.ts'

function storage() {
  const data = new Map<string, string>()
  return { data, getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) }
}

const trace: OpenedImport = { id: 'imported-trace', title: 'Imported: 10.244.1.3 → 10.96.45.10:80 (tcp)', summary: 's', form: { from: '10.244.1.3', to: '10.96.45.10', proto: 'tcp', port: '80', allOutcomes: true }, outcome: 1 }
const view: OpenedImport = { id: 'imported-nodes', title: 'Imported: pwB-node1', summary: 's' }

describe('remembered imported views', () => {
  it('keeps one per id, the latest', () => {
    const s = storage()
    rememberOpened(view, s)
    rememberOpened(trace, s)
    rememberOpened({ ...trace, outcome: 0 }, s)
    // The second trace replaced the first; the view stays.
    expect(parseOpened(s.getItem(OPENED_KEY))).toEqual([view, { ...trace, outcome: 0 }])
  })

  it('become catalog entries in the Imported group, loading lazily', () => {
    const s = storage()
    rememberOpened(trace, s)
    const [e] = importedEntries(s)
    expect(e).toMatchObject({ id: 'imported-trace', title: trace.title, group: IMPORT_GROUP })
    expect(typeof e!.load).toBe('function')
  })

  it.each<[string | null, string]>([
    [null, 'nothing stored'],
    ['{', 'garbage'],
    ['{"id":"imported-nodes"}', 'not a list'],
    ['[{"id":"imported-trace","title":"t","summary":"s","outcome":0,"form":{"from":"a"}}]', 'a trace without its form'],
    ['[{"id":"shell:1","title":"t","summary":"s"}]', 'an id that is not an import view'],
  ])('reads %j (%s) as nothing', (text) => {
    expect(parseOpened(text)).toEqual([])
  })

  it('forgets them when the inputs are cleared', () => {
    const s = storage()
    rememberOpened(view, s)
    forgetOpened(s)
    expect(importedEntries(s)).toEqual([])
  })
})
