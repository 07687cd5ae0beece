import { describe, expect, it } from 'vitest'
import { indexEntry, sortIndex } from './scenarioPlugin.ts'

describe('the scenario index the picker is built from', () => {
  it('reads title, section, order and summary from the metadata', () => {
    const text = 'kind: Scenario\nmetadata:\n  title: "A: b"\n  section: 8.5 Same node\n  order: 5\n  summary: >-\n    two\n    lines\n'
    expect(indexEntry('05-x', text)).toEqual({ name: '05-x', title: 'A: b', section: '8.5 Same node', order: 5, summary: 'two lines' })
  })

  it.each([
    ['not YAML', '{: ['], // listed by its name; opening it shows the problems
    ['no metadata', 'kind: Scenario\n'],
    ['metadata not a mapping', 'metadata: 3\n'],
  ])('%s: listed by its file name', (_why, text) => {
    expect(indexEntry('07-y', text)).toEqual({ name: '07-y', title: '07-y' })
  })

  it('curriculum order: by order, then by name; files without an order last', () => {
    const e = (name: string, order?: number) => ({ name, title: name, ...(order !== undefined && { order }) })
    expect(sortIndex([e('b'), e('10-x', 10), e('a'), e('02-y', 2)]).map((x) => x.name)).toEqual(['02-y', '10-x', 'a', 'b'])
  })
})
