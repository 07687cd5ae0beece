import { describe, expect, it } from 'vitest'
import { frameCount } from '../../engine/scenario/timeline.ts'
import { narrationAt } from './types.ts'
import { narrationFromNotes } from './fromRun.ts'
import { scenarioFileCatalog, titleFromFile } from './scenarioFiles.ts'

describe('curriculum scenario files in the picker', () => {
  it('names entries after their files until opened', () => {
    expect(titleFromFile('06-pod-to-pod-flannel-vxlan')).toBe('6. pod to pod flannel vxlan')
    expect(scenarioFileCatalog.length).toBeGreaterThan(0)
    expect(scenarioFileCatalog.every((e) => e.id.startsWith('scn-'))).toBe(true)
  })

  it('notes hold until the next note of the action; the action title covers frames before the first note', () => {
    const spans = [
      { action: 0, title: 'first action', firstFrame: 0, lastFrame: 9 },
      { action: 1, title: 'second action', firstFrame: 10, lastFrame: 12 },
    ]
    const notes = [
      { frame: 3, action: 0, text: 'A' },
      { frame: 6, action: 0, text: 'B' },
    ]
    expect(narrationFromNotes(spans, notes)).toEqual([
      { from: 0, to: 2, text: 'first action' },
      { from: 3, to: 5, text: 'A' },
      { from: 6, to: 9, text: 'B' },
      { from: 10, to: 12, text: 'second action' },
    ])
  })

  it('opens a committed scenario (flannel VXLAN across nodes) with narration on every frame', async () => {
    const entry = scenarioFileCatalog.find((e) => e.id === 'scn-06-pod-to-pod-flannel-vxlan')
    expect(entry).toBeDefined()
    const s = await entry!.load()
    expect(s.title).toBe('Across nodes with flannel VXLAN')
    const n = frameCount(s.timeline)
    expect(n).toBeGreaterThan(20)
    for (let f = 0; f < n; f++) expect(narrationAt(s, f), `frame ${f}`).toBeTruthy()
  })
})
