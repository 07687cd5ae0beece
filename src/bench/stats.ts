/** Summaries of repeated measurements: the median with min and max, and the table they go in. */

export interface Stat {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly n: number
}

/**
 * Median (the mean of the middle two for an even count), min and max.
 * @example summarize([3, 1, 2]) // { median: 2, min: 1, max: 3, n: 3 }
 */
export function summarize(xs: readonly number[]): Stat {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 }
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length }
}

export interface Row {
  readonly figure: string
  /** Already formatted: median, min, max (or a note in `median`). */
  readonly median: string
  readonly min?: string
  readonly max?: string
  readonly floor?: string
  /** undefined: no floor applies, or the figure could not be taken. */
  readonly ok?: boolean
}

/** A fixed-width table, one row per figure. */
export function printTable(rows: readonly Row[]): string {
  const head = ['figure', 'median', 'min', 'max', 'floor', '']
  const cells = rows.map((r) => [r.figure, r.median, r.min ?? '', r.max ?? '', r.floor ?? '', r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED'])
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: readonly string[]) => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n')
}

export function ms(x: number): string {
  if (!Number.isFinite(x)) return '–'
  return x < 10 ? `${x.toFixed(2)} ms` : x < 100 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`
}
