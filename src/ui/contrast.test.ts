/**
 * Contrast AA for both themes, read from the custom properties in styles.css (WCAG 2.1):
 * text and muted text on every surface they sit on ≥ 4.5:1 (1.4.3); badges, large text and
 * the graph's strokes (flow colours, links) ≥ 3:1 (1.4.3 large text, 1.4.11 non-text).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const css = readFileSync(new URL('./styles.css', import.meta.url), 'utf8')

/** `--pw-x: #abc` declarations of one `[data-theme='…'] { … }` block. */
function themeVars(theme: 'light' | 'dark'): Record<string, string> {
  const block = new RegExp(`\\[data-theme='${theme}'\\]\\s*\\{([^}]*)\\}`).exec(css)?.[1] ?? ''
  const out: Record<string, string> = {}
  for (const m of block.matchAll(/--(pw-[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,8})\s*;/g)) out[m[1]!] = m[2]!
  return out
}

/** sRGB hex → [r, g, b] in 0..1 (#rgb and #rrggbb; alpha is not used for these). */
function rgb(hex: string): [number, number, number] {
  const h = hex.slice(1)
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h.slice(0, 6)
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255) as [number, number, number]
}

/** WCAG 2.1 relative luminance. */
function luminance(hex: string): number {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
  const [r, g, b] = rgb(hex).map(lin) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** (L1 + 0.05) / (L2 + 0.05), lighter over darker: 1 … 21. */
function contrastRatio(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)]
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05)
}

describe('contrastRatio', () => {
  it.each([
    ['#000000', '#ffffff', 21], // the extremes: (1 + 0.05) / (0 + 0.05)
    ['#ffffff', '#ffffff', 1],
    ['#777777', '#ffffff', 4.48], // the classic "grey that just fails AA" (WebAIM: 4.48)
    ['#767676', '#ffffff', 4.54], // …and the one that just passes (WebAIM: 4.54)
    ['#f00', '#ffffff', 4], // pure red on white (WebAIM: 4:1); #rgb shorthand
  ])('%s on %s ≈ %d', (a, b, want) => {
    expect(contrastRatio(a, b)).toBeCloseTo(want, 2)
  })
})

const SURFACES = ['pw-bg', 'pw-panel', 'pw-panel-2', 'pw-node'] as const
/** Where body text also sits: marked rows, before/after callouts, group boxes. */
const TINTS = ['pw-used', 'pw-added', 'pw-removed', 'pw-changed', 'pw-group-host', 'pw-group-pod', 'pw-group-plain', 'pw-group-client', 'pw-group-services'] as const
/** Flow, link and edge colours: strokes, token outlines, flow labels (bold, large), links. Box borders are decorative (the fills and labels tell boxes apart) and not checked. */
const STROKES = ['pw-accent', 'pw-focus', 'pw-request', 'pw-reply', 'pw-arp', 'pw-icmp-error', 'pw-dns-query', 'pw-dns-reply', 'pw-drop', 'pw-deliver', 'pw-vxlan', 'pw-bgp', 'pw-chain', 'pw-used-border', 'pw-veth', 'pw-port', 'pw-stack', 'pw-underlay'] as const

interface Pair {
  readonly fg: string
  readonly bg: string
  readonly min: number
}

const pairs: Pair[] = [
  ...['pw-text', 'pw-muted'].flatMap((fg) => [...SURFACES, ...TINTS].map((bg) => ({ fg, bg, min: 4.5 }))),
  // Links are text: AA for body text on the panels they appear on.
  ...['pw-accent'].flatMap((fg) => SURFACES.map((bg) => ({ fg, bg, min: 4.5 }))),
  ...STROKES.flatMap((fg) => ['pw-bg', 'pw-panel', 'pw-node'].map((bg) => ({ fg, bg, min: 3 }))),
  // Badges: bold 12 px text on the badge fills.
  ...['pw-panel-2', 'pw-added', 'pw-removed', 'pw-changed'].map((bg) => ({ fg: 'pw-text', bg, min: 3 })),
]

describe.each(['light', 'dark'] as const)('%s theme', (theme) => {
  const vars = themeVars(theme)
  it('declares every colour the checks use', () => {
    const needed = new Set(pairs.flatMap((p) => [p.fg, p.bg]))
    expect([...needed].filter((n) => !vars[n])).toEqual([])
  })
  it.each(pairs)('$fg on $bg ≥ $min', ({ fg, bg, min }) => {
    const ratio = contrastRatio(vars[fg]!, vars[bg]!)
    expect(ratio, `${vars[fg]} on ${vars[bg]}: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(min)
  })
})
