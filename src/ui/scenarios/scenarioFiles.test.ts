import { describe, expect, it } from 'vitest'
import { frameCount } from '../../engine/scenario/timeline.ts'
import { narrationAt } from './types.ts'
import { scenarioFileCatalog, titleFromFile } from './scenarioFiles.ts'

describe('curriculum scenario files in the picker', () => {
  it('names entries after their files until opened', () => {
    expect(titleFromFile('06-pod-to-pod-flannel-vxlan')).toBe('6. pod to pod flannel vxlan')
    expect(scenarioFileCatalog.length).toBeGreaterThan(0)
    expect(scenarioFileCatalog.every((e) => e.id.startsWith('scn-'))).toBe(true)
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
