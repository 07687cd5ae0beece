/**
 * An instructor's own scenario file as a catalog entry ("Your files"): loading runs it in the
 * browser with the files given with it; a file with problems throws ScenarioProblems, which
 * the app shows as a list, never as a crash.
 */
import { ownFileId } from '../store/persist.ts'
import type { SavedFile } from '../store/persist.ts'
import { ScenarioProblems } from './problems.ts'
import type { LoadedScenario, ScenarioEntry, ScenarioSource } from './types.ts'

export const OWN_GROUP = 'Your files'

export function ownSource(f: SavedFile): Extract<ScenarioSource, { kind: 'own' }> {
  return { kind: 'own', name: f.name, text: f.text, refs: f.refs, ...(f.url !== undefined && { url: f.url }) }
}

/** Run any scenario source (bundled or own) with these what-ifs; problems are thrown as ScenarioProblems. */
export async function runOrThrow(id: string, source: ScenarioSource, whatIfs: readonly string[] = []): Promise<LoadedScenario> {
  const { runSource } = await import('./runScenarioFile.ts')
  const r = await runSource(id, source, whatIfs)
  if (r.scenario) return r.scenario
  const files = source.kind === 'own' ? { [source.name]: source.text, ...source.refs } : {}
  throw new ScenarioProblems(source.kind === 'own' ? source.name : `scenarios/${source.name}.yaml`, r.problems, files)
}

export function ownEntry(f: SavedFile, title?: string, summary?: string): ScenarioEntry {
  const id = ownFileId(f.name)
  return { id, title: title ?? f.name, summary: summary ?? `Your file ${f.name}`, group: OWN_GROUP, load: () => runOrThrow(id, ownSource(f)) }
}
