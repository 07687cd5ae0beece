/**
 * Which files an instructor's scenario needs, and where each comes from: the files given
 * with it (dropped together, or fetched next to its URL) by path or by file name, else the
 * bundled scenarios/worlds and scenarios/clusters. Pure: the bundled files are passed in.
 */
import type { ScenarioFile } from '../../engine/scenario/schema.ts'

export interface GivenFile {
  readonly name: string
  readonly text: string
}

/** `a/b/../c.yaml` → `a/c.yaml`; leading `./` and `..` past the top are dropped; `\` counts as `/`. */
export function normalizeRef(ref: string): string {
  const out: string[] = []
  for (const part of ref.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return out.join('/')
}

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1)

export interface Resolved {
  readonly text: string
  /** `given`: a file that came with the scenario; `bundled`: one of scenarios/worlds or scenarios/clusters. */
  readonly from: 'given' | 'bundled'
  /** The path or name it was found under. */
  readonly as: string
}

/**
 * The text a scenario's `world:` / `cluster:` reference names.
 *
 * @example
 * resolveReference('worlds/two-pods.yaml', { 'two-pods.yaml': '…' }, () => undefined) // from the given file two-pods.yaml
 */
export function resolveReference(ref: string, given: Readonly<Record<string, string>>, bundled: (path: string) => string | undefined): Resolved | undefined {
  const path = normalizeRef(ref)
  const name = baseName(path)
  for (const k of [ref, path]) if (given[k] !== undefined) return { text: given[k], from: 'given', as: k }
  const byName = Object.keys(given).find((k) => baseName(normalizeRef(k)) === name)
  if (byName !== undefined) return { text: given[byName]!, from: 'given', as: byName }
  // The bundled folder: the same path under scenarios/, else the same name in worlds/ or clusters/.
  const inFolder = path.replace(/^(.*\/)?scenarios\//, '')
  for (const p of [inFolder, `worlds/${name}`, `clusters/${name}`]) {
    const text = bundled(p)
    if (text !== undefined) return { text, from: 'bundled', as: `scenarios/${p}` }
  }
  return undefined
}

/** Every world or cluster file a scenario names (its own and its what-ifs'), without repeats. */
export function referencedFiles(s: Pick<ScenarioFile, 'world' | 'cluster' | 'whatIfs'>): string[] {
  const refs = [s.world, s.cluster, ...s.whatIfs.flatMap((w) => [w.world, w.cluster])].filter((r): r is string => r !== undefined)
  return [...new Set(refs)]
}

const SCENARIO_KIND = /^kind:\s*["']?Scenario["']?\s*(#.*)?$/m

/**
 * Of several files opened at once, the scenario (the first with `kind: Scenario`) and the
 * others by name. One file alone is taken as the scenario whatever it says (so its problems
 * are shown); several with no scenario among them is an error to show.
 */
export function pickScenario(files: readonly GivenFile[]): { scenario: GivenFile; refs: Record<string, string> } | { error: string } {
  if (files.length === 0) return { error: 'No file was given.' }
  const scenario = files.length === 1 ? files[0]! : files.find((f) => SCENARIO_KIND.test(f.text))
  if (!scenario) return { error: `None of ${files.map((f) => f.name).join(', ')} is a scenario file (a scenario says \`kind: Scenario\`).` }
  const refs: Record<string, string> = {}
  for (const f of files) if (f !== scenario) refs[f.name] = f.text
  return { scenario, refs }
}
