/**
 * `packetwalk check SCENARIO...`: validate each scenario file, replay it, assert the outcomes
 * it expects. One line per scenario; exit 1 if any file is invalid or any expectation fails.
 */
import { dirname, join } from 'node:path'
import { formatDiagnostic } from '../../engine/diagnostics.ts'
import { parseScenario, runScenario } from '../../engine/scenario/runner.ts'
import type { Io } from '../io.ts'
import { EXIT, UsageError, flagAll, has, parseArgs } from '../io.ts'

const HELP = `usage: packetwalk check SCENARIO... [--what-if ID]... [--verbose]

Validates each scenario file and replays it, asserting the outcomes it expects.
Prints one line per scenario; exits 1 if a file is invalid or an expectation fails.
`

export function check(argv: string[], io: Io): number {
  const args = parseArgs(argv, { booleans: ['help', 'verbose'], values: ['what-if'] })
  if (has(args, 'help')) {
    io.stdout(HELP)
    return EXIT.ok
  }
  const paths = args.positional.flatMap((p) => (io.isDirectory(p) ? io.listDir(p).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(p, f)) : [p]))
  if (paths.length === 0) throw new UsageError('give one or more scenario files (or a folder of them)')
  let failed = 0
  for (const path of paths) {
    if (!io.exists(path)) {
      io.stdout(`FAIL  ${path}: no such file\n`)
      failed++
      continue
    }
    const text = io.readFile(path)
    const parsed = parseScenario(text, { file: path })
    if (!parsed.scenario || parsed.diagnostics.some((d) => d.severity === 'error')) {
      io.stdout(`FAIL  ${path}: invalid (${parsed.diagnostics.length} problem${parsed.diagnostics.length === 1 ? '' : 's'})\n`)
      for (const d of parsed.diagnostics) io.stdout(`      ${formatDiagnostic(d).replace(/\n/g, '\n      ')}\n`)
      failed++
      continue
    }
    const base = dirname(path)
    const readFile = (rel: string) => {
      const p = join(base, rel)
      return io.exists(p) && !io.isDirectory(p) ? io.readFile(p) : undefined
    }
    const whatIfs = flagAll(args, 'what-if')
    const variants: (readonly string[])[] = whatIfs.length ? [whatIfs] : [[], ...parsed.scenario.whatIfs.map((w) => [w.id])]
    for (const v of variants) {
      const run = runScenario(parsed.scenario, { readFile, file: path, source: parsed.source }, { whatIfs: v })
      const label = `${parsed.scenario.metadata.id}${v.length ? ` [what-if: ${v.join(', ')}]` : ''}`
      const bad = run.results.filter((r) => !r.ok)
      const errors = run.diagnostics.filter((d) => d.severity === 'error')
      if (errors.length || bad.length) {
        failed++
        io.stdout(`FAIL  ${label}  (${path})\n`)
        for (const d of errors) io.stdout(`      ${formatDiagnostic(d).replace(/\n/g, '\n      ')}\n`)
        for (const r of bad) io.stdout(`      action ${r.action + 1} "${r.title}": ${r.field}: expected ${JSON.stringify(r.expected)}, got ${JSON.stringify(r.actual)}\n`)
      } else {
        const frames = run.timeline.segments.reduce((n, s) => n + (s.kind === 'trace' ? s.steps.length : 1), 0)
        io.stdout(`ok    ${label}  ${run.results.length} expectation${run.results.length === 1 ? '' : 's'}, ${run.scenario.actions.length} actions, ${frames} frames\n`)
        if (has(args, 'verbose')) for (const r of run.results) io.stdout(`      ✓ action ${r.action + 1} ${r.field}\n`)
      }
    }
  }
  return failed ? EXIT.failed : EXIT.ok
}
