import { describe, expect, it } from 'vitest'
import type { LoadedScenario, ScenarioEntry } from '../scenarios/types.ts'
import { findEntry, planPair } from './compareRuns.ts'

const scenario = (more: Partial<LoadedScenario>): LoadedScenario => ({ id: 'scn-07-x', title: 'x', summary: '', timeline: { segments: [] }, narration: [], ...more })
const entry = (id: string): ScenarioEntry => ({ id, title: id, summary: '', load: () => Promise.reject(new Error('not loaded in this test')) })

describe('planPair: which side plays and what the other side runs', () => {
  const flannel = { id: 'flannel', label: 'flannel', description: '' }
  it.each([
    // As written on screen: it plays on the left, the what-if runs on the right.
    ['as written', scenario({ compare: { with: 'flannel', title: 't' }, whatIfs: [flannel], activeWhatIfs: [] }), { playing: 'left', whatIfs: ['flannel'] }],
    // The compared what-if is on: the screen is the right side, the left runs as written.
    ['what-if on', scenario({ compare: { with: 'flannel', title: 't' }, whatIfs: [flannel], activeWhatIfs: ['flannel'] }), { playing: 'right', whatIfs: [] }],
    // Not a what-if of the file: another scenario, by its metadata.id.
    ['another scenario', scenario({ compare: { with: 'pod-to-pod-flannel-vxlan', title: 't' } }), { playing: 'left', scenario: 'pod-to-pod-flannel-vxlan' }],
    ['nothing declared', scenario({}), undefined],
  ] as const)('%s', (_, s, plan) => expect(planPair(s)).toEqual(plan))
})

describe('findEntry', () => {
  const catalog = [entry('scn-06-pod-to-pod-flannel-vxlan'), entry('scn-07-pod-to-pod-calico-bgp'), entry('own:week3.yaml')]
  it.each([
    ['pod-to-pod-flannel-vxlan', 'scn-06-pod-to-pod-flannel-vxlan'], // metadata.id → the bundled file NN-<id>
    ['own:week3.yaml', 'own:week3.yaml'], // an entry id as it is
    ['flannel-vxlan', undefined], // a suffix of an id is not the id
  ])('%s → %s', (id, want) => expect(findEntry(catalog, id)?.id).toBe(want))
})
