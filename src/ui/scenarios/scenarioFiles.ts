/**
 * The curriculum's scenario files (scenarios/*.yaml) as catalog entries, in curriculum order
 * with their sections. Titles and sections come from a build-time index (reading every file
 * in the browser would put them all in the first download); opening a file runs it with
 * the engine's scenario runner, except the default one, which arrives already run.
 */
import index from 'virtual:packetwalk/scenario-index'
import { seedLayouts } from '../graph/layoutCache.ts'
import { runOrThrow } from './ownFiles.ts'
import type { LoadedScenario, ScenarioEntry } from './types.ts'

/** The scenario a first visit opens: it teaches something within seconds. */
export const DEFAULT_SCENARIO = 'scn-00-welcome'

/** `06-pod-to-pod-flannel-vxlan` → `6. pod to pod flannel vxlan` (for a file whose title cannot be read). */
export function titleFromFile(name: string): string {
  const m = /^(\d+)-(.*)$/.exec(name)
  const words = (m ? m[2]! : name).replace(/-/g, ' ')
  return m ? `${Number(m[1])}. ${words}` : words
}


/** The default scenario, run at build time: no parser and no layout engine on the first visit. */
async function loadDefault(): Promise<LoadedScenario> {
  const { default: pre } = await import('../../../scenarios/00-welcome.yaml?precompiled')
  seedLayouts(pre.layouts)
  return pre.scenario
}

export const scenarioFileCatalog: readonly ScenarioEntry[] = index.map((e) => {
  const id = `scn-${e.name}`
  return {
    id,
    title: e.title === e.name ? titleFromFile(e.name) : e.title,
    summary: e.summary ?? `scenarios/${e.name}.yaml`,
    group: e.section ?? 'Scenarios',
    ...(id === DEFAULT_SCENARIO ? { laidOut: true, load: loadDefault } : { load: () => runOrThrow(id, { kind: 'bundled', name: e.name }) }),
  }
})
