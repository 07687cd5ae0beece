/** A problem's place and line, as the problems list shows them. */
import type { Diagnostic } from '../../engine/diagnostics.ts'

/** `file:line:col`, as far as it is known. */
export function where(d: Diagnostic): string {
  return [d.file, d.line, d.col].filter((x) => x !== undefined && x !== '').join(':')
}

/** The offending line: the diagnostic's own copy, else read from the file it names. */
export function lineOf(d: Diagnostic, files: Readonly<Record<string, string>>): string | undefined {
  if (d.text !== undefined) return d.text
  if (d.line === undefined) return undefined
  const text = d.file !== undefined ? (files[d.file] ?? Object.entries(files).find(([k]) => d.file!.endsWith(k))?.[1]) : undefined
  return text?.split(/\r?\n/)[d.line - 1]
}
