/**
 * The parse benchmark in the browser: fetch a dump (`?dump=URL`), then time one
 * parseIptablesSave of it on the main thread of this fresh page, as an import would pay it.
 * The result lands in `window.__parse`.
 */
import { parseIptablesSave } from '../../engine/netfilter/save.ts'

declare global {
  interface Window {
    __parse?: { ms: number; rules: number; errors: number } | { error: string }
  }
}

async function run(): Promise<void> {
  const url = new URLSearchParams(window.location.search).get('dump')
  if (!url) throw new Error('no ?dump=URL')
  const text = await (await fetch(url)).text()
  const t0 = performance.now()
  const r = parseIptablesSave(text)
  const ms = performance.now() - t0
  const rules = Object.values(r.ruleset.tables).reduce((s, t) => s + Object.values(t.chains).reduce((n, c) => n + c.rules.length, 0), 0)
  window.__parse = { ms, rules, errors: r.diagnostics.filter((d) => d.severity === 'error').length }
  document.getElementById('out')!.textContent = JSON.stringify(window.__parse)
}

run().catch((e: unknown) => (window.__parse = { error: e instanceof Error ? e.message : String(e) }))
