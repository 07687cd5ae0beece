import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { topologyKey, worldToGraph } from '../graph/worldToGraph.ts'
import { focusNetns, focusServices, topologyWorld } from '../store/selectors.ts'
import { precompileScenario } from './precompile.ts'
import type { PrecompiledScenario } from './precompile.ts'

describe('the default scenario, run and laid out at build time', () => {
  it('holds the played scenario and a layout for every topology the graph will ask for', async () => {
    const r = await precompileScenario(fileURLToPath(new URL('../../../scenarios/00-welcome.yaml', import.meta.url)))
    const pre = JSON.parse(r.json) as PrecompiledScenario
    expect(pre.scenario.id).toBe('scn-00-welcome')
    expect(pre.scenario.source).toEqual({ kind: 'bundled', name: '00-welcome' })
    // The keys the browser computes (GraphView's useGraph, nothing expanded) are all there: no ELK on first load.
    const t = pre.scenario.timeline
    const opts = { expandedNodes: new Set<string>(), expandedServices: new Set<string>(), focus: focusNetns(t), focusServices: focusServices(t) }
    for (const seg of t.segments) {
      const g = worldToGraph(topologyWorld(seg), opts)
      const layout = pre.layouts[topologyKey(g)]
      expect(layout).toBeDefined()
      for (const n of g.nodes) expect(layout![n.id], n.id).toBeDefined()
    }
    // The world file it read is watched, so editing it rebuilds.
    expect(r.files.some((f) => f.endsWith('worlds/bridge-two-pods.yaml'))).toBe(true)
  })

  it('a file with errors fails the build, naming every problem', async () => {
    await expect(precompileScenario(fileURLToPath(new URL('../../../e2e/fixtures/broken-lesson.yaml', import.meta.url)))).rejects.toThrow(/SCN002[\s\S]*sned[\s\S]*icmpp/)
  })
})
