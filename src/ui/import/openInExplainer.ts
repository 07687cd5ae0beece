/**
 * Showing an import in the explainer: the scenario becomes a catalog entry (group
 * "Imported", replacing the previous one with the same id) and the explainer opens it, so the
 * graph, the inspectors and playback work as for any scenario. What was opened is remembered
 * (catalog.ts) so a reload can rebuild it from the kept inputs.
 */
import { useExplainer } from '../store/explainer.ts'
import type { LoadedScenario, ScenarioEntry } from '../scenarios/types.ts'
import { IMPORT_GROUP, rememberOpened } from './catalog.ts'
import type { OpenedImport } from './catalog.ts'

/** Open a scenario made from the import; `remember` says how to rebuild it after a reload. */
export async function openInExplainer(scenario: LoadedScenario, remember?: OpenedImport): Promise<boolean> {
  if (remember) rememberOpened(remember)
  const entry: ScenarioEntry = { id: scenario.id, title: scenario.title, summary: scenario.summary, group: IMPORT_GROUP, load: () => Promise.resolve(scenario) }
  const s = useExplainer.getState()
  s.setCatalog([...s.catalog.filter((e) => e.id !== entry.id), entry])
  await useExplainer.getState().open(entry.id)
  return useExplainer.getState().status === 'ready'
}
