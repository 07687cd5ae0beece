/** A scenario that cannot be played, with every problem found (file, line, path, hint) and the texts they point into. */
import type { Diagnostic } from '../../engine/diagnostics.ts'

export class ScenarioProblems extends Error {
  constructor(
    /** What was being opened (a file name or a scenario title). */
    readonly what: string,
    readonly diagnostics: readonly Diagnostic[],
    /** The files' texts by name, to show each problem's line in context. */
    readonly files: Readonly<Record<string, string>> = {},
  ) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length
    super(`${what}: ${errors} problem${errors === 1 ? '' : 's'} found`)
    this.name = 'ScenarioProblems'
  }
}
