/**
 * Build-time help for the first load (a Vite plugin, run in Node):
 * - `virtual:packetwalk/scenario-index`: each file in scenarios/ by its metadata (title,
 *   section, order, summary), so the picker lists the curriculum without downloading it;
 * - `scenarios/<name>.yaml?precompiled`: that scenario already run by the engine and its
 *   graph already laid out, so opening it needs neither the YAML/zod parsers nor the ELK
 *   worker. Only the default scenario is imported this way; every other file is parsed and
 *   run in the browser when it is opened.
 * - the app's index.html, in a build, gets the App already rendered with the default scenario
 *   open (prerender.tsx): the first paint needs no script.
 * The engine is loaded through Vite's module runner only when a precompiled file or the
 * prerender is asked for, so loading the Vite config stays light for every other build and
 * test run.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vite'
import { parse } from 'yaml'

export const SCENARIO_INDEX_ID = 'virtual:packetwalk/scenario-index'
const RESOLVED_INDEX_ID = `\0${SCENARIO_INDEX_ID}`
const PRECOMPILED = '?precompiled'

/** A scenario file as the picker lists it. */
export interface ScenarioIndexEntry {
  /** File name without `.yaml`: `06-pod-to-pod-flannel-vxlan`. */
  readonly name: string
  readonly title: string
  readonly section?: string
  readonly order?: number
  readonly summary?: string
}

/** The metadata of one scenario file; a file that does not parse is listed by its name. */
export function indexEntry(name: string, text: string): ScenarioIndexEntry {
  let meta: Record<string, unknown> = {}
  try {
    const doc: unknown = parse(text)
    const m = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).metadata : undefined
    if (m && typeof m === 'object') meta = m as Record<string, unknown>
  } catch {
    // listed by its file name; opening it shows the problems
  }
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.replace(/\s+/g, ' ').trim() : undefined)
  const title = str(meta.title) ?? name
  const section = str(meta.section)
  const summary = str(meta.summary)
  return { name, title, ...(section !== undefined && { section }), ...(typeof meta.order === 'number' && { order: meta.order }), ...(summary !== undefined && { summary }) }
}

/** Curriculum order: `order`, then the file name. */
export function sortIndex(entries: readonly ScenarioIndexEntry[]): ScenarioIndexEntry[] {
  return [...entries].sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity) || a.name.localeCompare(b.name))
}

/** Stylesheets mean nothing to a render in Node (the page links the built ones): each is an empty module there. */
const NO_CSS: Plugin = {
  name: 'packetwalk-prerender-no-css',
  enforce: 'pre',
  resolveId: (id) => (/\.css($|\?)/.test(id) ? '\0packetwalk-empty-stylesheet' : undefined),
  load: (id) => (id === '\0packetwalk-empty-stylesheet' ? 'export default ""' : undefined),
}

/** Where the prerendered App goes in index.html. */
const ROOT_DIV = '<div id="root"></div>'

export function packetwalkScenarios(opts: { readonly dir: string }): Plugin {
  const dir = opts.dir
  return {
    name: 'packetwalk-scenarios',
    enforce: 'pre',
    async transformIndexHtml(html, ctx) {
      // The dev server renders in the page; a build writes the first paint into the file.
      if (ctx.server || !html.includes(ROOT_DIV) || !ctx.filename.endsWith('/src/index.html')) return html
      const { runnerImport } = await import('vite')
      const { module } = await runnerImport<typeof import('./prerender.tsx')>(fileURLToPath(new URL('./prerender.tsx', import.meta.url)), {
        configFile: false,
        root: fileURLToPath(new URL('../../', import.meta.url)),
        logLevel: 'warn',
        plugins: [packetwalkScenarios(opts), NO_CSS],
      })
      return html.replace(ROOT_DIV, `<div id="root">${await module.prerenderApp()}</div>`)
    },
    resolveId(id) {
      return id === SCENARIO_INDEX_ID ? RESOLVED_INDEX_ID : undefined
    },
    async load(id) {
      if (id === RESOLVED_INDEX_ID) {
        const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))
        for (const f of files) this.addWatchFile(join(dir, f))
        const index = sortIndex(files.map((f) => indexEntry(basename(f, '.yaml'), readFileSync(join(dir, f), 'utf8'))))
        return `export default ${JSON.stringify(index)}`
      }
      if (!id.endsWith(PRECOMPILED)) return undefined
      const file = id.slice(0, -PRECOMPILED.length)
      const { runnerImport } = await import('vite')
      const { module, dependencies } = await runnerImport<typeof import('./precompile.ts')>(fileURLToPath(new URL('./precompile.ts', import.meta.url)))
      const r = await module.precompileScenario(file)
      for (const f of [...r.files, ...dependencies]) this.addWatchFile(f)
      // A string parsed at run time is cheaper to load than the same object as a literal.
      return `export default JSON.parse(${JSON.stringify(r.json)})`
    },
  }
}
