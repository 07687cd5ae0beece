/**
 * What every dump parser returns, and small helpers they share. A parser gets the lines of
 * one block and reports which of them it could not read (`bad`), with a diagnostic each;
 * every other line of the block counts as understood.
 */
import type { Diagnostic } from '../diagnostics.ts'
import { isIpv4, isMac, normalizeMac } from '../wire/addr.ts'
import type { Ip, Mac } from '../wire/addr.ts'
import { IMPORT_CODES } from './codes.ts'
import type { ImportCode } from './codes.ts'
import type { Line } from './text.ts'
import type { From } from './types.ts'

export interface ParseOut<T> {
  readonly items: T[]
  readonly bad: Line[]
  readonly diagnostics: Diagnostic[]
}

export function emptyOut<T>(): ParseOut<T> {
  return { items: [], bad: [], diagnostics: [] }
}

export function diag(code: ImportCode, file: string, line: Line | undefined, message: string, opts: { hint?: string; severity?: Diagnostic['severity']; col?: number } = {}): Diagnostic {
  return {
    code,
    severity: opts.severity ?? 'warning',
    message: message || IMPORT_CODES[code],
    file,
    ...(line && { line: line.n, text: line.raw }),
    ...(opts.col !== undefined && { col: opts.col }),
    ...(opts.hint !== undefined && { hint: opts.hint }),
  }
}

/** Mark a line as not understood, with its diagnostic. */
export function reject<T>(out: ParseOut<T>, file: string, line: Line, message: string, hint?: string): void {
  out.bad.push(line)
  out.diagnostics.push(diag('IP001', file, line, message, { ...(hint !== undefined && { hint }) }))
}

export function from(file: string, line: Line): From {
  return { file, line: line.n }
}

/** `10.0.0.1/24` → {ip, len}; a bare address is a /32. Undefined unless valid IPv4. */
export function parseCidr(text: string): { ip: Ip; len: number } | undefined {
  const slash = text.indexOf('/')
  const ip = slash < 0 ? text : text.slice(0, slash)
  const lenText = slash < 0 ? '32' : text.slice(slash + 1)
  if (!isIpv4(ip) || !/^\d{1,2}$/.test(lenText)) return undefined
  const len = Number(lenText)
  return len <= 32 ? { ip, len } : undefined
}

export function isV6(text: string): boolean {
  return text.includes(':') && /^[0-9a-fA-F:.]+(?:\/\d+)?(?:%\S+)?$/.test(text)
}

export function macOf(text: string | undefined): Mac | undefined {
  return text !== undefined && isMac(text) ? normalizeMac(text) : undefined
}

export function intOf(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : undefined
}

/**
 * Read `key value` pairs and bare flags from tokens: `keys` take the next token as their
 * value, everything else is a flag. Unknown keys are the caller's to judge.
 */
export function keyValues(tokens: readonly string[], keys: ReadonlySet<string>): { values: Map<string, string>; flags: string[] } {
  const values = new Map<string, string>()
  const flags: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (keys.has(t) && i + 1 < tokens.length) {
      if (!values.has(t)) values.set(t, tokens[i + 1]!)
      i++
    } else flags.push(t)
  }
  return { values, flags }
}
