/** Expectation results grouped by action, in words a learner reads: `verdict: delivered`, or expected vs got. */
import type { ResultLine } from './types.ts'

export interface ResultGroup {
  readonly action: number
  readonly title: string
  readonly ok: boolean
  readonly lines: readonly { readonly field: string; readonly text: string; readonly ok: boolean }[]
}

const show = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '–' : JSON.stringify(v))

/**
 * One expectation in words. Met: a yes/no check is its own statement (`steps include
 * arp-request`); a value shows what happened, or the pattern and what matched it. Not met:
 * `verdict: expected delivered, got dropped`.
 */
export function resultText(r: ResultLine): string {
  if (!r.ok) return `${r.field}: expected ${show(r.expected)}, got ${show(r.actual)}`
  if (typeof r.expected === 'boolean' && r.expected === r.actual && !['masquerade', 'encapsulated', 'replyMatches'].includes(r.field)) return r.field
  const want = show(r.expected)
  const got = show(r.actual)
  if (r.actual === undefined || r.actual === null || got === want) return `${r.field}: ${want}`
  return typeof r.actual === 'string' && r.actual.includes(want) ? `${r.field}: ${got}` : `${r.field}: ${want} (${got})`
}

export function groupResults(results: readonly ResultLine[]): ResultGroup[] {
  const out: { action: number; title: string; ok: boolean; lines: { field: string; text: string; ok: boolean }[] }[] = []
  for (const r of results) {
    let g = out.find((x) => x.action === r.action)
    if (!g) out.push((g = { action: r.action, title: r.title, ok: true, lines: [] }))
    g.lines.push({ field: r.field, text: resultText(r), ok: r.ok })
    g.ok &&= r.ok
  }
  return out.sort((a, b) => a.action - b.action)
}
