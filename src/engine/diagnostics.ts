/**
 * Problems found in user input (a dump, a world file, a scenario, a cluster YAML): a stable
 * code, where it is (file, line, column), and a sentence a person can act on. Parsers never
 * throw on bad input; they return diagnostics and keep everything else.
 *
 * Codes are stable and grouped by area: NF = netfilter text, IP = iproute2 and other dumps,
 * WORLD = world files, K8S = cluster descriptions, SCN = scenarios, CLI = command line.
 * Each area lists its codes in its own module (e.g. netfilter/codes.ts) as
 * `{ code: 'NF001', title: 'unknown chain' }` and re-exports them from here when added.
 */
export interface Diagnostic {
  readonly code: string
  readonly severity: 'error' | 'warning' | 'info'
  readonly message: string
  /** What would work instead, when we know. */
  readonly hint?: string
  readonly file?: string
  /** 1-based. */
  readonly line?: number
  /** 1-based. */
  readonly col?: number
  /** The offending source line, verbatim. */
  readonly text?: string
}

/** `file:line:col: CODE message (hint)`, the way compilers print it. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.col].filter((x) => x !== undefined).join(':')
  const hint = d.hint ? `\n  hint: ${d.hint}` : ''
  const text = d.text !== undefined ? `\n  | ${d.text}` : ''
  return `${where ? `${where}: ` : ''}${d.severity} ${d.code}: ${d.message}${text}${hint}`
}
