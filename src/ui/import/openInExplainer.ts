/**
 * Showing an import in the explainer: the scenario becomes a catalog entry (group
 * "Imported", replacing the previous one with the same id) and the explainer opens it, so the
 * graph, the inspectors and playback work as for any scenario.
 */
import { useExplainer } from '../store/explainer.ts'
import type { LoadedScenario, ScenarioEntry } from '../scenarios/types.ts'

export async function openInExplainer(scenario: LoadedScenario): Promise<boolean> {
  const entry: ScenarioEntry = { id: scenario.id, title: scenario.title, summary: scenario.summary, group: 'Imported', load: () => Promise.resolve(scenario) }
  const s = useExplainer.getState()
  s.setCatalog([...s.catalog.filter((e) => e.id !== entry.id), entry])
  await useExplainer.getState().open(entry.id)
  return useExplainer.getState().status === 'ready'
}
