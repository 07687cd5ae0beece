/**
 * A scenario file → what the viewer plays, in the browser: parse it, read the world or
 * cluster files it names (the instructor's own, or the bundled ones, loaded on demand), run
 * it with the engine's runner (what-ifs on if asked) and turn the run into a LoadedScenario.
 * A file with errors comes back as its diagnostics, every one, with file, line and path; the
 * file never throws its way to the user. Loaded lazily: the runner brings YAML and zod.
 */
import type { Diagnostic } from '../../engine/diagnostics.ts'
import { parseScenario, runScenario } from '../../engine/scenario/runner.ts'
import { loadedFromRun } from './fromRun.ts'
import { normalizeRef, referencedFiles, resolveReference } from './references.ts'
import type { LoadedScenario, ScenarioSource } from './types.ts'

const bundledScenarios = import.meta.glob<string>('../../../scenarios/*.yaml', { query: '?raw', import: 'default' })
const bundledRefs = import.meta.glob<string>('../../../scenarios/{worlds,clusters}/*.yaml', { query: '?raw', import: 'default' })

const PREFIX = '../../../scenarios/'

/** Only the referenced bundled files are downloaded (each is a chunk of its own). */
async function loadBundled(paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  await Promise.all(
    paths.map(async (p) => {
      const read = bundledRefs[PREFIX + p]
      if (read) out.set(p, await read())
    }),
  )
  return out
}

/** Bundled paths a reference might resolve to (resolveReference's fallbacks), for preloading. */
function bundledCandidates(ref: string): string[] {
  const path = normalizeRef(ref)
  const name = path.slice(path.lastIndexOf('/') + 1)
  return [path.replace(/^(.*\/)?scenarios\//, ''), `worlds/${name}`, `clusters/${name}`].filter((p) => bundledRefs[PREFIX + p] !== undefined)
}

export type RunResult = { readonly scenario: LoadedScenario; readonly problems?: undefined } | { readonly scenario?: undefined; readonly problems: readonly Diagnostic[] }

export async function sourceText(source: ScenarioSource): Promise<{ text: string; file: string } | undefined> {
  if (source.kind === 'own') return { text: source.text, file: source.name }
  const read = bundledScenarios[`${PREFIX}${source.name}.yaml`]
  return read ? { text: await read(), file: `scenarios/${source.name}.yaml` } : undefined
}

/**
 * Run a scenario from where it came from, with these what-ifs on.
 *
 * @example
 * await runSource('scn-05-pod-to-pod-same-node', { kind: 'bundled', name: '05-pod-to-pod-same-node' }, ['br-netfilter'])
 */
export async function runSource(id: string, source: ScenarioSource, whatIfs: readonly string[] = []): Promise<RunResult> {
  const src = await sourceText(source)
  if (!src) return { problems: [{ code: 'SCN003', severity: 'error', message: `no scenario file ${source.name}` }] }
  const parsed = parseScenario(src.text, { file: src.file })
  const parseErrors = parsed.diagnostics.filter((d) => d.severity === 'error')
  if (!parsed.scenario || parseErrors.length) return { problems: parseErrors.length ? parsed.diagnostics : [{ code: 'SCN002', severity: 'error', message: 'not a scenario file', file: src.file }] }
  const given = source.kind === 'own' ? source.refs : {}
  const refs = referencedFiles(parsed.scenario)
  const bundled = await loadBundled(refs.flatMap(bundledCandidates))
  const readFile = (rel: string) => resolveReference(rel, given, (p) => bundled.get(p))?.text
  const run = runScenario(parsed.scenario, { readFile, file: src.file, source: parsed.source }, { whatIfs })
  const errors = run.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length) return { problems: [...parsed.diagnostics, ...run.diagnostics] }
  if (run.timeline.segments.length === 0) return { problems: [{ code: 'SCN004', severity: 'error', message: 'the scenario produced nothing to play', file: src.file }] }
  const loaded = loadedFromRun(id, run, source)
  return { scenario: { ...loaded, warnings: [...parsed.diagnostics, ...run.diagnostics].filter((d) => d.severity !== 'error') } }
}

/**
 * An instructor's file served from this origin (`?scenario=/course/week3.yaml`), with the
 * world and cluster files it names fetched from beside it (the bundled ones are the fallback).
 * Anything else (another origin, a failed fetch) is a problem to show, never a throw.
 */
export async function fetchScenarioUrl(raw: string, base = window.location.href): Promise<{ source: ScenarioSource } | { problems: Diagnostic[] }> {
  let url: URL
  try {
    url = new URL(raw, base)
  } catch {
    return { problems: [{ code: 'SCN003', severity: 'error', message: `“${raw}” is not a URL`, hint: 'use a path on this site, e.g. ?scenario=/courses/week3.yaml' }] }
  }
  if (url.origin !== new URL(base).origin) return { problems: [{ code: 'SCN003', severity: 'error', message: `${url.href} is on another site; only files from ${new URL(base).origin} can be opened this way`, hint: 'download the file and open it with “Open a file…”, or serve it next to the app' }] }
  const get = async (u: URL): Promise<string | undefined> => {
    try {
      const r = await fetch(u)
      // A single-page server answers unknown paths with the app's own page: that is not the file.
      return r.ok && !(r.headers.get('content-type') ?? '').includes('text/html') ? await r.text() : undefined
    } catch {
      return undefined
    }
  }
  const text = await get(url)
  const name = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1)) || 'scenario.yaml'
  if (text === undefined) return { problems: [{ code: 'SCN003', severity: 'error', message: `cannot read ${url.pathname}`, file: name, hint: 'check the path; it is relative to this page' }] }
  const parsed = parseScenario(text, { file: name })
  const refs: Record<string, string> = {}
  if (parsed.scenario) {
    await Promise.all(
      referencedFiles(parsed.scenario).map(async (ref) => {
        const t = await get(new URL(ref, url))
        if (t !== undefined) refs[ref] = t
      }),
    )
  }
  return { source: { kind: 'own', name, text, refs, url: url.pathname + url.search } }
}
