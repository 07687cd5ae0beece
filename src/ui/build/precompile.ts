/**
 * Run a scenario file and lay out its graph, in Node, for the build (see scenarioPlugin.ts):
 * the same engine run and the same layout the browser would compute, serialised as JSON.
 * A file with errors fails the build with every problem listed.
 */
import { readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import ELK from 'elkjs/lib/elk.bundled.js'
import { formatDiagnostic } from '../../engine/diagnostics.ts'
import { parseScenario, runScenario } from '../../engine/scenario/runner.ts'
import { layoutGraph } from '../graph/layout.ts'
import type { Positions } from '../graph/layout.ts'
import { topologyKey, worldToGraph } from '../graph/worldToGraph.ts'
import { loadedFromRun } from '../scenarios/fromRun.ts'
import type { LoadedScenario } from '../scenarios/types.ts'
import { focusNetns, focusServices, topologyWorld } from '../store/selectors.ts'

/** What a precompiled scenario module holds. */
export interface PrecompiledScenario {
  readonly scenario: LoadedScenario
  /** Layouts by topology key, for every topology the timeline shows (nothing expanded). */
  readonly layouts: Readonly<Record<string, Positions>>
}

/** The layouts the graph needs for a scenario as it first appears (no node or Service expanded). */
export async function layoutsFor(scenario: LoadedScenario, elk: (g: Parameters<InstanceType<typeof ELK>['layout']>[0]) => ReturnType<InstanceType<typeof ELK>['layout']>): Promise<Record<string, Positions>> {
  const out: Record<string, Positions> = {}
  const opts = { expandedNodes: new Set<string>(), expandedServices: new Set<string>(), focus: focusNetns(scenario.timeline), focusServices: focusServices(scenario.timeline) }
  for (const seg of scenario.timeline.segments) {
    const graph = worldToGraph(topologyWorld(seg), opts)
    const key = topologyKey(graph)
    if (!out[key]) out[key] = await layoutGraph(graph, elk)
  }
  return out
}

export async function precompileScenario(path: string): Promise<{ json: string; files: string[] }> {
  const name = basename(path, '.yaml')
  const file = `scenarios/${name}.yaml`
  const parsed = parseScenario(readFileSync(path, 'utf8'), { file })
  const files = [path]
  const readFile = (rel: string): string | undefined => {
    const p = join(dirname(path), rel)
    files.push(p)
    try {
      return readFileSync(p, 'utf8')
    } catch {
      return undefined
    }
  }
  const run = parsed.scenario ? runScenario(parsed.scenario, { readFile, file, source: parsed.source }) : undefined
  const errors = [...parsed.diagnostics, ...(run?.diagnostics ?? [])].filter((d) => d.severity === 'error')
  if (!run || errors.length || run.timeline.segments.length === 0) throw new Error(`${file} cannot be precompiled:\n${errors.map(formatDiagnostic).join('\n') || 'it produced nothing to play'}`)
  const scenario = loadedFromRun(`scn-${name}`, run, { kind: 'bundled', name })
  const elk = new ELK()
  const precompiled: PrecompiledScenario = { scenario, layouts: await layoutsFor(scenario, (g) => elk.layout(g)) }
  return { json: JSON.stringify(precompiled), files }
}
