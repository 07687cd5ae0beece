import { describe, expect, it } from 'vitest'
import { normalizeRef, pickScenario, referencedFiles, resolveReference } from './references.ts'

const BUNDLED: Record<string, string> = { 'worlds/bridge-two-pods.yaml': 'bundled world', 'clusters/services.yaml': 'bundled cluster' }
const bundled = (p: string) => BUNDLED[p]

describe('resolving a scenario’s world and cluster references', () => {
  it.each([
    // [reference, files given with the scenario, expected text, where from] — why
    ['worlds/classroom.yaml', { 'classroom.yaml': 'mine' }, 'mine', 'given'], // dropped files are matched by name
    ['./worlds/classroom.yaml', { 'worlds/classroom.yaml': 'fetched' }, 'fetched', 'given'], // fetched ones by their path
    ['worlds/bridge-two-pods.yaml', {}, 'bundled world', 'bundled'], // not given: the bundled file of that path
    ['../scenarios/worlds/bridge-two-pods.yaml', {}, 'bundled world', 'bundled'], // a path through the repo still finds it
    ['lessons/bridge-two-pods.yaml', {}, 'bundled world', 'bundled'], // by name in worlds/
    ['services.yaml', {}, 'bundled cluster', 'bundled'], // by name in clusters/
    ['worlds/bridge-two-pods.yaml', { 'bridge-two-pods.yaml': 'edited' }, 'edited', 'given'], // the instructor's copy wins
  ] as const)('%s', (ref, given, text, from) => {
    expect(resolveReference(ref, given, bundled)).toMatchObject({ text, from })
  })

  it('nothing given and nothing bundled by that name: unresolved', () => {
    expect(resolveReference('worlds/nowhere.yaml', { 'other.yaml': 'x' }, bundled)).toBeUndefined()
  })

  it.each([
    ['./a/b.yaml', 'a/b.yaml'],
    ['a/../b.yaml', 'b.yaml'],
    ['../../x.yaml', 'x.yaml'], // above the top: dropped
    ['a\\b.yaml', 'a/b.yaml'], // Windows separators
  ])('normalizes %s to %s', (ref, out) => {
    expect(normalizeRef(ref)).toBe(out)
  })

  it('lists the files a scenario and its what-ifs name, once each', () => {
    expect(referencedFiles({ world: 'worlds/a.yaml', whatIfs: [{ world: 'worlds/b.yaml' }, { world: 'worlds/a.yaml' }, {}] } as never)).toEqual(['worlds/a.yaml', 'worlds/b.yaml'])
    expect(referencedFiles({ cluster: 'clusters/c.yaml', whatIfs: [] })).toEqual(['clusters/c.yaml'])
  })
})

describe('picking the scenario among files opened together', () => {
  const scenario = { name: 'lesson.yaml', text: 'apiVersion: packetwalk.dev/v1\nkind: Scenario\n' }
  const world = { name: 'classroom.yaml', text: 'kind: World\n' }

  it('the file that says kind: Scenario, whatever the order; the others become its references', () => {
    expect(pickScenario([world, scenario])).toEqual({ scenario, refs: { 'classroom.yaml': 'kind: World\n' } })
  })

  it('a single file is the scenario even if it is not one (its problems get shown)', () => {
    expect(pickScenario([world])).toEqual({ scenario: world, refs: {} })
  })

  it('several files and no scenario, or no file: an error to show', () => {
    expect(pickScenario([world, { name: 'x.yaml', text: 'kind: World' }])).toHaveProperty('error')
    expect(pickScenario([])).toHaveProperty('error')
  })

  it('quoted and commented kind lines count', () => {
    expect(pickScenario([world, { name: 'q.yaml', text: 'kind: "Scenario"  # mine\n' }])).toMatchObject({ scenario: { name: 'q.yaml' } })
  })
})
